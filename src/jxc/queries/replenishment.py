"""库存预警 and 补货建议 read from balances, open documents and the ledger.

A warehouse's stock is what sits at its internal locations (as in the reports). What is
on its way to it is the open remainder of its purchase orders not final (draft included:
an accepted suggestion counts at once) and the transfers into it not yet received. Usage
is what left it for good: moves from its internal locations to customers, scrap and
production (not transfers, returns to suppliers or 盘亏, which are no demand).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, exists, func, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.locations import LocationKind
from jxc.domain.periods import company_time
from jxc.domain.replenishment import (
    ZERO,
    AlertKind,
    Levels,
    average_daily_usage,
    position,
    stock_alert,
    suggested_quantity,
    surplus,
)
from jxc.queries import consistency, reports

_INTERNAL = LocationKind.INTERNAL.value
USAGE_KINDS = (LocationKind.CUSTOMER.value, LocationKind.SCRAP.value, LocationKind.PRODUCTION.value)
OPEN_ORDER_STATES = ("draft", "pending", "approved", "rejected")
OPEN_TRANSFER_STATES = ("draft", "pending", "approved", "rejected", "in_transit")
UNSHIPPED_TRANSFER_STATES = ("draft", "pending", "approved", "rejected")
REFUSAL_DAYS = 7  # a refused oversell attempt stays an alert for a week

Key = tuple[int, int]  # (item id, warehouse id)


@dataclass(frozen=True)
class LevelRow:
    warehouse: str
    item: str
    item_name: str
    unit: str
    safety_stock: Decimal
    reorder_point: Decimal
    max_quantity: Decimal
    on_hand: Decimal
    reserved: Decimal
    updated_by: str
    updated_at: datetime

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class AlertRow:
    """One 预警: ``key`` names it for the outbox (one message each time it begins)."""

    kind: str
    key: str
    warehouse: str | None
    item: str
    item_name: str
    # available (stock alerts), on hand (expiry), the balance found, or what was requested
    quantity: Decimal
    threshold: Decimal | None = None  # 安全库存, 再订货点, or what was available (拒绝超卖)
    batch: str | None = None
    location: str | None = None
    expiry_date: date | None = None
    code: str | None = None  # the ``jxc check`` problem code
    document: str | None = None  # the document refused (拒绝超卖)
    actor: str | None = None  # who was refused
    occurred_at: datetime | None = None  # when


def _stock(connection: Connection, warehouse_ids: Collection[int] | None = None) -> dict[Key, Any]:
    """(item, warehouse) → (on hand, reserved) over internal locations."""
    query = (
        select(
            s.StockBalance.item_id,
            s.Location.warehouse_id,
            func.sum(s.StockBalance.on_hand).label("on_hand"),
            func.sum(s.StockBalance.reserved).label("reserved"),
        )
        .join(s.Location, s.Location.id == s.StockBalance.location_id)
        .where(s.Location.kind == _INTERNAL)
        .group_by(s.StockBalance.item_id, s.Location.warehouse_id)
    )
    if warehouse_ids is not None:
        query = query.where(s.Location.warehouse_id.in_(sorted(warehouse_ids)))
    return {
        (row.item_id, row.warehouse_id): (Decimal(row.on_hand), Decimal(row.reserved))
        for row in connection.execute(query)
    }


def _in_scope(query: Any, warehouse: str | None, visible: Collection[str] | None) -> Any:
    """``query`` (joined to its warehouse) of ``warehouse`` only, and of those ``visible``."""
    if warehouse is not None:
        query = query.where(s.Warehouse.code == warehouse)
    if visible is not None:
        query = query.where(s.Warehouse.code.in_(sorted(visible)))
    return query


def _levels_query(warehouse: str | None, visible: Collection[str] | None) -> Any:
    unit = aliased(s.Unit)
    query = (
        select(
            s.StockLevel.item_id,
            s.StockLevel.warehouse_id,
            s.Warehouse.code.label("warehouse"),
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            unit.code.label("unit"),
            unit.decimals,
            s.StockLevel.safety_stock,
            s.StockLevel.reorder_point,
            s.StockLevel.max_quantity,
            s.StockLevel.updated_by,
            s.StockLevel.updated_at,
        )
        .join(s.Item, s.Item.id == s.StockLevel.item_id)
        .join(unit, unit.id == s.Item.base_unit_id)
        .join(s.Warehouse, s.Warehouse.id == s.StockLevel.warehouse_id)
        .order_by(s.Warehouse.code, s.Item.code)
    )
    return _in_scope(query, warehouse, visible)


def levels(
    connection: Connection, warehouse: str | None = None, visible: Collection[str] | None = None
) -> list[LevelRow]:
    """Every level set (of ``warehouse``), with the stock it watches."""
    found = connection.execute(_levels_query(warehouse, visible)).all()
    stock = _stock(connection, {row.warehouse_id for row in found})
    rows = []
    for row in found:
        on_hand, reserved = stock.get((row.item_id, row.warehouse_id), (ZERO, ZERO))
        rows.append(
            LevelRow(
                row.warehouse,
                row.item,
                row.item_name,
                row.unit,
                row.safety_stock,
                row.reorder_point,
                row.max_quantity,
                on_hand,
                reserved,
                row.updated_by,
                row.updated_at,
            )
        )
    return rows


# 库存预警 ------------------------------------------------------------------------------------


def stock_alerts(
    connection: Connection, warehouse: str | None = None, visible: Collection[str] | None = None
) -> list[AlertRow]:
    """Items below their safety stock or at or below their reorder point."""
    rows = []
    for row in levels(connection, warehouse, visible):
        level = Levels(row.safety_stock, row.reorder_point, row.max_quantity)
        kind = stock_alert(level, row.available)
        if kind is None:
            continue
        threshold = row.safety_stock if kind is AlertKind.BELOW_SAFETY else row.reorder_point
        rows.append(
            AlertRow(
                kind.value,
                f"{kind.value}:{row.warehouse}:{row.item}",
                row.warehouse,
                row.item,
                row.item_name,
                row.available,
                threshold,
            )
        )
    return rows


def expiry_alerts(
    connection: Connection,
    today: date,
    days: int = reports.DEFAULT_EXPIRY_DAYS,
    warehouse: str | None = None,
    visible: Collection[str] | None = None,
) -> list[AlertRow]:
    """保质期预警, as the report finds it: one alert per batch and location."""
    found = reports.expiry_alert(connection, today, days, reports.Scope(warehouse, visible=visible))
    rows = []
    for row in found.rows:
        kind = AlertKind.EXPIRED if row.days_left < 0 else AlertKind.NEAR_EXPIRY
        rows.append(
            AlertRow(
                kind.value,
                f"{kind.value}:{row.warehouse}:{row.location}:{row.item}:{row.batch}",
                row.warehouse,
                row.item,
                row.item_name,
                row.on_hand,
                batch=row.batch,
                location=row.location,
                expiry_date=row.expiry_date,
            )
        )
    return rows


def negative_alerts(
    connection: Connection, warehouse: str | None = None, visible: Collection[str] | None = None
) -> list[AlertRow]:
    """Internal balances below zero (a warehouse allowed negative stock, or a fault)."""
    batch = aliased(s.Batch)
    query = (
        select(
            s.Warehouse.code.label("warehouse"),
            s.Location.code.label("location"),
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            batch.batch_no,
            s.StockBalance.on_hand,
        )
        .join(s.Location, s.Location.id == s.StockBalance.location_id)
        .join(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
        .join(s.Item, s.Item.id == s.StockBalance.item_id)
        .outerjoin(batch, batch.id == s.StockBalance.batch_id)
        .where(s.Location.kind == _INTERNAL, s.StockBalance.on_hand < 0)
        .order_by(s.Warehouse.code, s.Item.code, s.Location.code)
    )
    query = _in_scope(query, warehouse, visible)
    return [
        AlertRow(
            AlertKind.NEGATIVE.value,
            f"negative:{row.warehouse}:{row.location}:{row.item}:{row.batch_no or ''}",
            row.warehouse,
            row.item,
            row.item_name,
            row.on_hand,
            batch=row.batch_no,
            location=row.location,
        )
        for row in connection.execute(query)
    ]


def refusal_alerts(
    connection: Connection,
    today: date,
    warehouse: str | None = None,
    visible: Collection[str] | None = None,
    zone: tzinfo = UTC,
) -> list[AlertRow]:
    """拒绝超卖: each short line of a posting or reservation refused in the last week.

    The week is the company's: its days begin at midnight in ``zone``.
    """
    since = company_time(today - timedelta(days=REFUSAL_DAYS - 1), time.min, zone)
    refusal = s.StockRefusal
    query = (
        select(
            refusal.id,
            refusal.refused_at,
            refusal.actor,
            refusal.document,
            refusal.location,
            refusal.requested,
            refusal.available,
            s.Warehouse.code.label("warehouse"),
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
        )
        .join(s.Warehouse, s.Warehouse.id == refusal.warehouse_id)
        .join(s.Item, s.Item.id == refusal.item_id)
        .where(refusal.refused_at >= since)
        .order_by(refusal.refused_at.desc(), refusal.id.desc())
    )
    return [
        AlertRow(
            AlertKind.OVERSELL_REFUSED.value,
            f"{AlertKind.OVERSELL_REFUSED.value}:{row.id}",
            row.warehouse,
            row.item,
            row.item_name,
            row.requested,
            row.available,
            location=row.location,
            document=row.document,
            actor=row.actor,
            occurred_at=row.refused_at,
        )
        for row in connection.execute(_in_scope(query, warehouse, visible))
    ]


def _found_quantity(params: dict[str, Any]) -> Decimal:
    """The quantity a ``jxc check`` problem reports, where it reports one (else 0)."""
    for key in ("cached", "available", "sum", "reserved"):
        try:
            return Decimal(str(params[key]))
        except (KeyError, ArithmeticError):
            continue
    return ZERO


def check_alerts(connection: Connection) -> list[AlertRow]:
    """What ``jxc check`` finds (balances that differ from the ledger …), one alert each.

    Reads the whole ledger: for ``jxc alerts --check`` and the publisher, not for a page.
    """
    report = consistency.check(connection)
    rows = []
    for problem in report.problems:
        params = problem.params
        item = str(params.get("item", ""))
        place = str(params.get("location", ""))
        where = ":".join(str(params.get(key, "")) for key in ("item", "location", "batch"))
        rows.append(
            AlertRow(
                AlertKind.MISMATCH.value,
                f"mismatch:{problem.code}:{where}"[:200],
                place.split("/")[0] if "/" in place else None,
                item,
                item,
                _found_quantity(params),
                location=place or None,
                code=problem.code,
            )
        )
    return rows


def alerts(
    connection: Connection,
    today: date,
    expiry_days: int = reports.DEFAULT_EXPIRY_DAYS,
    warehouse: str | None = None,
    visible: Collection[str] | None = None,
    check: bool = False,
    zone: tzinfo = UTC,
) -> list[AlertRow]:
    """Every current 预警: stock levels, expiry, negative balances, refused oversell attempts.

    ``check``: with what ``jxc check`` finds.
    """
    found = [
        *stock_alerts(connection, warehouse, visible),
        *expiry_alerts(connection, today, expiry_days, warehouse, visible),
        *negative_alerts(connection, warehouse, visible),
        *refusal_alerts(connection, today, warehouse, visible, zone),
    ]
    if check:
        found.extend(
            row
            for row in check_alerts(connection)
            if (warehouse is None or row.warehouse == warehouse)
            and (visible is None or row.warehouse is None or row.warehouse in visible)
        )
    return found


def alert_counts(
    connection: Connection,
    today: date,
    visible: Collection[str] | None = None,
    zone: tzinfo = UTC,
) -> dict[str, int]:
    """How many alerts of each kind (for the home page)."""
    counts: dict[str, int] = defaultdict(int)
    for row in alerts(connection, today, visible=visible, zone=zone):
        counts[row.kind] += 1
    return dict(counts)


# 补货建议 ------------------------------------------------------------------------------------


def _on_order(connection: Connection, warehouse_id: int) -> dict[int, Decimal]:
    """Item → what is on its way to the warehouse.

    The open remainder of its purchase orders and the transfers into it not yet received.
    """
    coming: dict[int, Decimal] = defaultdict(Decimal)
    remaining = func.coalesce(
        s.OrderLine.ordered - s.OrderLine.delivered, s.DocumentLine.base_quantity
    )
    orders = (
        select(s.DocumentLine.item_id, func.sum(remaining).label("quantity"))
        .join(s.Document, s.Document.id == s.DocumentLine.document_id)
        .outerjoin(s.OrderLine, s.OrderLine.document_line_id == s.DocumentLine.id)
        .where(
            s.Document.document_type == "purchase_order",
            s.Document.state.in_(OPEN_ORDER_STATES),
            s.Document.warehouse_id == warehouse_id,
        )
        .group_by(s.DocumentLine.item_id)
    )
    transfers = (
        select(s.DocumentLine.item_id, func.sum(s.DocumentLine.base_quantity).label("quantity"))
        .join(s.Document, s.Document.id == s.DocumentLine.document_id)
        .where(
            s.Document.document_type == "transfer",
            s.Document.state.in_(OPEN_TRANSFER_STATES),
            s.Document.to_warehouse_id == warehouse_id,
        )
        .group_by(s.DocumentLine.item_id)
    )
    for query in (orders, transfers):
        for row in connection.execute(query):
            coming[row.item_id] += Decimal(row.quantity)
    return coming


def _promised_away(connection: Connection) -> dict[Key, Decimal]:
    """(item, warehouse) → what transfers not yet shipped will take out of it.

    A transfer approved in the SOP already holds its stock (预占): it is in ``reserved``
    and not counted again here.
    """
    query = (
        select(
            s.DocumentLine.item_id,
            s.Document.warehouse_id,
            func.sum(s.DocumentLine.base_quantity).label("quantity"),
        )
        .join(s.Document, s.Document.id == s.DocumentLine.document_id)
        .where(
            s.Document.document_type == "transfer",
            s.Document.state.in_(UNSHIPPED_TRANSFER_STATES),
            ~exists().where(s.StockReservation.document_id == s.Document.id),
        )
        .group_by(s.DocumentLine.item_id, s.Document.warehouse_id)
    )
    return {
        (row.item_id, row.warehouse_id): Decimal(row.quantity) for row in connection.execute(query)
    }


def _usage(connection: Connection, warehouse_id: int, since: date) -> dict[int, Decimal]:
    source, target = aliased(s.Location), aliased(s.Location)
    entry = s.StockLedgerEntry
    query = (
        select(entry.item_id, func.sum(entry.quantity).label("quantity"))
        .join(source, source.id == entry.from_location_id)
        .join(target, target.id == entry.to_location_id)
        .where(
            source.kind == _INTERNAL,
            source.warehouse_id == warehouse_id,
            target.kind.in_(USAGE_KINDS),
            entry.business_date > since,
        )
        .group_by(entry.item_id)
    )
    return {row.item_id: Decimal(row.quantity) for row in connection.execute(query)}


def _last_suppliers(
    connection: Connection, item_ids: Collection[int]
) -> dict[int, tuple[str, Decimal | None]]:
    """Item → the supplier of its latest receipt (采购入库) that names one, and its cost.

    The cost is per base unit, as it was received there.
    """
    latest = (
        select(
            s.DocumentLine.item_id,
            func.max(s.Document.id).label("document_id"),
        )
        .join(s.Document, s.Document.id == s.DocumentLine.document_id)
        .join(s.DocumentPartner, s.DocumentPartner.document_id == s.Document.id)
        .where(
            s.Document.document_type == "receipt",
            s.Document.posted_at.is_not(None),
            s.Document.reversed_by_document_id.is_(None),
            s.DocumentLine.item_id.in_(sorted(item_ids)),
        )
        .group_by(s.DocumentLine.item_id)
        .subquery()
    )
    query = (
        select(
            latest.c.item_id,
            s.Partner.code,
            s.DocumentLine.quantity,
            s.DocumentLine.base_quantity,
            s.DocumentLine.unit_cost,
        )
        .join(s.DocumentPartner, s.DocumentPartner.document_id == latest.c.document_id)
        .join(s.Partner, s.Partner.id == s.DocumentPartner.partner_id)
        .join(
            s.DocumentLine,
            and_(
                s.DocumentLine.document_id == latest.c.document_id,
                s.DocumentLine.item_id == latest.c.item_id,
            ),
        )
        .order_by(s.DocumentLine.line_no)
    )
    found: dict[int, tuple[str, Decimal | None]] = {}
    for row in connection.execute(query):
        if row.item_id in found:
            continue
        found[row.item_id] = (row.code, row.unit_cost)  # a line's unit cost is per base unit
    return found


@dataclass(frozen=True)
class Need:
    """An item a warehouse should replenish, with everything the suggestion is made of."""

    item_id: int
    item: str
    item_name: str
    unit: str
    decimals: int  # what the base unit counts to
    levels: Levels
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal
    average_daily_usage: Decimal
    quantity: Decimal  # 建议补货量
    supplier: str | None  # the supplier last received from
    unit_cost: Decimal | None  # what it cost there, per base unit


@dataclass(frozen=True)
class Surplus:
    warehouse: str
    item_id: int
    quantity: Decimal


def needs(connection: Connection, warehouse: str, today: date, usage_days: int) -> list[Need]:
    """Items of ``warehouse`` at or below their reorder point, counting what is coming.

    Each with the quantity that brings it up to its maximum.
    """
    found = connection.execute(_levels_query(warehouse, None)).all()
    if not found:
        return []
    warehouse_id = found[0].warehouse_id
    stock = _stock(connection, {warehouse_id})
    coming = _on_order(connection, warehouse_id)
    used = _usage(connection, warehouse_id, today - timedelta(days=usage_days))
    rows = []
    for row in found:
        level = Levels(row.safety_stock, row.reorder_point, row.max_quantity)
        on_hand, reserved = stock.get((row.item_id, warehouse_id), (ZERO, ZERO))
        on_order = coming.get(row.item_id, ZERO)
        quantity = suggested_quantity(level, position(on_hand, reserved, on_order), row.decimals)
        if quantity <= 0:
            continue
        rows.append(
            Need(
                row.item_id,
                row.item,
                row.item_name,
                row.unit,
                row.decimals,
                level,
                on_hand,
                reserved,
                on_order,
                average_daily_usage(used.get(row.item_id, ZERO), usage_days),
                quantity,
                None,
                None,
            )
        )
    suppliers = _last_suppliers(connection, [need.item_id for need in rows])
    return [
        replace(need, supplier=suppliers[need.item_id][0], unit_cost=suppliers[need.item_id][1])
        if need.item_id in suppliers
        else need
        for need in rows
    ]


def surpluses(
    connection: Connection,
    warehouse: str,
    item_ids: Collection[int],
    visible: Collection[str] | None = None,
) -> list[Surplus]:
    """What other warehouses (of those ``visible``) can spare of ``item_ids``.

    What is above their own reorder points, less what transfers not yet shipped already
    promise away.
    """
    if not item_ids:
        return []
    others = select(s.Warehouse.id, s.Warehouse.code).where(s.Warehouse.code != warehouse)
    if visible is not None:
        others = others.where(s.Warehouse.code.in_(sorted(visible)))
    codes = {row.id: row.code for row in connection.execute(others)}
    stock = _stock(connection, codes.keys())
    promised = _promised_away(connection)
    level_rows = connection.execute(
        select(s.StockLevel).where(
            and_(
                s.StockLevel.item_id.in_(sorted(item_ids)),
                s.StockLevel.warehouse_id.in_(sorted(codes)),
            )
        )
    ).all()
    found = []
    for row in level_rows:
        key = (row.item_id, row.warehouse_id)
        on_hand, reserved = stock.get(key, (ZERO, ZERO))
        spare = surplus(
            Levels(row.safety_stock, row.reorder_point, row.max_quantity),
            on_hand - reserved - promised.get(key, ZERO),
        )
        if spare > 0:
            found.append(Surplus(codes[row.warehouse_id], row.item_id, spare))
    return found
