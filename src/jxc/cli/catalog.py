"""`jxc item …`, `jxc warehouse …`, `jxc location …`: master data."""

from __future__ import annotations

from typing import Annotated

import typer

from jxc.cli.output import Limit, RequestId, State, out, state, table
from jxc.domain.quantities import parse_decimal
from jxc.queries import catalog as catalog_queries
from jxc.services import catalog

items = typer.Typer(help="Items (商品档案).", no_args_is_help=True)
warehouses = typer.Typer(help="Warehouses (仓库).", no_args_is_help=True)
locations = typer.Typer(help="Locations (库位).", no_args_is_help=True)
units = typer.Typer(help="Units of measure (计量单位).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(items, name="item")
    app.add_typer(warehouses, name="warehouse")
    app.add_typer(locations, name="location")
    app.add_typer(units, name="unit")


def _pairs(values: list[str], option: str, st: State) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise typer.BadParameter(st.t("cli.pair_format", value=value), param_hint=option)
        pairs[key.strip()] = rest.strip()
    return pairs


@items.command(
    "add", help='Add an item: jxc item add 螺丝-M3 "螺丝 M3" --unit 个 --conversion 箱=12'
)
def add_item(
    ctx: typer.Context,
    code: str,
    name: str,
    unit: Annotated[str, typer.Option(help="Base unit (基本单位).")] = "个",
    category: Annotated[str | None, typer.Option(help="Category (类别).")] = None,
    specification: Annotated[
        str | None, typer.Option("--spec", help="Specification (规格型号).")
    ] = None,
    tracking: Annotated[str, typer.Option(help="none, batch (批次) or serial (序列号).")] = "none",
    shelf_life: Annotated[int | None, typer.Option(help="Shelf life in days (保质期).")] = None,
    conversion: Annotated[list[str], typer.Option(help="UNIT=RATIO, e.g. 箱=12 (换算率).")] = [],  # noqa: B006
    barcode: Annotated[list[str], typer.Option(help="BARCODE or BARCODE=UNIT (条码).")] = [],  # noqa: B006
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    barcodes = {}
    for value in barcode:
        code_part, _, unit_part = value.partition("=")
        barcodes[code_part] = unit_part or unit
    created = catalog.add_item(
        st.app.uow(),
        st.actor,
        {
            "code": code,
            "name": name,
            "base_unit": unit,
            "category": category,
            "specification": specification,
            "tracking": tracking,
            "shelf_life_days": shelf_life,
            "units": _pairs(conversion, "--conversion", st),
            "barcodes": barcodes,
        },
        request_id=request_id,
    )
    out.print(st.t("label.item_added", item=created.code))


@items.command("unit", help="Let an item be counted in another unit: jxc item unit 螺丝-M3 箱 12")
def add_unit(
    ctx: typer.Context, item: str, unit: str, ratio: str, request_id: RequestId = None
) -> None:
    st = state(ctx)
    catalog.add_unit_conversion(
        st.app.uow(),
        st.actor,
        item,
        unit,
        parse_decimal(ratio, "number.invalid"),
        request_id=request_id,
    )
    out.print(st.t("label.saved"))


@items.command("barcode", help="Give an item another barcode, for a unit.")
def add_barcode(
    ctx: typer.Context,
    item: str,
    barcode: str,
    unit: Annotated[str | None, typer.Option(help="Unit the barcode counts.")] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    catalog.add_barcode(st.app.uow(), st.actor, item, barcode, unit, request_id=request_id)
    out.print(st.t("label.saved"))


@items.command(
    "tolerance",
    help="超订单入库: receipts may go PERCENT over their order: jxc item tolerance LS-001 5",
)
def set_tolerance(
    ctx: typer.Context, item: str, percent: str, request_id: RequestId = None
) -> None:
    st = state(ctx)
    catalog.set_tolerance(st.app.uow(), st.actor, item, percent, request_id=request_id)
    out.print(st.t("label.tolerance_set", item=item, percent=percent))


@items.command("list", help="List items (商品档案).")
def list_items(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Part of a code or name.")] = None,
    limit: Limit = 100,
) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = catalog_queries.items(connection, search, limit + 1)
    table(
        st,
        [
            "label.code",
            "label.name",
            "label.category",
            "label.specification",
            "label.unit",
            "label.tracking",
            "label.units",
        ],
        [
            (
                r.code,
                r.name,
                r.category,
                r.specification,
                r.unit,
                st.t(f"tracking.{r.tracking}"),
                r.units,
            )
            for r in rows
        ],
        limit=limit,
        whole=False,
    )


@warehouses.command("add", help="Add a warehouse with its STOCK and TRANSIT locations.")
def add_warehouse(
    ctx: typer.Context,
    code: str,
    name: str,
    allow_negative: Annotated[
        bool, typer.Option(help="Allow negative stock (允许负库存).")
    ] = False,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    catalog.add_warehouse(
        st.app.uow(),
        st.actor,
        {"code": code, "name": name, "allow_negative_stock": allow_negative},
        request_id=request_id,
    )
    out.print(st.t("label.warehouse_added", warehouse=code))


@warehouses.command("negative-stock", help="Allow or forbid negative stock in a warehouse.")
def negative_stock(
    ctx: typer.Context,
    code: str,
    allow: Annotated[bool, typer.Option("--allow/--forbid", help="Which of the two: no default.")],
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    catalog.set_negative_stock(st.app.uow(), st.actor, code, allow, request_id=request_id)
    out.print(st.t("label.saved"))


@warehouses.command("list", help="List warehouses.")
def list_warehouses(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = catalog_queries.warehouses(connection)
    table(
        st,
        ["label.code", "label.name", "label.negative_allowed", "label.location"],
        [(r.code, r.name, "✓" if r.allow_negative_stock else "", r.locations) for r in rows],
    )


@locations.command("add", help='Add a location: jxc location add WH01 A-01-01 "A区1排1层"')
def add_location(
    ctx: typer.Context,
    warehouse: str,
    code: str,
    name: str,
    parent: Annotated[str | None, typer.Option(help="Parent location (default STOCK).")] = None,
    usage: Annotated[
        str, typer.Option(help="receiving, qc, storage, picking or shipping.")
    ] = "storage",
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    catalog.add_location(
        st.app.uow(),
        st.actor,
        {"warehouse": warehouse, "code": code, "name": name, "parent": parent, "usage": usage},
        request_id=request_id,
    )
    out.print(st.t("label.location_added", location=code, warehouse=warehouse))


@locations.command("list", help="List locations, virtual ones included.")
def list_locations(ctx: typer.Context, warehouse: str | None = None) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = catalog_queries.locations(connection, warehouse)
    table(
        st,
        [
            "label.warehouse",
            "label.code",
            "label.name",
            "label.kind",
            "fieldname.usage",
            "fieldname.parent",
        ],
        [
            (
                r.warehouse,
                r.code,
                r.name,
                st.t(f"location_kind.{r.kind}"),
                st.t(f"location_usage.{r.usage}") if r.usage else "",
                r.parent,
            )
            for r in rows
        ],
    )


@units.command("add", help="Add a unit of measure: jxc unit add 罐 罐 --decimals 0")
def add_unit_of_measure(
    ctx: typer.Context,
    code: str,
    name: str,
    decimals: Annotated[
        int, typer.Option(help="Decimals a quantity in it may have, 0 to 6 (小数位数).")
    ] = 0,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    catalog.add_unit(st.app.uow(), st.actor, code, name, decimals, request_id=request_id)
    out.print(st.t("label.unit_added", unit=code))


@units.command("list", help="List the units of measure.")
def list_units(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = catalog_queries.units(connection)
    table(
        st,
        ["label.code", "label.name", "label.decimals"],
        [(r.code, r.name, r.decimals) for r in rows],
    )
