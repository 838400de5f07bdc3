"""Pages in the user's language: the Jinja2 environment, the locale, the CSRF token.

Every page is rendered with ``t`` (a message in the request's language), ``label`` (a
state or step name), the signed-in user and the CSRF token its forms and htmx send back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from jxc.config import SESSION_COOKIE, preferred_locale
from jxc.domain.auth import csrf_token
from jxc.domain.periods import shown_time
from jxc.domain.quantities import normalized
from jxc.exports import Column, ExportFormat, export
from jxc.i18n.messages import event_details, event_subject, translate, vocabulary

LANGUAGE_COOKIE = "jxc_lang"
LANGUAGES = {"zh_CN": "中文", "en": "English"}

_environment = Environment(
    loader=FileSystemLoader(str(resources.files("jxc.web") / "templates")),
    autoescape=select_autoescape(default=True),  # a name or note holding HTML stays text
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["number"] = lambda value: (
    "" if value is None else str(normalized(Decimal(value)))
)
_environment.filters["money"] = lambda value: "" if value is None else f"{Decimal(value):,.2f}"


def locale_of(request: Request) -> str:
    """The language chosen on the page, else the browser's first JXC speaks, else Chinese."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return preferred_locale([chosen, *request.headers.get("accept-language", "").split(",")])


_KEPT = frozenset({"entry.html"})


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    locale = locale_of(request)
    session = request.cookies.get(SESSION_COOKIE)

    def t(code: str, **params: Any) -> str:
        return translate(code, locale, **params)

    def label(prefix: str, name: str | None) -> str:
        return vocabulary(prefix, name, locale) if name else ""

    zone = request.app.state.jxc.zone

    def when(moment: datetime | None, seconds: bool = False) -> str:
        """A recorded time on the company's clock (JXC_TIMEZONE), as a clerk reads it."""
        return "" if moment is None else shown_time(moment, zone, seconds)

    html = _environment.get_template(template).render(
        request=request,
        t=t,
        label=label,
        when=when,
        event_details=lambda payload: event_details(payload, locale),
        event_subject=lambda kind, subject: event_subject(kind, subject, locale),
        locale=locale,
        colon="："
        if locale.startswith("zh")
        else ": ",  # after a label, as each language writes it
        languages=LANGUAGES,
        csrf=csrf_token(session) if session else "",
        **context,
    )
    # Signed in, a page holds the company's data and a form's one-time request id: never
    # kept by the browser, so that Back shows the document as it is now, not a stale form.
    # An entry screen is kept: its scanned lines live in the page alone until 提交.
    headers = {"Cache-Control": "no-store"} if session and template not in _KEPT else None
    return HTMLResponse(html, status_code=status_code, headers=headers)


def download(
    request: Request,
    columns: tuple[Column, ...],
    rows: list[Any],
    export_format: ExportFormat,
    name: str,
) -> Response:
    """A list as the file its export link asks for, column names in the user's language."""
    file = export(columns, rows, export_format, locale_of(request), name)
    return Response(file.content, media_type=file.media_type, headers=file.headers)
