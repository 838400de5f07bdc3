"""`jxc period close / reopen / list` (结账 / 反结账) and `jxc stock as-of DATE`."""

from __future__ import annotations

from typing import Annotated

import typer

from jxc.cli.output import RequestId, day, money, number, out, state, table
from jxc.domain.errors import Invalid
from jxc.domain.periods import shown_time
from jxc.queries import periods as period_queries
from jxc.services import periods

periods_app = typer.Typer(help="Period close (结账).", no_args_is_help=True)


def register(app: typer.Typer, stock_app: typer.Typer) -> None:
    app.add_typer(periods_app, name="period")
    stock_app.command("as-of", help="Stock and value at the end of a past day (期末库存).")(as_of)


@periods_app.command("close", help="Close a month: nothing more is booked into it (结账).")
def close(
    ctx: typer.Context,
    period: Annotated[str, typer.Argument(help="YYYY-MM")],
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    closed = periods.close(st.app.uow(), st.actor, period, request_id=request_id)
    out.print(st.t("label.period_closed", period=closed.period, balances=closed.balances))


@periods_app.command("reopen", help="Reopen the latest closed month, saying why (反结账).")
def reopen(
    ctx: typer.Context,
    period: Annotated[str, typer.Argument(help="YYYY-MM")],
    reason: Annotated[str, typer.Option(help="Why it is reopened (recorded).")] = "",
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    periods.reopen(st.app.uow(), st.actor, period, reason, request_id=request_id)
    out.print(st.t("label.period_reopened", period=period))


@periods_app.command("list", help="Closed months, newest first, reopened ones included.")
def list_periods(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = period_queries.closes(connection)
    table(
        st,
        ["label.period", "label.closed", "label.balances", "label.reopened", "label.reason"],
        [
            (
                r.period,
                f"{shown_time(r.closed_at, st.app.zone)} {r.closed_by}",
                r.balances,
                f"{shown_time(r.reopened_at, st.app.zone)} {r.reopened_by}"
                if r.reopened_at
                else "",
                r.reopen_reason,
            )
            for r in rows
        ],
    )


def as_of(
    ctx: typer.Context,
    when: Annotated[str, typer.Argument(metavar="DAY", help="YYYY-MM-DD")],
    warehouse: Annotated[str | None, typer.Option(help="Warehouse code.")] = None,
    item: Annotated[str | None, typer.Option(help="Item code.")] = None,
) -> None:
    st = state(ctx)
    wanted = day(when, "DAY")
    assert wanted is not None
    today = st.app.today()
    if wanted > today:  # its end has not come: no stock "at the end of" it yet
        raise Invalid("date.after_today", {"date": wanted.isoformat(), "today": today})
    with st.app.reader() as connection:
        start, rows = period_queries.stock_as_of(connection, wanted, warehouse, item)
    if start is None:  # no month closed before it: summed from the first ledger entry
        out.print(st.t("label.as_of_from_ledger", day=wanted.isoformat()))
    else:
        out.print(st.t("label.as_of", day=wanted.isoformat(), start=start))
    table(
        st,
        [
            "label.warehouse",
            "label.location",
            "label.item",
            "label.name",
            "label.batch",
            "label.quantity",
            "label.value",
        ],
        [
            (r.warehouse, r.location, r.item, r.name, r.batch, number(r.quantity), money(r.value))
            for r in rows
        ],
    )
