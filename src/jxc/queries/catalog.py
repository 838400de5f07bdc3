"""Master data lists: items with their units and barcodes, warehouses and locations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.errors import NotFound
from jxc.domain.quantities import normalized


def check_known(
    connection: Connection,
    warehouse: str | None = None,
    item: str | None = None,
    location: str | None = None,
) -> None:
    """Raises NotFound for a code that names nothing.

    warehouse.unknown, item.unknown; location.unknown (in the warehouse named) or
    location.unknown_anywhere (no warehouse named).
    """
    for code, column, error in (
        (warehouse, s.Warehouse.code, "warehouse.unknown"),
        (item, s.Item.code, "item.unknown"),
    ):
        if (
            code is not None
            and connection.execute(select(column).where(column == code)).first() is None
        ):
            raise NotFound(error, {error.split(".")[0]: code})
    if location is None:
        return
    found = select(s.Location.id).where(s.Location.code == location)
    if warehouse is not None:
        found = found.join(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id).where(
            s.Warehouse.code == warehouse
        )
    if connection.execute(found).first() is None:
        if warehouse is None:
            raise NotFound("location.unknown_anywhere", {"location": location})
        raise NotFound("location.unknown", {"location": location, "warehouse": warehouse})


@dataclass(frozen=True)
class ItemRow:
    code: str
    name: str
    category: str | None
    specification: str | None
    unit: str
    tracking: str
    shelf_life_days: int | None
    units: str
    barcodes: str


@dataclass(frozen=True)
class WarehouseRow:
    code: str
    name: str
    allow_negative_stock: bool
    locations: int


@dataclass(frozen=True)
class LocationRow:
    warehouse: str | None
    code: str
    name: str
    kind: str
    usage: str | None
    parent: str | None


def items(connection: Connection, search: str | None = None, limit: int = 1000) -> list[ItemRow]:
    base = aliased(s.Unit)
    query = (
        select(s.Item, base.code.label("unit"))
        .join(base, base.id == s.Item.base_unit_id)
        .order_by(s.Item.code)
        .limit(limit)
    )
    if search:
        pattern = f"%{search}%"
        query = query.where(s.Item.code.like(pattern) | s.Item.name.like(pattern))
    rows = connection.execute(query).all()
    ids = [r.id for r in rows]
    units: dict[int, list[str]] = {i: [] for i in ids}
    for conversion in connection.execute(
        select(s.ItemUnit.item_id, s.Unit.code, s.ItemUnit.ratio)
        .join(s.Unit, s.Unit.id == s.ItemUnit.unit_id)
        .where(s.ItemUnit.item_id.in_(ids))
        .order_by(s.Unit.code)
    ):
        units[conversion.item_id].append(f"{conversion.code}={normalized(conversion.ratio)}")
    barcodes: dict[int, list[str]] = {i: [] for i in ids}
    for barcode in connection.execute(
        select(s.ItemBarcode.item_id, s.ItemBarcode.barcode)
        .where(s.ItemBarcode.item_id.in_(ids))
        .order_by(s.ItemBarcode.barcode)
    ):
        barcodes[barcode.item_id].append(barcode.barcode)
    return [
        ItemRow(
            r.code,
            r.name,
            r.category,
            r.specification,
            r.unit,
            r.tracking,
            r.shelf_life_days,
            ", ".join(units[r.id]),
            ", ".join(barcodes[r.id]),
        )
        for r in rows
    ]


def warehouses(connection: Connection) -> list[WarehouseRow]:
    counts = (
        select(s.Location.warehouse_id, func.count().label("locations"))
        .group_by(s.Location.warehouse_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            s.Warehouse.code, s.Warehouse.name, s.Warehouse.allow_negative_stock, counts.c.locations
        )
        .join(counts, counts.c.warehouse_id == s.Warehouse.id)
        .order_by(s.Warehouse.code)
    )
    return [WarehouseRow(r.code, r.name, bool(r.allow_negative_stock), r.locations) for r in rows]


def locations(connection: Connection, warehouse: str | None = None) -> list[LocationRow]:
    parent = aliased(s.Location)
    query = (
        select(
            s.Warehouse.code.label("warehouse"),
            s.Location.code,
            s.Location.name,
            s.Location.kind,
            s.Location.usage,
            parent.code.label("parent"),
        )
        .outerjoin(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
        .outerjoin(parent, parent.id == s.Location.parent_id)
        .order_by(s.Warehouse.code, s.Location.code)
    )
    if warehouse is not None:
        query = query.where(s.Warehouse.code == warehouse)
    return [LocationRow(**r._mapping) for r in connection.execute(query)]


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    decimals: int


def units(connection: Connection) -> list[UnitRow]:
    """Every unit of measure, in the order they were added."""
    rows = connection.execute(select(s.Unit.code, s.Unit.name, s.Unit.decimals).order_by(s.Unit.id))
    return [UnitRow(code, name, int(decimals)) for code, name, decimals in rows]
