"""The lists a buyer, a seller and a QC clerk work from: 在途订单, 待检, 退货.

Each is a document list (the same columns, the same warehouse scope as the document list)
with what that list is about added: an order's ordered / done / open quantities, a
receipt's goods still in 待检, a return's original document. Quantities are in base units.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, distinct, func, null, select, tuple_
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.documents import DocumentType
from jxc.domain.locations import LocationUsage
from jxc.domain.quantities import normalized
from jxc.queries.documents import DocumentRow, documents_query, visible_to
from jxc.queries.orders import WORDING

ORDER_TYPES = (DocumentType.PURCHASE_ORDER, DocumentType.SALES_ORDER)
RETURN_TYPES = (DocumentType.PURCHASE_RETURN, DocumentType.SALES_RETURN)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class ListFilter:
    """What a list is narrowed to, and which page of it."""

    document_type: DocumentType | None = None
    warehouse: str | None = None
    partner: str | None = None
    limit: int = 50
    offset: int = 0
    visible: Collection[str] | None = None  # the reader's warehouses (None: every one)


@dataclass(frozen=True)
class OrderInProgressRow(DocumentRow):
    # in the base unit all its lines count in; none where they count in several (no sum)
    ordered: Decimal | None = _ZERO
    done: Decimal | None = _ZERO  # received (a purchase order) or delivered (a sales order)
    open: Decimal | None = _ZERO  # still to come: never below zero per line
    progress: str = "open"  # Progress: open (nothing done yet) or partially_done
    unit: str | None = None  # the base unit the sums count in

    @property
    def progress_label(self) -> str:
        """The progress in its order's words: 未入库 for a purchase order, 未出库 for a sale."""
        return WORDING[self.document_type][self.progress]


@dataclass(frozen=True)
class AwaitingQcRow(DocumentRow):
    order: str | None = None  # the purchase order it was received against
    received: Decimal = _ZERO  # what it brought into 待检
    waiting: Decimal = _ZERO  # of that, what is still there


@dataclass(frozen=True)
class ReturnRow(DocumentRow):
    returns: str | None = None  # the receipt or delivery it returns against
    # in the item's base unit; none where the return has several items (no sum to make)
    quantity: Decimal | None = _ZERO


def _normalized(row: Any, *names: str) -> dict[str, Any]:
    """A row's fields, its sums without the trailing zeros an engine adds (30, not 30.000000).

    A sum left out (None: no sum to make) stays so.
    """
    fields = dict(row._mapping)
    for name in names:
        if fields[name] is not None:
            fields[name] = normalized(Decimal(fields[name]))
    return fields


def _narrowed(query: Any, where: ListFilter, types: tuple[DocumentType, ...]) -> Any:
    wanted = [where.document_type] if where.document_type else list(types)
    query = visible_to(query, where.visible).where(
        s.Document.document_type.in_([kind.value for kind in wanted])
    )
    if where.warehouse:
        query = query.where(s.Warehouse.code == where.warehouse)
    if where.partner:
        query = query.where(s.Partner.code == where.partner)
    return query.limit(where.limit).offset(where.offset)


def orders_in_progress(
    connection: Connection, open_states: Collection[tuple[str, str]], where: ListFilter
) -> list[OrderInProgressRow]:
    """Approved orders not finished yet (``open_states``: type, state pairs), oldest first."""
    if not open_states:
        return []
    line = s.OrderLine
    progress = (
        select(
            s.DocumentLine.document_id,
            func.count(distinct(s.Item.base_unit_id)).label("units"),
            func.max(s.Unit.code).label("unit"),
            func.sum(line.ordered).label("ordered"),
            func.sum(line.delivered).label("done"),
            func.sum(
                case((line.delivered < line.ordered, line.ordered - line.delivered), else_=0)
            ).label("open"),
        )
        .join(line, line.document_line_id == s.DocumentLine.id)
        .join(s.Item, s.Item.id == s.DocumentLine.item_id)
        .join(s.Unit, s.Unit.id == s.Item.base_unit_id)
        .group_by(s.DocumentLine.document_id)
        .subquery()
    )
    one_unit = progress.c.units == 1
    query = (
        documents_query()
        .add_columns(
            case((one_unit, progress.c.ordered), else_=null()).label("ordered"),
            case((one_unit, progress.c.done), else_=null()).label("done"),
            case((one_unit, progress.c.open), else_=null()).label("open"),
            case((one_unit, progress.c.unit), else_=null()).label("unit"),
            case((progress.c.done == 0, "open"), else_="partially_done").label("progress"),
        )
        .join(progress, progress.c.document_id == s.Document.id)
        .where(tuple_(s.Document.document_type, s.Document.state).in_(list(open_states)))
        .order_by(s.Document.business_date, s.Document.id)
    )
    rows = connection.execute(_narrowed(query, where, ORDER_TYPES))
    return [OrderInProgressRow(**_normalized(r, "ordered", "done", "open")) for r in rows]


def awaiting_qc(connection: Connection, where: ListFilter) -> list[AwaitingQcRow]:
    """Purchase receipts whose goods still wait in a 待检 location, the longest waiting first.

    Goods leave 待检 by put-away or return without naming the receipt they came on, so
    what left is taken from the oldest receipts first (first in, first out): what is still
    there belongs to the newest receipts of each item, location and batch.
    """
    entry = s.StockLedgerEntry
    received = (
        select(
            entry.document_id,
            entry.item_id,
            entry.to_location_id.label("location_id"),
            entry.batch_id,
            func.sum(entry.quantity).label("received"),
        )
        .join(s.Document, s.Document.id == entry.document_id)
        .join(s.DocumentSource, s.DocumentSource.document_id == s.Document.id)
        .join(s.Location, s.Location.id == entry.to_location_id)
        .where(
            s.Document.document_type == DocumentType.RECEIPT.value,
            s.Document.reversed_by_document_id.is_(None),
            s.Location.usage == LocationUsage.QC.value,
        )
        .group_by(entry.document_id, entry.item_id, entry.to_location_id, entry.batch_id)
        .subquery()
    )
    # What newer receipts of the same goods brought in: the running total, less its own.
    newer = (
        func.sum(received.c.received).over(
            partition_by=(received.c.item_id, received.c.location_id, received.c.batch_id),
            order_by=received.c.document_id.desc(),
        )
        - received.c.received
    )
    balance = s.StockBalance
    left = func.coalesce(balance.on_hand, 0) - newer
    held = (
        select(
            received.c.document_id,
            received.c.received,
            case(
                (left <= 0, 0), (left < received.c.received, left), else_=received.c.received
            ).label("waiting"),
        )
        .outerjoin(
            balance,
            and_(
                balance.item_id == received.c.item_id,
                balance.location_id == received.c.location_id,
                balance.batch_id == received.c.batch_id,
            ),
        )
        .subquery()
    )
    per_receipt = (
        select(
            held.c.document_id,
            func.sum(held.c.received).label("received"),
            func.sum(held.c.waiting).label("waiting"),
        )
        .group_by(held.c.document_id)
        .having(func.sum(held.c.waiting) > 0)
        .subquery()
    )
    order = aliased(s.Document)
    query = (
        documents_query()
        .add_columns(order.number.label("order"), per_receipt.c.received, per_receipt.c.waiting)
        .join(per_receipt, per_receipt.c.document_id == s.Document.id)
        .join(s.DocumentSource, s.DocumentSource.document_id == s.Document.id)
        .join(order, order.id == s.DocumentSource.source_document_id)
        .order_by(s.Document.posted_at, s.Document.id)
    )
    rows = connection.execute(_narrowed(query, where, (DocumentType.RECEIPT,)))
    return [AwaitingQcRow(**_normalized(r, "received", "waiting")) for r in rows]


def returns(connection: Connection, where: ListFilter) -> list[ReturnRow]:
    """Purchase and sales returns with what they return against, the newest first."""
    original = aliased(s.Document)
    quantities = (
        select(
            s.DocumentLine.document_id,
            case(
                (
                    func.count(distinct(s.DocumentLine.item_id)) == 1,
                    func.sum(s.DocumentLine.base_quantity),
                ),
                else_=null(),
            ).label("quantity"),
        )
        .group_by(s.DocumentLine.document_id)
        .subquery()
    )
    query = (
        documents_query()
        .add_columns(
            original.number.label("returns"),
            quantities.c.quantity,
        )
        .outerjoin(s.DocumentSource, s.DocumentSource.document_id == s.Document.id)
        .outerjoin(original, original.id == s.DocumentSource.source_document_id)
        .outerjoin(quantities, quantities.c.document_id == s.Document.id)
        .order_by(s.Document.id.desc())
    )
    rows = connection.execute(_narrowed(query, where, RETURN_TYPES))
    return [ReturnRow(**_normalized(r, "quantity")) for r in rows]
