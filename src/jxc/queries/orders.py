"""Orders and deliveries as people read them: prices, progress (部分出库 / 已完成), 毛利."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.errors import NotFound
from jxc.domain.prices import gross_profit
from jxc.queries.documents import kind_of


class Progress(StrEnum):
    """How far an order's deliveries have got, whatever its workflow state is called."""

    OPEN = "open"  # 未出库
    PARTIALLY_DONE = "partially_done"  # 部分出库
    DONE = "done"  # 已完成


# The words an order's page uses: 出库 for a sales order, 入库 for a purchase order.
WORDING = {
    "sales_order": {
        "open": "progress.open",
        "partially_done": "progress.partially_done",
        "done": "progress.done",
        "delivered": "label.delivered",
        "still_open": "label.open_quantity",
        "made": "label.deliveries",
        "push_down": "label.push_down_delivery",
    },
    "purchase_order": {
        "open": "progress.not_received",
        "partially_done": "progress.partially_received",
        "done": "progress.received",
        "delivered": "label.received",
        "still_open": "label.open_to_receive",
        "made": "label.receipts",
        "push_down": "label.push_down_receipt",
    },
}

# A delivery's or a receipt's page: what came back from it.
RETURNED_WORDING = {"made": "label.returns", "push_down": "label.push_down_return"}


@dataclass(frozen=True)
class PricedLineRow:
    line_no: int
    item: str
    item_name: str
    quantity: Decimal  # in the line's unit, which its price is per
    unit: str
    base_quantity: Decimal
    base_unit: str
    unit_price: Decimal
    tax_rate: Decimal
    discount_rate: Decimal
    includes_tax: bool
    discount: Decimal
    amount: Decimal
    tax: Decimal
    amount_incl_tax: Decimal
    delivered: Decimal | None  # an order line: delivered (received) so far, in base units
    source_line: int | None  # a delivery's (receipt's, return's) line: the line it takes from
    cost: Decimal | None  # a posted delivery line's cost of goods, from the ledger
    returned: Decimal | None = None  # a delivery line: brought back by posted returns
    returned_amount: Decimal = Decimal(0)
    returned_cost: Decimal = Decimal(0)

    @property
    def open(self) -> Decimal | None:
        """Still to come (never below zero: a receipt may go over, within its tolerance)."""
        if self.delivered is None:
            return None
        return max(self.base_quantity - self.delivered, Decimal(0))

    @property
    def gross_profit(self) -> Decimal | None:
        """毛利 of what stayed sold: the amount less the cost, returns taken off both."""
        return None if self.cost is None else self._kept()[0]

    @property
    def gross_margin(self) -> Decimal | None:
        return None if self.cost is None else self._kept()[1]

    def _kept(self) -> tuple[Decimal, Decimal | None]:
        # Returned whole, nothing stayed sold: each return's money is rounded on its own,
        # and the cent they may differ from the line by is no profit.
        if self.returned is not None and self.returned >= self.base_quantity:
            return Decimal(0), None
        assert self.cost is not None
        return gross_profit(self.amount - self.returned_amount, self.cost - self.returned_cost)


@dataclass(frozen=True)
class MadeFrom:
    number: str
    document_type: str
    state: str
    business_date: date
    posted: bool
    kind: str  # DocumentKind: a receipt made from an order is a 采购入库单
    reversed: bool  # its 红冲 is posted: it is no longer in effect


def priced_lines(connection: Connection, number: str) -> list[PricedLineRow]:
    """An order's, delivery's or return's lines with their money; empty for an unpriced one.

    A delivery line's 毛利 counts its posted returns off (amount and cost).
    """
    found = connection.execute(
        select(s.Document.id, s.Document.document_type).where(s.Document.number == number)
    ).first()
    if found is None:
        raise NotFound("document.unknown", {"number": number})
    document, kind = found
    source = aliased(s.DocumentLine)
    unit, base_unit = aliased(s.Unit), aliased(s.Unit)
    cost = (
        select(
            s.StockLedgerEntry.document_line_id.label("line_id"),
            func.sum(s.StockLedgerEntry.value).label("cost"),
        )
        .where(s.StockLedgerEntry.document_id == document)
        .group_by(s.StockLedgerEntry.document_line_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            s.DocumentLine.id,
            s.DocumentLine.line_no,
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            s.DocumentLine.quantity,
            unit.code.label("unit"),
            s.DocumentLine.base_quantity,
            base_unit.code.label("base_unit"),
            s.LinePrice.unit_price,
            s.LinePrice.tax_rate,
            s.LinePrice.discount_rate,
            s.LinePrice.includes_tax,
            s.LinePrice.discount,
            s.LinePrice.amount,
            s.LinePrice.tax,
            s.LinePrice.amount_incl_tax,
            s.OrderLine.delivered,
            source.line_no.label("source_line"),
            cost.c.cost,
        )
        .join(s.LinePrice, s.LinePrice.document_line_id == s.DocumentLine.id)
        .join(s.Item, s.Item.id == s.DocumentLine.item_id)
        .join(unit, unit.id == s.DocumentLine.unit_id)
        .join(base_unit, base_unit.id == s.Item.base_unit_id)
        .outerjoin(s.OrderLine, s.OrderLine.document_line_id == s.DocumentLine.id)
        .outerjoin(s.LineSource, s.LineSource.document_line_id == s.DocumentLine.id)
        .outerjoin(source, source.id == s.LineSource.source_line_id)
        .outerjoin(cost, cost.c.line_id == s.DocumentLine.id)
        .where(s.DocumentLine.document_id == document)
        .order_by(s.DocumentLine.line_no)
    ).all()
    if kind != "sales_delivery":
        return [PricedLineRow(**{k: v for k, v in r._mapping.items() if k != "id"}) for r in rows]
    returns = _returned(connection, [r.id for r in rows])
    return [
        PricedLineRow(
            **{k: v for k, v in r._mapping.items() if k not in ("id", "delivered")},
            delivered=None,
            returned=r.delivered,
            returned_amount=returns.get(r.id, (Decimal(0), Decimal(0)))[0],
            returned_cost=returns.get(r.id, (Decimal(0), Decimal(0)))[1],
        )
        for r in rows
    ]


def _returned(connection: Connection, line_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Delivery line → the amount and the cost its posted, unreversed returns brought back."""
    if not line_ids:
        return {}
    returned = aliased(s.DocumentLine)
    value = (
        select(func.coalesce(func.sum(s.StockLedgerEntry.value), 0))
        .where(s.StockLedgerEntry.document_line_id == returned.id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(s.LineSource.source_line_id, s.LinePrice.amount, value)
        .join(returned, returned.id == s.LineSource.document_line_id)
        .join(s.Document, s.Document.id == returned.document_id)
        .join(s.LinePrice, s.LinePrice.document_line_id == returned.id)
        .where(
            s.LineSource.source_line_id.in_(line_ids),
            s.Document.document_type == "sales_return",
            s.Document.posted_at.is_not(None),
            s.Document.reversed_by_document_id.is_(None),
        )
    )
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for line_id, amount, cost in rows:
        before = totals.get(line_id, (Decimal(0), Decimal(0)))
        totals[line_id] = (before[0] + amount, before[1] + Decimal(cost))
    return totals


def progress(document_type: str, lines: list[PricedLineRow]) -> Progress | None:
    """An order's progress from its lines; None for a document that is not an order."""
    if document_type not in WORDING or not lines:
        return None
    delivered = sum((line.delivered or Decimal(0) for line in lines), Decimal(0))
    if delivered == 0:
        return Progress.OPEN
    if all(line.open == 0 for line in lines):
        return Progress.DONE
    return Progress.PARTIALLY_DONE


def made_from(connection: Connection, number: str) -> list[MadeFrom]:
    """The documents pushed down from an order (its deliveries), oldest first."""
    source = aliased(s.Document)
    rows = connection.execute(
        select(
            s.Document.number,
            s.Document.document_type,
            s.Document.state,
            s.Document.business_date,
            s.Document.posted_at.is_not(None).label("posted"),
            kind_of().label("kind"),
            s.Document.reversed_by_document_id.is_not(None).label("reversed"),
        )
        .join(s.DocumentSource, s.DocumentSource.document_id == s.Document.id)
        .join(source, source.id == s.DocumentSource.source_document_id)
        .where(source.number == number)
        .order_by(s.Document.id)
    )
    return [MadeFrom(**row._mapping) for row in rows]


def source_of(connection: Connection, number: str) -> str | None:
    """The number of the order a document was pushed down from."""
    source = aliased(s.Document)
    return connection.execute(
        select(source.number)
        .join(s.DocumentSource, s.DocumentSource.source_document_id == source.id)
        .join(s.Document, s.Document.id == s.DocumentSource.document_id)
        .where(s.Document.number == number)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class PickRow:
    """Where to take a delivery's goods: what its order holds there (预占), by FEFO."""

    item: str
    item_name: str
    location: str
    batch: str | None
    expiry_date: date | None
    quantity: Decimal


def pick_list(connection: Connection, number: str) -> list[PickRow]:
    """拣货单: a delivery's goods by location, as its order reserved them, walk order."""
    delivery = aliased(s.Document)
    order_lines = (
        select(s.LineSource.source_line_id)
        .join(s.DocumentLine, s.DocumentLine.id == s.LineSource.document_line_id)
        .join(delivery, delivery.id == s.DocumentLine.document_id)
        .where(delivery.number == number)
    )
    rows = connection.execute(
        select(
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            s.Location.code.label("location"),
            s.Batch.batch_no.label("batch"),
            s.Batch.expiry_date,
            func.sum(s.StockReservation.quantity).label("quantity"),
        )
        .join(s.Item, s.Item.id == s.StockReservation.item_id)
        .join(s.Location, s.Location.id == s.StockReservation.location_id)
        .outerjoin(s.Batch, s.Batch.id == s.StockReservation.batch_id)
        .where(s.StockReservation.document_line_id.in_(order_lines))
        .group_by(s.Item.code, s.Item.name, s.Location.code, s.Batch.batch_no, s.Batch.expiry_date)
        .order_by(s.Location.code, s.Batch.expiry_date, s.Item.code)
    )
    return [PickRow(**row._mapping) for row in rows]
