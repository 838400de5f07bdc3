"""`jxc stock`, `jxc ledger`, `jxc trace`: what is where, how it moved, where it came from."""

from __future__ import annotations

from typing import Annotated

import typer

from jxc import exports
from jxc.cli.output import (
    Format,
    FormatOption,
    Limit,
    OutputOption,
    State,
    day,
    emit_file,
    money,
    number,
    out,
    state,
    table,
)
from jxc.domain.quantities import parse_decimal
from jxc.queries import movements, stock_levels

stock = typer.Typer(help="Stock queries (库存查询).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(stock, name="stock")
    app.command("ledger", help="商品流水账: every movement of an item, with running balance.")(
        ledger
    )
    app.command("trace", help="Trace a batch, a serial or a document forward and backward.")(trace)


@stock.command("list", help="Stock by item, warehouse, location and batch (库存状况表).")
def list_stock(
    ctx: typer.Context,
    warehouse: str | None = None,
    item: str | None = None,
    location: str | None = None,
    batch: str | None = None,
    limit: Limit = 200,
    output_format: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = stock_levels.stock_rows(connection, warehouse, item, location, batch)
    if emit_file(st, output_format, output, exports.STOCK, rows, "stock"):
        return
    table(
        st,
        [
            "label.warehouse",
            "label.location",
            "label.item",
            "label.name",
            "label.batch",
            "label.expiry",
            "label.on_hand",
            "label.reserved",
            "label.available",
            "label.unit",
        ],
        [
            (
                r.warehouse,
                r.location,
                r.item,
                r.item_name,
                r.batch,
                r.expiry_date,
                number(r.on_hand),
                number(r.reserved),
                number(r.available),
                r.unit,
            )
            for r in rows
        ],
        limit=limit,
    )


@stock.command("item", help="On hand, reserved and available of one item in one warehouse.")
def item_stock(ctx: typer.Context, item: str, warehouse: str) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        level = stock_levels.on_hand(connection, item, warehouse)
    table(
        st,
        ["label.item", "label.warehouse", "label.on_hand", "label.reserved", "label.available"],
        [
            (
                level.item,
                level.warehouse,
                number(level.on_hand),
                number(level.reserved),
                number(level.available),
            )
        ],
    )


def show_warehouse_stock(
    st: State, warehouse: str, limit: int | None = 500, by_value: bool = False, top: int = 0
) -> None:
    """Every item of ``warehouse`` up to ``limit``, or a glance at its ``top`` (by value, say)."""
    with st.app.reader() as connection:
        rows = stock_levels.warehouse_stock(connection, warehouse)
    if by_value:
        rows.sort(key=lambda row: row.value, reverse=True)
    count = len(rows)
    if top:
        rows, limit = rows[:top], None
    table(
        st,
        [
            "label.item",
            "label.name",
            "label.on_hand",
            "label.available",
            "label.unit",
            "label.value",
        ],
        [
            (r.item, r.item_name, number(r.on_hand), number(r.available), r.unit, money(r.value))
            for r in rows
        ],
        title=st.t("label.warehouse_stock_title", warehouse=warehouse, count=count),
        limit=limit,
    )


@stock.command("warehouse", help="Every item in one warehouse, with its value.")
def warehouse_stock(
    ctx: typer.Context,
    warehouse: str,
    limit: Limit = 500,
    by_value: Annotated[bool, typer.Option(help="Largest value first.")] = False,
) -> None:
    show_warehouse_stock(state(ctx), warehouse, limit, by_value)


@stock.command("serials", help="The serial numbers of an item on a warehouse's shelves.")
def serials(ctx: typer.Context, item: str, warehouse: str) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        found = stock_levels.serials_in_stock(connection, item, warehouse)
    table(
        st,
        ["label.serial", "label.location"],
        [(serial.serial, serial.location) for serial in found],
        title=st.t("label.serials_title", item=item, warehouse=warehouse, count=len(found)),
    )


@stock.command(
    "fefo",
    help="Which batches an issue would take, earliest expiry first (近效期先出).",
    # -5 is a quantity to refuse by name, not an option nobody has
    context_settings={"ignore_unknown_options": True},
)
def fefo(ctx: typer.Context, item: str, warehouse: str, quantity: str) -> None:
    st = state(ctx)
    amount = parse_decimal(quantity)
    with st.app.reader() as connection:
        suggestion = stock_levels.fefo_suggestion(
            connection, item, warehouse, amount, st.app.today()
        )
    table(
        st,
        ["label.location", "label.batch", "label.expiry", "label.quantity"],
        [
            (slot.location.code, slot.batch_no, slot.expiry_date, number(taken))
            for slot, taken in suggestion.picks
        ],
        title=st.t("label.suggestion", quantity=quantity, item=item, warehouse=warehouse),
    )
    if suggestion.missing > 0:
        out.print(st.t("label.short", quantity=number(suggestion.missing)))
    if suggestion.expired > 0:
        out.print(st.t("label.expired_left_out", quantity=number(suggestion.expired)))


def ledger(
    ctx: typer.Context,
    item: str,
    warehouse: str | None = None,
    start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    output_format: FormatOption = Format.TABLE,
    output: OutputOption = None,
) -> None:
    st = state(ctx)
    first, last = day(start, "--from"), day(end, "--to")
    with st.app.reader() as connection:
        opening, lines = movements.item_ledger(connection, item, warehouse, first, last)
    if emit_file(st, output_format, output, exports.LEDGER, lines, "ledger"):
        return
    out.print(st.t("label.opening", quantity=number(opening)))
    table(
        st,
        [
            "label.date",
            "label.document",
            "label.type",
            "label.batch",
            "label.serial",
            "label.from",
            "label.to",
            "label.in",
            "label.out",
            "label.balance",
            "label.partner",
            "label.user",
        ],
        [
            (
                m.business_date,
                m.document,
                st.t(f"document_type.{m.document_type}"),
                m.batch,
                m.serial,
                st.label("place.", m.from_location),
                st.label("place.", m.to_location),
                number(m.change) if m.change > 0 else "",
                number(-m.change) if m.change < 0 else "",
                number(m.balance),
                m.partner,
                m.user,
            )
            for m in lines
        ],
    )


def trace(
    ctx: typer.Context,
    batch: Annotated[str | None, typer.Option(help="Batch number (with --item).")] = None,
    item: Annotated[str | None, typer.Option(help="Item of the batch or serial.")] = None,
    serial: Annotated[str | None, typer.Option(help="Serial number.")] = None,
    document: Annotated[str | None, typer.Option(help="Document number.")] = None,
) -> None:
    st = state(ctx)
    if sum(x is not None for x in (batch, serial, document)) != 1:
        raise typer.BadParameter(st.t("cli.trace_one_of"))
    if batch is not None and item is None:
        raise typer.BadParameter(st.t("cli.batch_needs_item"), param_hint="--item")
    with st.app.reader() as connection:
        if batch is not None and item is not None:
            found = movements.trace_batch(connection, item, batch)
        elif serial is not None:
            found = movements.trace_serial(connection, serial, item)
        else:
            assert document is not None
            found = movements.trace_document(connection, document)
    out.print(found.subject, style="bold")
    middle = "label.trace_document" if document is not None else "label.trace_movements"
    for title, moves in (
        ("label.trace_backward", found.backward),
        (middle, found.movements),
        ("label.trace_forward", found.forward),
    ):
        if moves or title == middle:
            table(
                st,
                [
                    "label.date",
                    "label.document",
                    "label.type",
                    "label.item",
                    "label.batch",
                    "label.serial",
                    "label.from",
                    "label.to",
                    "label.quantity",
                    "label.user",
                ],
                [
                    (
                        m.business_date,
                        m.document,
                        st.t(f"document_type.{m.document_type}"),
                        m.item,
                        m.batch,
                        m.serial,
                        st.label("place.", m.from_location),
                        st.label("place.", m.to_location),
                        number(m.quantity),
                        m.user,
                    )
                    for m in moves
                ],
                title=st.t(title),
            )
