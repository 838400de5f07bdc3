"""`jxc`: global options, the sub-commands, and the one place errors become exit codes.

Exit codes: 0 ok, 1 unexpected, 2 usage, 3 not found, 4 invalid, 5 conflict,
6 forbidden, 7 confirmation required, 8 database unreachable.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer import TyperException
from typer.core import TyperGroup

import jxc
from jxc.cli import (
    audit,
    bench,
    catalog,
    checks,
    company,
    documents,
    helptext,
    kpi,
    partners,
    periods,
    replenishment,
    reports,
    serve,
    setup,
    sop,
    stock,
    stocktakes,
    users,
)
from jxc.cli.output import State, err, failed, out, report_error
from jxc.cli.usage import USAGE_EXIT_CODE, help_hint, is_usage_error, locale_of, usage_message
from jxc.config import SUPPORTED_LOCALES, Settings, normalize_locale
from jxc.domain.errors import DomainError
from jxc.i18n.messages import translate


class JxcGroup(TyperGroup):
    def main(  # type: ignore[override]  # the same call, standalone_mode by keyword only
        self, args: Sequence[str] | None = None, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        """As Click's, with usage errors told in the user's language (exit 2)."""
        if not standalone_mode:
            return super().main(args, standalone_mode=False, **extra)
        given = sys.argv[1:] if args is None else list(args)
        helptext.speak(self, locale_of(given))
        try:
            code = super().main(given, standalone_mode=False, **extra)
        except typer.Abort:  # Ctrl-C or end of input at a prompt
            err.print(translate("label.aborted", locale_of(given)))
            sys.exit(1)
        except TyperException as error:  # Click's errors, as Typer carries them
            if not is_usage_error(error):
                if not hasattr(error, "show"):
                    raise
                error.show()  # a file option that cannot be opened, in Click's words
                sys.exit(getattr(error, "exit_code", 1))
            locale = locale_of(given)
            err.print(failed(usage_message(error, locale)))
            err.print(help_hint(error, locale), style="dim")
            sys.exit(USAGE_EXIT_CODE)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as error:
            found = ctx.find_root().obj
            locale = found.locale if isinstance(found, State) else Settings().lang
            ctx.exit(report_error(error, locale))


app = typer.Typer(
    cls=JxcGroup,
    name="jxc",
    help="JXC 进销存: the books always match the shelves (账实相符).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(shown: bool) -> None:
    if shown:
        out.print(f"jxc {jxc.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="JXC_DATABASE_URL",
            help="Database URL (sqlite:///path or postgresql://…).",
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", envvar="JXC_LANG", help="zh-CN or en (消息语言).")
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Show the version and exit."
        ),
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            envvar="JXC_USER",
            help="Act as this user (操作员); the password comes from JXC_PASSWORD or a prompt. "
            "Without it, the user signed in with jxc login acts.",
        ),
    ] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if database_url:
        overrides["database_url"] = database_url
    if lang:
        try:
            overrides["lang"] = normalize_locale(lang)
        except ValueError:
            shown = ", ".join(locale.replace("_", "-") for locale in SUPPORTED_LOCALES)
            reason = translate("cli.language_unknown", Settings().lang, lang=lang, languages=shown)
            raise typer.BadParameter(reason, param_hint="--lang") from None
    if user:
        overrides["user"] = user
    ctx.obj = State(Settings(**overrides), command=ctx.invoked_subcommand)


setup.register(app)
catalog.register(app)
documents.register(app)
stock.register(app)
checks.register(app)
audit.register(app)
users.register(app)
periods.register(app, stock.stock)
sop.register(app)
partners.register(app)
stocktakes.register(app)
kpi.register(app)
reports.register(app)
replenishment.register(app)
bench.register(app)
serve.register(app)
company.register(app)


def run() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print(translate("label.interrupted", Settings().lang))
        raise SystemExit(130) from None
