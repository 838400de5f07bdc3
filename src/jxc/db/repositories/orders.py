"""Orders and what is made from them: line prices, 下推 links, each order line's progress.

An order line's ``delivered`` only grows by a guarded UPDATE (``delivered + q <= ordered``),
so two deliveries posting at once cannot together deliver more than was ordered.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.db.bulk import Bulk
from jxc.domain.locations import LocationUsage
from jxc.domain.prices import Amounts, LinePrice

_price = cast(Table, s.LinePrice.__table__)
_progress = cast(Table, s.OrderLine.__table__)
_deliver = Bulk(
    update(_progress)
    .where(
        _progress.c.document_line_id == bindparam("k_line"),
        _progress.c.delivered + bindparam("quantity", type_=s.Quantity)
        <= bindparam("ceiling", type_=s.Quantity),
    )
    .values(delivered=_progress.c.delivered + bindparam("quantity", type_=s.Quantity))
)
_give_back = Bulk(
    update(_progress)
    .where(_progress.c.document_line_id == bindparam("k_line"))
    .values(delivered=_progress.c.delivered - bindparam("quantity", type_=s.Quantity))
)
_LINE_TABLES = [cast(Table, t.__table__) for t in (s.LinePrice, s.LineSource, s.OrderLine)]


@dataclass(frozen=True)
class OrderLineProgress:
    line_id: int
    line_no: int
    item_id: int
    quantity: Decimal  # in the line's own unit (its price is per that unit)
    ordered: Decimal  # in base units, as delivered
    delivered: Decimal  # received, for a purchase order

    @property
    def open(self) -> Decimal:
        """Still to come; never below zero (a receipt may go over, within its tolerance)."""
        return max(self.ordered - self.delivered, Decimal(0))


@dataclass(frozen=True)
class ShippedUnit:
    line_id: int
    batch_no: str | None
    serial_no: str | None
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class PricedLine:
    price: LinePrice
    amounts: Amounts


class OrderRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add_lines(
        self,
        line_ids: Sequence[int],
        prices: Sequence[PricedLine | None],
        sources: Sequence[int | None],
        ordered: Sequence[Decimal] | None,
    ) -> None:
        """What an order or a delivery keeps beside its lines (given in line order)."""
        priced = [
            {
                "document_line_id": line_id,
                "unit_price": p.price.unit_price,
                "tax_rate": p.price.tax_rate,
                "discount_rate": p.price.discount_rate,
                "includes_tax": p.price.includes_tax,
                "discount": p.amounts.discount,
                "amount": p.amounts.amount,
                "tax": p.amounts.tax,
                "amount_incl_tax": p.amounts.amount_incl_tax,
            }
            for line_id, p in zip(line_ids, prices, strict=True)
            if p is not None
        ]
        if priced:
            self.connection.execute(insert(_price), priced)
        links = [
            {"document_line_id": line_id, "source_line_id": source}
            for line_id, source in zip(line_ids, sources, strict=True)
            if source is not None
        ]
        if links:
            self.connection.execute(insert(s.LineSource), links)
        if ordered is not None:
            self.connection.execute(
                insert(_progress),
                [
                    {"document_line_id": line_id, "ordered": quantity, "delivered": Decimal(0)}
                    for line_id, quantity in zip(line_ids, ordered, strict=True)
                ],
            )

    def open_lines(self, document_id: int) -> None:
        """Progress rows for a posted document's lines that have none yet (returned to)."""
        known = select(_progress.c.document_line_id)
        self.connection.execute(
            insert(_progress).from_select(
                ["document_line_id", "ordered", "delivered"],
                select(
                    s.DocumentLine.id,
                    s.DocumentLine.base_quantity,
                    literal(0, type_=s.Quantity),
                ).where(
                    s.DocumentLine.document_id == document_id,
                    s.DocumentLine.id.not_in(known),
                ),
            )
        )

    def drop_lines(self, document_id: int) -> None:
        """Forget what was kept beside a draft's lines (an edit replaces them)."""
        lines = select(s.DocumentLine.id).where(s.DocumentLine.document_id == document_id)
        for table in _LINE_TABLES:
            self.connection.execute(delete(table).where(table.c.document_line_id.in_(lines)))

    def set_source(self, document_id: int, source_document_id: int | None) -> None:
        self.connection.execute(
            delete(s.DocumentSource).where(s.DocumentSource.document_id == document_id)
        )
        if source_document_id is not None:
            self.connection.execute(
                insert(s.DocumentSource).values(
                    document_id=document_id, source_document_id=source_document_id
                )
            )

    def sources_of_lines(self, line_ids: Collection[int]) -> dict[int, int]:
        """Line id → the order line it fulfils."""
        if not line_ids:
            return {}
        rows = self.connection.execute(
            select(s.LineSource.document_line_id, s.LineSource.source_line_id).where(
                s.LineSource.document_line_id.in_(sorted(line_ids))
            )
        )
        return {int(line): int(source) for line, source in rows}

    def progress(
        self, document_id: int, for_update: bool = False, unopened_as_open: bool = False
    ) -> list[OrderLineProgress]:
        """Each line of an order: ordered and delivered, in base units, in line order.

        ``unopened_as_open``: lines without progress yet (a receipt never returned to, see
        ``open_lines``) read as open in whole, for a read that may not write them.
        """
        ordered: ColumnElement[Decimal] = _progress.c.ordered
        delivered: ColumnElement[Decimal] = _progress.c.delivered
        if unopened_as_open:
            ordered = func.coalesce(ordered, s.DocumentLine.base_quantity)
            delivered = func.coalesce(delivered, literal(0, type_=s.Quantity))
        query = (
            select(
                s.DocumentLine.id,
                s.DocumentLine.line_no,
                s.DocumentLine.item_id,
                s.DocumentLine.quantity,
                ordered,
                delivered,
            )
            .join(
                _progress,
                _progress.c.document_line_id == s.DocumentLine.id,
                isouter=unopened_as_open,
            )
            .where(s.DocumentLine.document_id == document_id)
            .order_by(s.DocumentLine.line_no)
        )
        if for_update:
            query = query.with_for_update(of=_progress)
        return [OrderLineProgress(*row) for row in self.connection.execute(query)]

    def deliver(
        self, quantities: Mapping[int, Decimal], ceilings: Mapping[int, Decimal]
    ) -> list[int]:
        """Add delivered (received) quantities to order lines, each up to its ceiling.

        Returns the lines whose guard refused: they would have gone past it.
        """
        refused = []
        for line_id, quantity in sorted(quantities.items()):
            row = {"k_line": line_id, "quantity": quantity, "ceiling": ceilings[line_id]}
            if not _deliver.run(self.connection, [row]):
                refused.append(line_id)
        return refused

    def tolerances(self, item_ids: Collection[int]) -> dict[int, Decimal]:
        """Each item's over-receipt tolerance in percent (超订单入库), where it has one."""
        if not item_ids:
            return {}
        rows = self.connection.execute(
            select(s.ItemTolerance.item_id, s.ItemTolerance.over_receipt_percent).where(
                s.ItemTolerance.item_id.in_(sorted(item_ids))
            )
        )
        return {int(item_id): percent for item_id, percent in rows}

    def set_tolerance(self, item_id: int, percent: Decimal) -> None:
        self.connection.execute(delete(s.ItemTolerance).where(s.ItemTolerance.item_id == item_id))
        self.connection.execute(
            insert(s.ItemTolerance).values(item_id=item_id, over_receipt_percent=percent)
        )

    def give_back(self, quantities: Mapping[int, Decimal]) -> None:
        """A delivery's reversal: its quantities are open on the order again."""
        _give_back.run(
            self.connection,
            [{"k_line": line, "quantity": q} for line, q in sorted(quantities.items())],
        )

    def shipped(self, line_ids: Collection[int]) -> list[ShippedUnit]:
        """What the ledger took out on delivery lines: batches, serials, quantities, values."""
        if not line_ids:
            return []
        entry = s.StockLedgerEntry
        rows = self.connection.execute(
            select(
                entry.document_line_id,
                s.Batch.batch_no,
                s.SerialNumber.serial_no,
                entry.quantity,
                entry.value,
            )
            .outerjoin(s.Batch, s.Batch.id == entry.batch_id)
            .outerjoin(s.SerialNumber, s.SerialNumber.id == entry.serial_id)
            .where(entry.document_line_id.in_(sorted(line_ids)))
        )
        return [ShippedUnit(*row) for row in rows]

    def returned_batches(self, line_ids: Collection[int]) -> dict[tuple[int, str | None], Decimal]:
        """What posted returns, not reversed, took back of each (line, batch) they return."""
        if not line_ids:
            return {}
        entry = s.StockLedgerEntry
        rows = self.connection.execute(
            select(s.LineSource.source_line_id, s.Batch.batch_no, func.sum(entry.quantity))
            .join(s.LineSource, s.LineSource.document_line_id == entry.document_line_id)
            .join(s.Batch, s.Batch.id == entry.batch_id)
            .join(s.Document, s.Document.id == entry.document_id)
            .where(
                s.LineSource.source_line_id.in_(sorted(line_ids)),
                s.Document.reversed_by_document_id.is_(None),
            )
            .group_by(s.LineSource.source_line_id, s.Batch.batch_no)
        )
        return {(int(line), batch): quantity for line, batch, quantity in rows}

    def rejects_left(self, receipt_line_ids: Collection[int]) -> dict[tuple[int, int], Decimal]:
        """What receipt lines brought into 待检 locations and may still be there, by location.

        What a purchase return of such a line takes from 待检 before the shelves: what the
        line brought in less what returns sent back from there, and nothing once another
        document brought the item into that location since (put-aways are not told apart
        by receipt, so the goods there may be that one's).
        """
        if not receipt_line_ids:
            return {}
        entry, ids = s.StockLedgerEntry, sorted(receipt_line_ids)
        later = aliased(s.StockLedgerEntry)
        qc = select(s.Location.id).where(s.Location.usage == LocationUsage.QC.value)
        intake = (
            select(
                entry.document_line_id.label("line"),
                entry.to_location_id.label("location"),
                entry.item_id.label("item"),
                func.sum(entry.quantity).label("quantity"),
                func.max(entry.id).label("last"),
            )
            .where(entry.document_line_id.in_(ids), entry.to_location_id.in_(qc))
            .group_by(entry.document_line_id, entry.to_location_id, entry.item_id)
            .subquery()
        )
        brought = self.connection.execute(
            select(intake.c.line, intake.c.location, intake.c.quantity).where(
                ~exists().where(
                    later.item_id == intake.c.item,
                    later.to_location_id == intake.c.location,
                    later.id > intake.c.last,
                    later.quantity > 0,
                )
            )
        )
        left: dict[tuple[int, int], Decimal] = {
            (int(line), int(location)): quantity for line, location, quantity in brought
        }
        sent = self.connection.execute(
            select(s.LineSource.source_line_id, entry.from_location_id, func.sum(entry.quantity))
            .join(s.LineSource, s.LineSource.document_line_id == entry.document_line_id)
            .join(s.Document, s.Document.id == entry.document_id)
            .where(
                s.LineSource.source_line_id.in_(ids),
                entry.from_location_id.in_(qc),
                s.Document.reversed_by_document_id.is_(None),
            )
            .group_by(s.LineSource.source_line_id, entry.from_location_id)
        )
        for line, location, quantity in sent:
            key = (int(line), int(location))
            if key in left:
                left[key] -= quantity
        return {key: quantity for key, quantity in left.items() if quantity > 0}

    def prices(self, line_ids: Collection[int]) -> dict[int, PricedLine]:
        if not line_ids:
            return {}
        rows = self.connection.execute(
            select(_price).where(_price.c.document_line_id.in_(sorted(line_ids)))
        )
        return {
            row.document_line_id: PricedLine(
                LinePrice(row.unit_price, row.tax_rate, row.discount_rate, row.includes_tax),
                Amounts(row.discount, row.amount, row.tax, row.amount_incl_tax),
            )
            for row in rows
        }

    def imported(self, partner_id: int, numbers: Collection[str]) -> dict[str, str]:
        """Shop order numbers already imported for a channel: each → our order's number."""
        if not numbers:
            return {}
        rows = self.connection.execute(
            select(s.ExternalOrder.external_number, s.Document.number)
            .join(s.Document, s.Document.id == s.ExternalOrder.document_id)
            .where(
                s.ExternalOrder.partner_id == partner_id,
                s.ExternalOrder.external_number.in_(sorted(numbers)),
            )
        )
        return {str(external): str(number) for external, number in rows}

    def add_imported(self, partner_id: int, external_number: str, document_id: int) -> None:
        self.connection.execute(
            insert(s.ExternalOrder).values(
                partner_id=partner_id, external_number=external_number, document_id=document_id
            )
        )
