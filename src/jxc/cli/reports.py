"""`jxc report`: the standard stock reports as a table, or as a CSV or XLSX file.

`jxc report stock` (库存状况表) and `jxc report ledger` (商品流水账) are the same commands as
`jxc stock list` and `jxc ledger`, listed here so every report sits in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import typer

from jxc import exports
from jxc.cli.output import (
    Format,
    FormatOption,
    OutputOption,
    State,
    day,
    emit_file,
    money,
    number,
    state,
    table,
)
from jxc.cli.stock import ledger, list_stock
from jxc.domain.periods import shown_time
from jxc.exports import Column
from jxc.queries import reports
from jxc.queries.reports import Scope

report = typer.Typer(
    help="Stock reports (报表), each as a table, CSV or XLSX.", no_args_is_help=True
)


Warehouse = Annotated[str | None, typer.Option(help="Only this warehouse.")]
Item = Annotated[str | None, typer.Option(help="Only this item.")]
Category = Annotated[str | None, typer.Option(help="Only items of this category.")]


def register(app: typer.Typer) -> None:
    app.add_typer(report, name="report")
    report.command("stock", help="库存状况表: the same as jxc stock list.")(list_stock)
    report.command("ledger", help="商品流水账: the same as jxc ledger.")(ledger)


@report.command(
    "summary", help="进销存汇总表: opening, in, out and closing per item and warehouse."
)
def summary(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    warehouse: Warehouse = None,
    item: Item = None,
    category: Category = None,
    output_format: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    st = state(ctx)
    first, last = day(start, "--from"), day(end, "--to")
    assert first is not None
    assert last is not None
    with st.app.reader() as connection:
        found = reports.stock_summary(connection, first, last, Scope(warehouse, item, category))
    rows = exports.totalled(found.rows, found.total, st.locale)
    if emit_file(st, output_format, output, exports.STOCK_SUMMARY, rows, "stock-summary"):
        return
    period = {"start": str(found.start), "end": str(found.end)}
    title = (
        st.t("label.report_since_snapshot", since=found.since, **period)
        if found.since
        else st.t("label.report_since_ledger", **period)
    )
    _table(st, exports.STOCK_SUMMARY, rows, title)


def _table(st: State, columns: Sequence[Column], rows: list[Any], title: str) -> None:
    table(
        st,
        [column.label for column in columns],
        [[_shown(st, column, row) for column in columns] for row in rows],
        title=title,
    )


def _shown(st: State, column: Column, row: Any) -> Any:
    value = column.value(row)
    if value is None:
        return ""
    if column.named is not None:
        return column.named(value, st.locale)
    if isinstance(value, Decimal):
        return money(value) if column.label.endswith("value") else number(value)
    if isinstance(value, datetime):
        return shown_time(value, st.app.zone)
    return value


@report.command("ageing", help="库龄分析: stock on hand by age (0–30 … over 365 days).")
def ageing(
    ctx: typer.Context,
    warehouse: Warehouse = None,
    item: Item = None,
    category: Category = None,
    output_format: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    st = state(ctx)
    today = st.app.today()
    with st.app.reader() as connection:
        found = reports.stock_ageing(connection, today, Scope(warehouse, item, category))
    rows = exports.totalled(found.rows, found.total, st.locale)
    if emit_file(st, output_format, output, exports.AGEING, rows, "stock-ageing"):
        return
    # On screen the quantities only: twelve bucket columns do not fit a terminal.
    shown = [
        c
        for c in exports.AGEING
        if not (c.label.startswith("label.age_") and c.label.endswith("_value"))
    ]
    _table(st, shown, rows, st.t("label.ageing_title", today=str(today)))


@report.command("dormant", help="呆滞分析: stock nothing has left its warehouse for N days.")
def dormant(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=0, max=reports.MAX_DAYS, help="Idle days.")] = (
        reports.DEFAULT_DORMANT_DAYS
    ),
    warehouse: Warehouse = None,
    item: Item = None,
    category: Category = None,
    output_format: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    st = state(ctx)
    today = st.app.today()
    with st.app.reader() as connection:
        found = reports.dormant_stock(connection, today, days, Scope(warehouse, item, category))
    if emit_file(st, output_format, output, exports.DORMANT, found.rows, "dormant-stock"):
        return
    title = st.t("label.dormant_title", days=days, today=str(today), value=money(found.total_value))
    _table(st, exports.DORMANT, found.rows, title)


@report.command("expiry", help="保质期预警: batches expired or expiring within N days.")
def expiry(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option(min=0, max=reports.MAX_DAYS, help="Days ahead.")
    ] = reports.DEFAULT_EXPIRY_DAYS,
    warehouse: Warehouse = None,
    item: Item = None,
    category: Category = None,
    output_format: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    st = state(ctx)
    today = st.app.today()
    with st.app.reader() as connection:
        found = reports.expiry_alert(connection, today, days, Scope(warehouse, item, category))
    if emit_file(st, output_format, output, exports.EXPIRY, found.rows, "expiry-alert"):
        return
    title = st.t("label.expiry_title", days=days, today=str(today), value=money(found.total_value))
    _table(st, exports.EXPIRY, found.rows, title)


@report.command("in-transit", help="调拨在途: transfers shipped and not yet received.")
def in_transit(
    ctx: typer.Context,
    warehouse: Annotated[str | None, typer.Option(help="Either end of the transfer.")] = None,
    item: Item = None,
    output_format: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    st = state(ctx)
    today = st.app.today()
    with st.app.reader() as connection:
        found = reports.in_transit(connection, today, Scope(warehouse, item), st.app.zone)
    if emit_file(st, output_format, output, exports.IN_TRANSIT, found.rows, "in-transit"):
        return
    title = st.t("label.in_transit_title", today=str(today), value=money(found.total_value))
    _table(st, exports.IN_TRANSIT, found.rows, title)
