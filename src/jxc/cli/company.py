"""`jxc company timezone`: the company's settings (公司设置), kept in its database."""

from __future__ import annotations

from typing import Annotated

import typer

from jxc.cli.output import RequestId, out, state
from jxc.domain.periods import zone_name
from jxc.services import company

company_app = typer.Typer(help="The company's settings (公司设置).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(company_app, name="company")


@company_app.command(
    "timezone",
    help="Show or change the company's time zone (公司时区): its business day, document "
    "numbers and the times shown, in every program that uses this database.",
)
def timezone(
    ctx: typer.Context,
    zone: Annotated[
        str | None,
        typer.Argument(
            help="An IANA name such as Asia/Shanghai, or an offset such as UTC+08:00 "
            "(UTC-05:00, not -05:00, west of Greenwich)."
        ),
    ] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    if zone is None:
        out.print(st.t("label.company_timezone", zone=zone_name(st.app.zone)))
        return
    kept = company.set_timezone(st.app.uow(), st.actor, zone, request_id=request_id)
    out.print(st.t("label.company_timezone_set", zone=kept))
