"""`jxc stocktake …`: plan, start, count, hand in, approve (盘点)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jxc.cli.documents import Scans, scanned_lines
from jxc.cli.output import RequestId, State, number, out, state, table
from jxc.i18n.messages import listed
from jxc.services import stocktakes
from jxc.services.stocktakes import StocktakeResult

stocktake_app = typer.Typer(
    help="Stocktakes (盘点): plan → start → count → hand-in → approve.", no_args_is_help=True
)

Number = Annotated[str, typer.Argument(help="The stocktake's number, e.g. PD202611260001.")]


def register(app: typer.Typer) -> None:
    app.add_typer(stocktake_app, name="stocktake")


def _posted(st: State, gain: str | None, loss: str | None) -> None:
    """盘盈: RK…  /  盘亏: CK…, the documents an approval posted."""
    for name, document in (("label.count_gain", gain), ("label.count_loss", loss)):
        if document:
            out.print(f"{st.t(name)}: {document}")


def _awaiting_second(st: State, waiting: dict[str, Any]) -> None:
    """盘盈金额 / 盘亏金额 … 须由…二级审核后过账 (a record from before gains weighed: a loss)."""
    gain = waiting.get("difference") == "gain"
    out.print(st.t("label.stocktake_second_approval" + ("_gain" if gain else ""), **waiting))


def _report(st: State, result: StocktakeResult) -> None:
    out.print(
        st.t(
            "label.stocktake_result",
            number=result.number,
            state=st.label("state.", result.state),
            lines=result.lines,
        )
    )
    if result.recounts:
        out.print(st.t("label.stocktake_recounts", count=result.recounts))
    _posted(st, result.gain, result.loss)
    for given in result.released:
        out.print(st.t("label.stocktake_released", **given))
    if result.second_approval:
        _awaiting_second(st, result.second_approval)


@stocktake_app.command(
    "plan",
    help="Plan a count: jxc stocktake plan --warehouse SH01 [--location A] [--category 五金] "
    "[--abc A] [--not-counted-days 90] [--tolerance 5] [--open]",
)
def plan(
    ctx: typer.Context,
    warehouse: Annotated[str, typer.Option(help="The warehouse counted.")],
    location: Annotated[
        list[str], typer.Option(help="A location counted, with those below it (repeat).")
    ] = [],  # noqa: B006
    category: Annotated[str | None, typer.Option(help="Only items of this category.")] = None,
    abc: Annotated[
        str | None, typer.Option(help="Cycle count: only class A, B or C by stock value.")
    ] = None,
    not_counted_days: Annotated[
        int | None, typer.Option(help="Cycle count: only items not counted for N days.")
    ] = None,
    tolerance: Annotated[
        str, typer.Option(help="Lines differing by more than this percent are recounted.")
    ] = "5",
    open_count: Annotated[
        bool, typer.Option("--open", help="Counters see the book quantity (not blind).")
    ] = False,
    note: Annotated[str | None, typer.Option(help="A note on the plan.")] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    fields = {
        "warehouse": warehouse,
        "locations": location,
        "category": category,
        "abc_class": abc,
        "not_counted_days": not_counted_days,
        "tolerance_percent": tolerance,
        "blind": not open_count,
        "note": note,
    }
    result = stocktakes.plan(
        st.app.uow(),
        st.actor,
        {key: value for key, value in fields.items() if value is not None},
        request_id=request_id,
    )
    _report(st, result)


@stocktake_app.command("start", help="Start counting: the book quantities are frozen now.")
def start(ctx: typer.Context, stocktake: Number, request_id: RequestId = None) -> None:
    st = state(ctx)
    _report(st, stocktakes.start(st.app.uow(), st.actor, stocktake, request_id))


@stocktake_app.command(
    "count",
    help="Record counts at a location: jxc stocktake count PD… --location A-01 "
    "--scan 螺丝:12 --scan 胶水:3:B2611 --scan 水泵:2::SN-1,SN-2 (totals; a serial-tracked "
    "item by its serials; --add adds to what was counted).",
)
def count(
    ctx: typer.Context,
    stocktake: Number,
    scan: Scans,
    location: Annotated[
        str | None, typer.Option(help="Where it was counted (default: the main location).")
    ] = None,
    add: Annotated[bool, typer.Option("--add", help="Add to the count instead of setting it.")] = (
        False
    ),
    expiry: Annotated[
        str | None,
        typer.Option(
            help="YYYY-MM-DD: expiry of a batch the books do not know, found on the shelf (盘盈)."
        ),
    ] = None,
    production: Annotated[
        str | None,
        typer.Option(help="YYYY-MM-DD: its production date (an item with no shelf life)."),
    ] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    given = {"expiry_date": expiry, "production_date": production}
    dated = {field: day for field, day in given.items() if day}
    lines = [
        {**line, "location": location, **(dated if line["batch"] else {})}
        for line in scanned_lines(scan, st)
    ]
    result = stocktakes.count(
        st.app.uow(),
        st.actor,
        stocktake,
        {"mode": "add" if add else "set", "lines": lines},
        request_id,
    )
    _report(st, result)


@stocktake_app.command(
    "hand-in", help="交盘: the count is done; lines over tolerance are recounted."
)
def hand_in(ctx: typer.Context, stocktake: Number, request_id: RequestId = None) -> None:
    st = state(ctx)
    _report(st, stocktakes.hand_in(st.app.uow(), st.actor, stocktake, request_id))


@stocktake_app.command("approve", help="审核: post 盘盈 / 盘亏 for every difference.")
def approve(ctx: typer.Context, stocktake: Number, request_id: RequestId = None) -> None:
    st = state(ctx)
    _report(st, stocktakes.approve(st.app.uow(), st.actor, stocktake, request_id))


@stocktake_app.command("cancel", help="作废: drop a stocktake not approved yet.")
def cancel(
    ctx: typer.Context,
    stocktake: Number,
    reason: Annotated[str, typer.Option(help="Why (kept on the audit trail).")],
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    _report(st, stocktakes.cancel(st.app.uow(), st.actor, stocktake, reason, request_id))


@stocktake_app.command("list", help="Stocktakes, newest first.")
def list_stocktakes(
    ctx: typer.Context,
    state_name: Annotated[str | None, typer.Option("--state", help="Only in this state.")] = None,
) -> None:
    st = state(ctx)
    rows = stocktakes.listing(st.app.uow(), st.actor, state_name)
    table(
        st,
        [
            "label.stocktake",
            "label.warehouse",
            "label.state",
            "label.line_count",
            "label.counted_lines",
            "label.recounts",
            "label.count_gain",
            "label.count_loss",
        ],
        (
            [
                row.number,
                row.warehouse,
                st.label("state.", row.state),
                row.lines,
                row.counted,
                row.recounts,
                row.gain,
                row.loss,
            ]
            for row in rows
        ),
    )


@stocktake_app.command("show", help="One stocktake's lines (blind: without the book).")
def show(ctx: typer.Context, stocktake: Number) -> None:
    st = state(ctx)
    view = stocktakes.view(st.app.uow(), st.actor, stocktake)
    header = view.stocktake
    out.print(
        f"{header.number}  {header.warehouse}  {st.label('state.', header.state)}"
        + (f"  {st.t('label.blind_count')}" if header.blind else "")
    )
    _posted(st, header.gain, header.loss)
    if view.second_approval:
        _awaiting_second(st, view.second_approval)
    columns = ["label.location", "label.item", "label.batch"]
    if view.shows_book:
        columns += ["label.book_quantity"]
    columns += ["label.counted_quantity", "label.recounted_quantity"]
    if view.shows_book:
        columns += ["label.difference"]
    rows = []
    for row in view.lines:
        line = row.line
        cells = [row.location, f"{row.item} {row.item_name}", row.batch]
        if view.shows_book:
            cells.append(number(line.book_quantity))
        cells += [
            number(line.counted),
            st.t("label.awaiting_recount") if line.awaits_recount else number(line.recounted),
        ]
        if view.shows_book:
            cells.append(number(line.difference))
        rows.append(cells)
    table(st, columns, rows)
    for row in view.lines:
        change = view.serial_changes.get(row.line.id)
        for label, serials in (
            ("label.count_gain", change.found_serials if change else ()),
            ("label.count_loss", change.missing_serials if change else ()),
        ):
            if serials:
                out.print(f"{row.label}  {st.t(label)} {listed(serials, st.locale)}")
        for notice in view.notices.get(row.line.id, []):
            out.print(f"⚠ {row.label}  {st.t(notice.code, **notice.params)}")
