"""Current stock from cached balances: one item at one warehouse, lists, whole warehouses."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.db.repositories.balances import SLOTS, read_slots
from jxc.domain.errors import NotFound
from jxc.domain.locations import LocationKind
from jxc.domain.quantities import Unit, check_quantity
from jxc.domain.stock import Stocked, StockSlot, allocate, unexpired
from jxc.queries.catalog import check_known

_balance, _location, _item, _warehouse = s.StockBalance, s.Location, s.Item, s.Warehouse
_internal = _location.kind == LocationKind.INTERNAL.value


@dataclass(frozen=True)
class StockLevel(Stocked):
    item: str
    warehouse: str
    on_hand: Decimal
    reserved: Decimal


@dataclass(frozen=True)
class StockRow(Stocked):
    item: str
    item_name: str
    unit: str
    warehouse: str
    location: str
    batch: str | None
    expiry_date: date | None
    on_hand: Decimal
    reserved: Decimal


@dataclass(frozen=True)
class ItemStock(Stocked):
    item: str
    item_name: str
    unit: str
    on_hand: Decimal
    reserved: Decimal
    value: Decimal


# One round trip: the codes are resolved and the balances summed in the same query.
_on_hand_query = (
    select(
        _item.id.label("item_id"),
        _warehouse.id.label("warehouse_id"),
        func.coalesce(func.sum(_balance.on_hand), 0).label("on_hand"),
        func.coalesce(func.sum(_balance.reserved), 0).label("reserved"),
    )
    .select_from(_item)
    .outerjoin(_warehouse, _warehouse.code == bindparam("warehouse"))
    .outerjoin(_location, (_location.warehouse_id == _warehouse.id) & _internal)
    .outerjoin(_balance, (_balance.location_id == _location.id) & (_balance.item_id == _item.id))
    .where(_item.code == bindparam("item"))
    .group_by(_item.id, _warehouse.id)
)


def _ids(connection: Connection, item: str, warehouse: str) -> tuple[int, int]:
    item_id = connection.execute(select(_item.id).where(_item.code == item)).scalar()
    if item_id is None:
        raise NotFound("item.unknown", {"item": item})
    warehouse_id = connection.execute(
        select(_warehouse.id).where(_warehouse.code == warehouse)
    ).scalar()
    if warehouse_id is None:
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    return item_id, warehouse_id


def on_hand(connection: Connection, item: str, warehouse: str) -> StockLevel:
    """On hand, reserved and available of one item over a warehouse's internal locations."""
    row = connection.execute(_on_hand_query, {"item": item, "warehouse": warehouse}).first()
    if row is None:
        raise NotFound("item.unknown", {"item": item})
    if row.warehouse_id is None:
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    return StockLevel(item, warehouse, Decimal(row.on_hand), Decimal(row.reserved))


def stock_rows(
    connection: Connection,
    warehouse: str | None = None,
    item: str | None = None,
    location: str | None = None,
    batch: str | None = None,
    include_zero: bool = False,
    visible: Collection[str] | None = None,
) -> list[StockRow]:
    """Stock by item, warehouse, location and batch (库存状况表 at its finest grain).

    ``visible``: only these warehouses (a reader's; None: every one); naming another
    answers as if it did not exist.

    Raises:
        NotFound: warehouse.unknown, item.unknown (looked up only when nothing matched).
    """
    if warehouse is not None and visible is not None and warehouse not in visible:
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    base_unit = aliased(s.Unit)
    query = (
        select(
            _item.code.label("item"),
            _item.name.label("item_name"),
            base_unit.code.label("unit"),
            _warehouse.code.label("warehouse"),
            _location.code.label("location"),
            s.Batch.batch_no.label("batch"),
            s.Batch.expiry_date,
            _balance.on_hand,
            _balance.reserved,
        )
        .join(_item, _item.id == _balance.item_id)
        .join(base_unit, base_unit.id == _item.base_unit_id)
        .join(_location, _location.id == _balance.location_id)
        .join(_warehouse, _warehouse.id == _location.warehouse_id)
        .outerjoin(s.Batch, s.Batch.id == _balance.batch_id)
        .where(_internal)
        .order_by(_warehouse.code, _item.code, _location.code, s.Batch.expiry_date)
    )
    for column, value in (
        (_warehouse.code, warehouse),
        (_item.code, item),
        (_location.code, location),
        (s.Batch.batch_no, batch),
    ):
        if value is not None:
            query = query.where(column == value)
    if not include_zero:
        query = query.where(_balance.on_hand != 0)
    if visible is not None:
        query = query.where(_warehouse.code.in_(sorted(visible)))
    rows = [StockRow(**row._mapping) for row in connection.execute(query)]
    if not rows:  # nothing to show: say so if it is because a code names nothing
        check_known(connection, warehouse, item, location)
    return rows


def warehouse_stock(connection: Connection, warehouse: str) -> list[ItemStock]:
    """Every item's stock and value in one warehouse, from balances and cost pools."""
    warehouse_id = connection.execute(
        select(_warehouse.id).where(_warehouse.code == warehouse)
    ).scalar()
    if warehouse_id is None:
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    totals = (
        select(
            _balance.item_id,
            func.sum(_balance.on_hand).label("on_hand"),
            func.sum(_balance.reserved).label("reserved"),
        )
        .join(_location, _location.id == _balance.location_id)
        .where(_location.warehouse_id == warehouse_id, _internal)
        .group_by(_balance.item_id)
        .subquery()
    )
    base_unit = aliased(s.Unit)
    query = (
        select(
            _item.code,
            _item.name,
            base_unit.code.label("unit"),
            totals.c.on_hand,
            totals.c.reserved,
            func.coalesce(s.StockCost.value, 0).label("value"),
        )
        .join(_item, _item.id == totals.c.item_id)
        .join(base_unit, base_unit.id == _item.base_unit_id)
        .outerjoin(
            s.StockCost,
            (s.StockCost.item_id == totals.c.item_id)
            & (s.StockCost.warehouse_id == warehouse_id)
            & (s.StockCost.in_transit.is_(False)),
        )
        .where(totals.c.on_hand != 0)
        .order_by(_item.code)
    )
    return [
        ItemStock(r.code, r.name, r.unit, r.on_hand, r.reserved, Decimal(r.value))
        for r in connection.execute(query)
    ]


@dataclass(frozen=True)
class Suggestion:
    picks: list[tuple[StockSlot, Decimal]]
    missing: Decimal
    expired: Decimal  # of expired batches, left out


def fefo_suggestion(
    connection: Connection, item: str, warehouse: str, quantity: Decimal, today: date
) -> Suggestion:
    """Which batches and locations an issue of ``quantity`` dated ``today`` would take.

    Earliest expiry first; batches already expired are left out, as an issue leaves them.

    Raises:
        NotFound: item.unknown, warehouse.unknown.
        Invalid: quantity.not_positive, quantity.too_large, quantity.too_precise (for the
            item's base unit, as a document line would be refused).
    """
    item_id, warehouse_id = _ids(connection, item, warehouse)
    base = connection.execute(
        select(s.Unit.code, s.Unit.name, s.Unit.decimals)
        .join(_item, _item.base_unit_id == s.Unit.id)
        .where(_item.id == item_id)
    ).one()
    check_quantity(quantity, Unit(*base))
    slots = read_slots(connection, SLOTS, {"items": [item_id], "warehouse_id": warehouse_id})
    usable, expired = unexpired(slots, today)
    picks, missing = allocate(quantity, usable)
    return Suggestion(picks, missing, expired)


@dataclass(frozen=True)
class SerialInStock:
    serial: str
    location: str


def serials_in_stock(connection: Connection, item: str, warehouse: str) -> list[SerialInStock]:
    """The serial numbers of ``item`` on the shelves of ``warehouse`` (not in transit)."""
    item_id, warehouse_id = _ids(connection, item, warehouse)
    rows = connection.execute(
        select(s.SerialNumber.serial_no, _location.code)
        .join(_location, _location.id == s.SerialNumber.location_id)
        .where(
            s.SerialNumber.item_id == item_id,
            _location.warehouse_id == warehouse_id,
            _internal,
        )
        .order_by(s.SerialNumber.serial_no)
    )
    return [SerialInStock(row.serial_no, row.code) for row in rows]


def over_reserved(connection: Connection) -> Decimal:
    """How much more is reserved than is on hand, summed over every balance (must be 0)."""
    excess = s.StockBalance.reserved - s.StockBalance.on_hand
    return Decimal(
        connection.execute(
            select(func.coalesce(func.sum(excess), 0)).where(excess > 0)
        ).scalar_one()
    )
