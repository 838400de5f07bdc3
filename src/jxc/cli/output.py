"""Rendering for the CLI: the user's language, exact numbers, rich tables, error reports."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jxc import exports
from jxc.bootstrap import SCHEMA_REVISION, App, build, current_revision
from jxc.cli import sessions
from jxc.config import Settings
from jxc.domain.errors import Category, DomainError, Invalid, Unauthenticated, Unavailable
from jxc.domain.quantities import normalized
from jxc.exports import Column, ExportFormat
from jxc.i18n.messages import translate, vocabulary
from jxc.services import auth
from jxc.services.imports import check_is_file

_MAKE_THEIR_DATABASE = {"init", "demo", "bench"}

RequestId = Annotated[
    str | None,
    typer.Option("--request-id", help="Makes a retry harmless: the same id does it once."),
]

EXIT_CODES = {
    Category.NOT_FOUND: 3,
    Category.INVALID: 4,
    Category.CONFLICT: 5,
    Category.FORBIDDEN: 6,
    Category.UNAUTHENTICATED: 6,
    Category.CONFIRMATION_REQUIRED: 7,
    Category.UNAVAILABLE: 8,
}

# Piped output (a file, another program) gets wide tables instead of the 80-column default.
# No markup: what is printed holds users' text (a note "[urgent]", a code "[/]"), which
# rich would read as styles, swallow or crash on. Styles are given as such (``ok``, ``failed``).
_WIDTH = None if sys.stdout.isatty() else 200
out = Console(highlight=False, soft_wrap=True, width=_WIDTH, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH, markup=False)


def ok(message: str) -> Text:
    """``✓ message``, the tick green."""
    return Text.assemble(("✓", "green"), " ", message)


def crossed(message: str) -> Text:
    """``✗ message``, the cross bold red: one finding among others."""
    return Text.assemble(("✗", "bold red"), " ", message)


def failed(message: str, code: str | None = None) -> Text:
    """``✗ message (code)``: all of it in bold red but the code."""
    line = Text(f"✗ {message}", style="bold red")
    return line.append(f"  ({code})", style="dim") if code else line


def _check_revision(app: App) -> None:
    """Refuse (and close) a database without JXC's tables, or at another schema revision.

    Raises:
        Unavailable: database.not_initialised, database.other_revision.
    """
    revision = current_revision(app)
    if revision == SCHEMA_REVISION:
        return
    app.dispose()
    url = app.engine.url.render_as_string(hide_password=True)
    if revision is None:
        raise Unavailable("database.not_initialised", {"url": url})
    raise Unavailable(
        "database.other_revision", {"url": url, "revision": revision, "expected": SCHEMA_REVISION}
    )


@dataclass
class State:
    settings: Settings
    command: str | None = None  # the sub-command being run
    _app: App | None = field(default=None, repr=False)
    _actor: str | None = field(default=None, repr=False)

    @property
    def app(self) -> App:
        if self._app is None:
            app = build(self.settings)
            if self.command not in _MAKE_THEIR_DATABASE:
                _check_revision(app)
            ignored = app.timezone_ignored()
            if ignored:
                given, kept = ignored
                err.print(
                    self.t("settings.timezone_ignored", given=given, kept=kept), style="yellow"
                )
            self._app = app
        return self._app

    @property
    def locale(self) -> str:
        return self.settings.lang

    @property
    def actor(self) -> str:
        """Who a write acts as: signed in once per command, never guessed."""
        if self._actor is None:
            self._actor = self._sign_in()
        return self._actor

    def _sign_in(self) -> str:
        settings = self.settings
        if settings.user:
            password = settings.password
            if password is None and sys.stdin.isatty():
                password = typer.prompt(self.t("label.password"), hide_input=True)
            if password is None:
                raise Unauthenticated("auth.required", {})
            return auth.authenticate(self.app.uow(), settings.user, password)
        token = settings.token or sessions.load(settings)
        if token is None:
            raise Unauthenticated("auth.required", {})
        return auth.session_user(self.app.uow(), token)

    def t(self, code: str, **params: Any) -> str:
        return translate(code, self.locale, **params)

    def label(self, prefix: str, name: str) -> str:
        """A name from a vocabulary (a state, a step) in the user's language, if it has one."""
        return vocabulary(prefix, name, self.locale)


def state_change(st: State, before: str | None, after: str | None) -> str:
    """``草稿 → 审核中``: a step's from and to states, as the audit trail records them."""
    if after is None:
        return ""
    return (st.label("state.", before) + " " if before else "") + "→ " + st.label("state.", after)


def state(ctx: typer.Context) -> State:
    found = ctx.find_root().obj
    assert isinstance(found, State)
    return found


def day(value: str | None, option: str) -> date | None:
    """A day given on the command line (YYYY-MM-DD), refused in the user's language."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("date.invalid", {"field": option, "value": value}) from None


def check_writable(path: Path) -> None:
    """Refuse an output path before any work is done (an export is on the audit trail)."""
    if path.is_dir():
        raise Invalid("output.is_directory", {"path": str(path)})
    folder = path.parent
    if not folder.is_dir():
        raise Invalid("output.no_directory", {"path": str(path), "directory": str(folder)})
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise Invalid("output.not_writable", {"path": str(path)})


def write_file(path: Path, content: bytes) -> None:
    """Write an export whole; a failure (a full disk) is named, not a traceback."""
    try:
        path.write_bytes(content)
    except OSError:
        raise Invalid("output.not_writable", {"path": str(path)}) from None


def number(value: Decimal | None) -> str:
    return "" if value is None else f"{normalized(value):f}"


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


# How many rows a list shows at most; ``table`` says what it leaves out.
Limit = Annotated[int, typer.Option(min=1, max=1_000_000, help="Rows shown at most.")]


def table(
    st: State,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str = "",
    limit: int | None = None,
    whole: bool = True,
    newest_last: bool = False,
) -> None:
    """Print ``rows`` under ``columns``: at most ``limit``, saying what was left out.

    ``whole``: ``rows`` is the whole list, whose length is told; else its query asked for
    one row more than ``limit``, to learn that more exist. ``newest_last``: keep the last.
    """
    shown = list(rows)
    left_out = ""
    if limit is not None and len(shown) > limit:
        left_out = (
            st.t("label.rows_limited", shown=limit, total=len(shown))
            if whole
            else st.t("label.rows_limited_more", shown=limit)
        )
        shown = shown[-limit:] if newest_last else shown[:limit]
    grid = Table(title=title or None, show_lines=False, header_style="bold")
    for column in columns:
        numeric = column in (
            "label.on_hand",
            "label.reserved",
            "label.available",
            "label.quantity",
            "label.value",
            "label.in",
            "label.out",
            "label.balance",
            "label.sellable",
            "label.safety_buffer",
        )
        grid.add_column(st.t(column), justify="right" if numeric else "left")
    for row in shown:
        grid.add_row(*["" if cell is None else str(cell) for cell in row])
    out.print(grid)
    if left_out:
        err.print(left_out, style="dim")  # after the table; stdout keeps the rows alone


def file_bytes(path: Path) -> bytes:
    """What a file the user named holds.

    Raises:
        Invalid: file.not_found, file.is_folder, file.unreadable.
    """
    check_is_file(path)
    try:
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise Invalid("file.unreadable", {"file": str(path), "reason": reason}) from None


def file_text(path: Path) -> str:
    """A text file the user named, as UTF-8 (a byte-order mark is allowed).

    Raises:
        Invalid: file.not_found, file.unreadable, file.not_utf8.
    """
    content = file_bytes(path)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid("file.not_utf8", {"file": path.name, "byte": error.start}) from None


def report_error(error: DomainError, locale: str) -> int:
    """Print a domain error in the user's language, its items as a list; return the exit code."""
    where = (f"{error.params['pointer']} ", "yellow") if "pointer" in error.params else ""
    message = translate(error.code, locale, **error.params)
    err.print(
        Text.assemble(
            ("✗", "bold red"), " ", where, (message, "bold red"), (f"  ({error.code})", "dim")
        )
    )
    if len(error.items) > 1 or (error.items and error.items[0].code != error.code):
        for item in error.items:
            err.print(
                Text.assemble(
                    "  • ",
                    (item.pointer, "yellow"),
                    f" {translate(item.code, locale, **item.params)}",
                    (f"  ({item.code})", "dim"),
                )
            )
    return EXIT_CODES[error.category]


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"


FormatOption = Annotated[
    Format,
    typer.Option("--format", help="table on screen, or a csv / xlsx file (see --output)."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="The file to write (csv: standard output without)."),
]


def emit_file(
    st: State,
    output_format: Format,
    output: Path | None,
    columns: Sequence[Column],
    rows: list[Any],
    name: str,
) -> bool:
    """Write ``rows`` as a file when a file format was asked for; False: show a table."""
    if output_format is Format.TABLE:
        return False
    if output_format is Format.XLSX and output is None:
        raise Invalid("field.required", {"field": "--output"})
    if output is not None:
        check_writable(output)
    file = exports.export(columns, rows, ExportFormat(output_format.value), st.locale, name)
    if output is None:
        sys.stdout.buffer.write(file.content)
        sys.stdout.flush()
    else:
        write_file(output, file.content)
        out.print(str(output), highlight=False)
    return True
