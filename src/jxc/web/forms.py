"""Errors on a page: those with a pointer sit next to their field, the rest on top.

The only mapping from ``DomainError`` to the web; htmx re-renders the form with 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jxc.domain.errors import DomainError, ErrorItem
from jxc.i18n.messages import translate


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)  # JSON pointer → message
    summary: list[str] = field(default_factory=list)
    # The fields' messages for a list away from the fields: each says which line it is on.
    placed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.summary)

    def summary_or_first(self) -> str:
        """One message for one field (a scan): the summary, else the first field's.

        Not placed: next to the scan field a line number would be the service's, not the
        screen's (a stocktake's count is one line of its own).
        """
        return (self.summary or list(self.fields.values()) or [""])[0]


_LINE = re.compile(r"^/lines/(\d+)(?:/|$)")


# Messages that begin with the document's own line numbers ("第 2 行：…"); ``lines`` in
# others is another document's (a source document's lines).
_OWN_LINES = ("stock.line_short", "stock.line_short_since")


def _names_its_line(item: ErrorItem, number: str) -> bool:
    """Whether the message says which line it is on (a ``line`` may be a source's line)."""
    return item.code in _OWN_LINES or str(item.params.get("line", "")) == number


def form_errors(error: DomainError, locale: str) -> FormErrors:
    found = FormErrors()
    items = error.items or (
        (ErrorItem(error.params["pointer"], error.code, error.params),)
        if "pointer" in error.params
        else ()
    )
    for item in items:
        message = translate(item.code, locale, **dict(item.params))
        found.fields[item.pointer] = message
        line = _LINE.match(item.pointer)
        if line and not _names_its_line(item, line[1]):
            message = translate("label.web_on_line", locale, line=line[1], message=message)
        found.placed.append(message)
    if not items or len(items) > 1:
        code = error.code
        if code == "request.idempotency_key_reused" and error.params.get("number"):
            # A page handed in already (Back after 提交, then changed): its request id is
            # nothing the user knows of, the document it made is.
            code = "web.page_already_handed_in"
        found.summary.append(translate(code, locale, **dict(error.params)))
    return found
