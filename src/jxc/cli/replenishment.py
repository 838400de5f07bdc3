"""`jxc alerts` (库存预警) and `jxc replenish …` (安全库存 / 再订货点 / 最高库存, 补货建议)."""

from __future__ import annotations

from typing import Annotated

import typer

from jxc.cli.output import RequestId, State, number, out, state, table
from jxc.domain.replenishment import DEFAULT_USAGE_DAYS, MAX_USAGE_DAYS
from jxc.queries import reports
from jxc.services import replenishment
from jxc.services.replenishment import Suggestion

alerts_app = typer.Typer(
    help="库存预警: stock below its levels, batches near expiry, negative balances, "
    "refused oversell attempts (拒绝超卖, the last 7 days).",
    invoke_without_command=True,
)
replenish_app = typer.Typer(
    help="补货: stock levels per warehouse, suggestions, drafts from them.", no_args_is_help=True
)

Warehouse = Annotated[str, typer.Option(help="The warehouse, e.g. SH01.")]
Days = Annotated[
    int, typer.Option("--days", min=0, max=reports.MAX_DAYS, help="保质期预警: days ahead.")
]
UsageDays = Annotated[
    int,
    typer.Option(min=1, max=MAX_USAGE_DAYS, help="Average daily usage over this many days."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(replenish_app, name="replenish")


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse.")] = None,
    days: Days = reports.DEFAULT_EXPIRY_DAYS,
    check: Annotated[
        bool, typer.Option("--check", help="Also what jxc check finds (reads the whole ledger).")
    ] = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    st = state(ctx)
    found = replenishment.alerts(st.app.uow(), st.actor, warehouse, days, check)
    if not found:
        out.print(st.t("label.no_alerts"))
        return
    table(
        st,
        [
            "label.alert_kind",
            "label.warehouse",
            "label.item",
            "label.location",
            "label.batch",
            "label.quantity",
            "label.threshold",
            "label.expiry_date",
            "label.document",
        ],
        [
            (
                st.label("alert.", row.kind),
                row.warehouse,
                row.item,
                row.location,
                row.batch,
                number(row.quantity),
                number(row.threshold),
                row.expiry_date,
                f"{row.document} {row.actor}" if row.document else None,
            )
            for row in found
        ],
        st.t("label.web_alerts"),
    )


@alerts_app.command("publish", help="Write new alerts to the outbox, once each (run from cron).")
def publish(
    ctx: typer.Context,
    days: Days = reports.DEFAULT_EXPIRY_DAYS,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Also what jxc check finds.")
    ] = True,
) -> None:
    st = state(ctx)
    written = replenishment.publish_alerts(st.app.uow(), st.actor, days, check)
    out.print(st.t("label.alerts_published", count=written))


@replenish_app.command(
    "levels",
    help="Set an item's levels in a warehouse: jxc replenish levels 螺丝 --warehouse SH01 "
    "--safety 10 --reorder 20 --max 60 (base unit).",
)
def levels(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item's code.")],
    warehouse: Warehouse,
    reorder: Annotated[str, typer.Option(help="再订货点: suggest at or below this.")],
    maximum: Annotated[str, typer.Option("--max", help="最高库存: suggest up to this.")],
    safety: Annotated[str, typer.Option(help="安全库存: alert below this.")] = "0",
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    result = replenishment.set_levels(
        st.app.uow(),
        st.actor,
        {
            "item": item,
            "warehouse": warehouse,
            "safety_stock": safety,
            "reorder_point": reorder,
            "max_quantity": maximum,
        },
        request_id,
    )
    out.print(
        st.t(
            "label.levels_result",
            item=result.item,
            warehouse=result.warehouse,
            safety_stock=number(result.safety_stock),
            reorder_point=number(result.reorder_point),
            max_quantity=number(result.max_quantity),
        )
    )


@replenish_app.command("list", help="The levels set, with the stock they watch.")
def list_levels(
    ctx: typer.Context,
    warehouse: Annotated[str | None, typer.Option(help="Only this warehouse.")] = None,
) -> None:
    st = state(ctx)
    rows = replenishment.level_rows(st.app.uow(), st.actor, warehouse)
    table(
        st,
        [
            "label.warehouse",
            "label.item",
            "label.unit",
            "label.safety_stock",
            "label.reorder_point",
            "label.max_quantity",
            "label.on_hand",
            "label.available",
        ],
        [
            (
                row.warehouse,
                row.item,
                row.unit,
                number(row.safety_stock),
                number(row.reorder_point),
                number(row.max_quantity),
                number(row.on_hand),
                number(row.available),
            )
            for row in rows
        ],
    )


def _sources(st: State, suggestion: Suggestion) -> str:
    parts = []
    for source in suggestion.sources:
        where = (
            st.t("label.source_transfer", warehouse=source.warehouse)
            if source.warehouse
            else st.t("label.source_purchase", supplier=source.supplier or "?")
        )
        parts.append(f"{where} {number(source.quantity)}")
    return "; ".join(parts)


@replenish_app.command("suggest", help="补货建议 for a warehouse: what to bring in, from where.")
def suggest(
    ctx: typer.Context, warehouse: Warehouse, usage_days: UsageDays = DEFAULT_USAGE_DAYS
) -> None:
    st = state(ctx)
    found = replenishment.suggest(st.app.uow(), st.actor, warehouse, usage_days)
    if not found:
        out.print(st.t("label.no_suggestions", warehouse=warehouse))
        return
    table(
        st,
        [
            "label.item",
            "label.unit",
            "label.available",
            "label.on_order",
            "label.reorder_point",
            "label.max_quantity",
            "label.average_daily_usage",
            "label.suggested_quantity",
            "label.replenish_source",
        ],
        [
            (
                row.item,
                row.unit,
                number(row.on_hand - row.reserved),
                number(row.on_order),
                number(row.reorder_point),
                number(row.max_quantity),
                number(row.average_daily_usage),
                number(row.quantity),
                _sources(st, row),
            )
            for row in found
        ],
        st.t("label.web_replenish"),
    )


@replenish_app.command(
    "accept",
    help="生成草稿单据: the suggestions as draft transfers and purchase orders, in one go.",
)
def accept(
    ctx: typer.Context,
    warehouse: Warehouse,
    item: Annotated[list[str], typer.Option(help="Only this item (repeat).")] = [],  # noqa: B006
    supplier: Annotated[
        str | None, typer.Option(help="Buy from this supplier (default: the last one).")
    ] = None,
    usage_days: UsageDays = DEFAULT_USAGE_DAYS,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    data: dict[str, object] = {"warehouse": warehouse, "items": item, "usage_days": usage_days}
    if supplier is not None:
        data["supplier"] = supplier
    result = replenishment.accept(st.app.uow(), st.actor, data, request_id)
    out.print(st.t("label.replenish_accepted", count=len(result.documents), lines=result.lines))
    for document in result.documents:
        out.print(f"  {document}")
