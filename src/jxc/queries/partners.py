"""Partners as people look them up, and what each sales channel may sell (可售库存)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.errors import Invalid, NotFound
from jxc.domain.locations import LocationKind, LocationUsage
from jxc.domain.partners import PartnerKind, sellable


@dataclass(frozen=True)
class PartnerRow:
    code: str
    name: str
    kind: str
    contact: str | None
    phone: str | None
    email: str | None
    address: str | None
    default_warehouse: str | None
    channel_kind: str | None
    platform: str | None
    safety_buffer: Decimal
    warehouses: tuple[str, ...]
    active: bool


def partners(
    connection: Connection,
    kind: str | None = None,
    search: str | None = None,
    include_inactive: bool = False,
    limit: int = 1000,
    code: str | None = None,
) -> list[PartnerRow]:
    """Partners by code; ``search`` matches a code or a name."""
    default = aliased(s.Warehouse)
    query = (
        select(
            s.Partner.id,
            s.Partner.code,
            s.Partner.name,
            s.Partner.kind,
            s.Partner.contact,
            s.Partner.phone,
            s.Partner.email,
            s.Partner.address,
            default.code.label("default_warehouse"),
            s.Partner.channel_kind,
            s.Partner.platform,
            s.Partner.safety_buffer,
            s.Partner.active,
        )
        .outerjoin(default, default.id == s.Partner.default_warehouse_id)
        .order_by(s.Partner.code)
        .limit(limit)
    )
    if kind:
        if kind not in set(PartnerKind):  # an empty list would say there are none of it
            allowed = ", ".join(PartnerKind)
            raise Invalid("value.not_allowed", {"field": "kind", "value": kind, "allowed": allowed})
        query = query.where(s.Partner.kind == kind)
    if code is not None:
        query = query.where(s.Partner.code == code)
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(s.Partner.code.like(pattern), s.Partner.name.like(pattern)))
    if not include_inactive:
        query = query.where(s.Partner.active.is_(True))
    rows = connection.execute(query).all()
    sells_from: dict[int, list[str]] = defaultdict(list)
    for partner_id, code in connection.execute(
        select(s.ChannelWarehouse.partner_id, s.Warehouse.code)
        .join(s.Warehouse, s.Warehouse.id == s.ChannelWarehouse.warehouse_id)
        .where(s.ChannelWarehouse.partner_id.in_([row.id for row in rows]))
        .order_by(s.Warehouse.code)
    ):
        sells_from[partner_id].append(code)
    return [
        PartnerRow(
            **{key: value for key, value in row._mapping.items() if key != "id"},
            warehouses=tuple(sells_from[row.id]),
        )
        for row in rows
    ]


def partner(connection: Connection, code: str) -> PartnerRow:
    """Raises NotFound partner.unknown."""
    found = partners(connection, include_inactive=True, code=code)
    if not found:
        raise NotFound("partner.unknown", {"partner": code})
    return found[0]


@dataclass(frozen=True)
class SellableRow:
    item: str
    item_name: str
    unit: str
    available: Decimal
    buffer: Decimal
    sellable: Decimal


def _channel(connection: Connection, channel: str) -> Any:
    """A channel's id and safety buffer.

    Raises:
        NotFound: partner.unknown.
        Invalid: partner.not_channel.
    """
    found = connection.execute(
        select(s.Partner.id, s.Partner.kind, s.Partner.safety_buffer).where(
            s.Partner.code == channel
        )
    ).first()
    if found is None:
        raise NotFound("partner.unknown", {"partner": channel})
    if found.kind != PartnerKind.CHANNEL.value:
        raise Invalid("partner.not_channel", {"partner": channel, "kind": found.kind})
    return found


_BASE_UNIT = aliased(s.Unit)
_AVAILABLE = func.sum(s.StockBalance.on_hand - s.StockBalance.reserved).label("available")


def _for_sale(query: Any, channel_id: int, visible: Collection[str] | None) -> Any:
    """``query`` over the balances a channel sells from: its (``visible``) warehouses, not 待检."""
    query = (
        query.select_from(s.StockBalance)
        .join(s.Item, s.Item.id == s.StockBalance.item_id)
        .join(_BASE_UNIT, _BASE_UNIT.id == s.Item.base_unit_id)
        .join(s.Location, s.Location.id == s.StockBalance.location_id)
        .join(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
        .join(
            s.ChannelWarehouse,
            (s.ChannelWarehouse.warehouse_id == s.Location.warehouse_id)
            & (s.ChannelWarehouse.partner_id == channel_id),
        )
        .where(
            s.Location.kind == LocationKind.INTERNAL.value,
            func.coalesce(s.Location.usage, "") != LocationUsage.QC.value,  # 待检: not for sale
        )
        .order_by(s.Item.code)
    )
    if visible is not None:
        query = query.where(s.Warehouse.code.in_(sorted(visible)))
    return query


def channel_stock(
    connection: Connection,
    channel: str,
    item: str | None = None,
    visible: Collection[str] | None = None,
) -> list[SellableRow]:
    """可售库存 of a channel, per item: available where it sells from, less its buffer.

    ``visible``: only the stock of these of its warehouses (a reader's; None: every one).

    Raises:
        NotFound: partner.unknown.
        Invalid: partner.not_channel.
    """
    found = _channel(connection, channel)
    query = _for_sale(
        select(s.Item.code, s.Item.name, _BASE_UNIT.code.label("unit"), _AVAILABLE),
        found.id,
        visible,
    ).group_by(s.Item.code, s.Item.name, _BASE_UNIT.code)
    if item is not None:
        query = query.where(s.Item.code == item)
    buffer = Decimal(found.safety_buffer)
    return [
        SellableRow(
            row.code,
            row.name,
            row.unit,
            Decimal(row.available),
            buffer,
            sellable(Decimal(row.available), buffer),
        )
        for row in connection.execute(query)
    ]


CHANGES_PER_CALL = 5000  # transactions read per call; the cursor says where to go on


@dataclass(frozen=True)
class ChangedRow:
    """An item that changed in one of the channel's warehouses, and what it may sell now.

    ``warehouse_available`` is for a shop that keeps stock per warehouse (分仓库存);
    ``available`` and ``sellable`` are the channel's, over all its warehouses.
    """

    item: str
    item_name: str
    unit: str
    warehouse: str
    warehouse_available: Decimal
    available: Decimal
    sellable: Decimal
    sequence: int  # the item's last change in the warehouse: only ever grows


@dataclass(frozen=True)
class ChannelChanges:
    cursor: int  # give it as ``since`` next time
    more: bool  # there is more after the cursor: call again at once
    rows: list[ChangedRow]


def _logged_changes(logged: Sequence[Any]) -> dict[tuple[int, int | None], int]:
    """(item id, warehouse id) → the last sequence that changed it.

    A warehouse of None: a change logged before the feed named warehouses (any of them).
    """
    last: dict[tuple[int, int | None], int] = {}
    for sequence, changed in logged:
        for entry in changed:
            item_id, warehouse_id = (entry, None) if isinstance(entry, int) else entry
            last[(int(item_id), warehouse_id)] = int(sequence)
    return last


def channel_changes(
    connection: Connection,
    channel: str,
    since: int = 0,
    visible: Collection[str] | None = None,
) -> ChannelChanges:
    """变更流: the items whose stock changed since ``since`` in the channel's warehouses.

    One row per item and warehouse that changed, with what is available there and what
    the channel may sell of the item in all. A shop integration keeps the cursor and asks
    again; sequences are in commit order, so nothing committed later comes in under a
    cursor it already passed.

    Raises:
        NotFound: partner.unknown.
        Invalid: partner.not_channel.
    """
    found = _channel(connection, channel)
    logged = connection.execute(
        select(s.StockChange.sequence, s.StockChange.item_ids)
        .where(s.StockChange.sequence > since)
        .order_by(s.StockChange.sequence)
        .limit(CHANGES_PER_CALL)
    ).all()
    last = _logged_changes(logged)
    rows: list[ChangedRow] = []
    if last:
        stocked = connection.execute(
            _for_sale(
                select(
                    s.Item.id.label("item_id"),
                    s.Item.code.label("item"),
                    s.Item.name.label("item_name"),
                    _BASE_UNIT.code.label("unit"),
                    s.Warehouse.id.label("warehouse_id"),
                    s.Warehouse.code.label("warehouse"),
                    _AVAILABLE,
                ),
                found.id,
                visible,
            )
            .where(s.Item.id.in_(sorted({item for item, _ in last})))
            .group_by(s.Item.id, s.Item.code, s.Item.name, _BASE_UNIT.code, s.Warehouse.id)
            .order_by(s.Warehouse.code)
        ).all()
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for row in stocked:
            totals[row.item_id] += Decimal(row.available)
        buffer = Decimal(found.safety_buffer)
        for row in stocked:
            sequence = last.get((row.item_id, row.warehouse_id), last.get((row.item_id, None)))
            if sequence is not None:
                rows.append(
                    ChangedRow(
                        row.item,
                        row.item_name,
                        row.unit,
                        row.warehouse,
                        Decimal(row.available),
                        totals[row.item_id],
                        sellable(totals[row.item_id], buffer),
                        sequence,
                    )
                )
    return ChannelChanges(
        cursor=int(logged[-1][0]) if logged else since,
        more=len(logged) == CHANGES_PER_CALL,
        rows=rows,
    )
