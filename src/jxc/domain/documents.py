"""Documents (单据): header + lines, a number per type, and the posting states.

A document changes stock only by being posted (invariant 1); a posted document is
final (invariant 4): it can only be reversed (红冲) by a new document pointing at it.
Which step comes next is its workflow's business (``domain.workflow``); the rules here
decide which ledger posting a step may make.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from jxc.domain.errors import Conflict, ErrorCollector, Invalid
from jxc.domain.items import Item, TrackingMode
from jxc.domain.periods import EARLIEST_BUSINESS_DATE
from jxc.domain.quantities import MAX_QUANTITY, check_unit_cost, normalized


class DocumentType(StrEnum):
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    REVERSAL = "reversal"
    SALES_ORDER = "sales_order"
    SALES_DELIVERY = "sales_delivery"
    PURCHASE_ORDER = "purchase_order"
    SALES_RETURN = "sales_return"
    PURCHASE_RETURN = "purchase_return"
    PUTAWAY = "putaway"

    @property
    def prefix(self) -> str:
        return _PREFIXES[self]

    @property
    def moves_within(self) -> bool:
        """A put-away (上架 / 移库) moves stock between locations of one warehouse."""
        return self is DocumentType.PUTAWAY

    @property
    def is_order(self) -> bool:
        """An order moves no stock: its receipts or deliveries do (a sales order reserves)."""
        return self in (DocumentType.SALES_ORDER, DocumentType.PURCHASE_ORDER)

    @property
    def source_type(self) -> DocumentType | None:
        """The order a document is pushed down from (下推), if it may have one."""
        return _SOURCES.get(self)

    @property
    def needs_source(self) -> bool:
        """A delivery fulfils its order, a return its delivery; a receipt may have no order."""
        return self in (
            DocumentType.SALES_DELIVERY,
            DocumentType.SALES_RETURN,
            DocumentType.PURCHASE_RETURN,
        )

    @property
    def priced(self) -> bool:
        """Whether its lines carry unit prices, tax and discounts (价税合计)."""
        return self in (
            DocumentType.SALES_ORDER,
            DocumentType.SALES_DELIVERY,
            DocumentType.PURCHASE_ORDER,
            DocumentType.SALES_RETURN,
        )

    @property
    def brings_stock_in(self) -> bool:
        """Lines of a receipt (or a sales return) bring stock in; the rest take it out."""
        return self in (DocumentType.RECEIPT, DocumentType.SALES_RETURN)


_PREFIXES = {
    DocumentType.RECEIPT: "RK",
    DocumentType.ISSUE: "CK",
    DocumentType.TRANSFER: "DB",
    DocumentType.REVERSAL: "HC",
    DocumentType.SALES_ORDER: "XSDD",
    DocumentType.SALES_DELIVERY: "XSCK",
    DocumentType.PURCHASE_ORDER: "CGDD",
    DocumentType.SALES_RETURN: "XSTH",
    DocumentType.PURCHASE_RETURN: "CGTH",
    DocumentType.PUTAWAY: "SJ",
}
_SOURCES = {
    DocumentType.SALES_DELIVERY: DocumentType.SALES_ORDER,
    DocumentType.RECEIPT: DocumentType.PURCHASE_ORDER,
    DocumentType.SALES_RETURN: DocumentType.SALES_DELIVERY,
    DocumentType.PURCHASE_RETURN: DocumentType.RECEIPT,
}


class DocumentKind(StrEnum):
    """What a document is to its users (单据类型 as lists name it).

    A receipt pushed down from a purchase order is a 采购入库单, one without an order a
    其他入库单: both follow the receipt's workflow and post alike, so they share a
    ``DocumentType`` and the kind tells them apart. Every other type is its own kind.
    """

    PURCHASE_ORDER = "purchase_order"
    PURCHASE_RECEIPT = "purchase_receipt"
    PURCHASE_RETURN = "purchase_return"
    SALES_ORDER = "sales_order"
    SALES_DELIVERY = "sales_delivery"
    SALES_RETURN = "sales_return"
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    PUTAWAY = "putaway"
    REVERSAL = "reversal"

    @property
    def document_type(self) -> DocumentType:
        """The stored type (and so the workflow) of documents of this kind."""
        if self is DocumentKind.PURCHASE_RECEIPT:
            return DocumentType.RECEIPT
        return DocumentType(self.value)

    @property
    def pushed_down(self) -> bool | None:
        """Whether its documents come from an order; None where that does not decide it."""
        if self is DocumentKind.PURCHASE_RECEIPT:
            return True
        if self is DocumentKind.RECEIPT:
            return False
        return None


class PostingStep(StrEnum):
    """What the ``post`` handler writes; a transfer's receiving leg is a handler of its own."""

    POST = "post"
    SHIP = "ship"


@dataclass(frozen=True)
class DocumentHeader:
    """A document as its workflow and its posting see it.

    ``state`` is the workflow's (草稿, 已审核 …); ``shipped`` / ``posted`` / ``reversed``
    say what the ledger holds of it, whatever the workflow calls that state.
    """

    id: int
    number: str
    document_type: DocumentType
    state: str
    business_date: date
    warehouse_id: int
    to_warehouse_id: int | None
    reverses_document_id: int | None
    counterpart_location_id: int | None = None
    shipped: bool = False
    posted: bool = False
    reversed: bool = False
    created_by: str = ""
    note: str | None = None
    partner_id: int | None = None
    source_id: int | None = None  # the order it was pushed down from (下推)


def posting_step(document: DocumentHeader) -> PostingStep:
    """Which ledger posting the ``post`` handler performs for a document.

    Raises:
        Conflict: document.already_posted once it has been posted (or shipped).
    """
    if document.posted or document.shipped:
        raise Conflict("document.already_posted", {"number": document.number})
    if document.document_type is DocumentType.TRANSFER:
        return PostingStep.SHIP
    return PostingStep.POST


def check_receivable(document: DocumentHeader) -> None:
    if not document.shipped or document.posted or document.reversed:
        raise Conflict(
            "document.not_in_transit", {"number": document.number, "state": document.state}
        )


def check_reversible(document: DocumentHeader) -> None:
    """Only posted (or shipped) originals can be reversed, and only once."""
    if document.document_type is DocumentType.REVERSAL:
        raise Conflict("document.reversal_not_reversible", {"number": document.number})
    if document.reversed:
        raise Conflict("document.already_reversed", {"number": document.number})
    if not (document.posted or document.shipped):
        raise Conflict("document.not_posted", {"number": document.number, "state": document.state})


def format_number(document_type: DocumentType, day: date, sequence: int) -> str:
    return numbered(document_type.prefix, day, sequence)


def numbered(prefix: str, day: date, sequence: int) -> str:
    """A readable number: the prefix, the day, the day's sequence (RK202611260001)."""
    return f"{prefix}{day:%Y%m%d}{sequence:04d}"


@dataclass(frozen=True)
class BatchSpec:
    batch_no: str
    production_date: date | None
    expiry_date: date | None


def batch_dates(item: Item, spec: BatchSpec) -> tuple[date, date]:
    """Production and expiry dates of a new batch; expiry follows from the shelf life."""
    production, expiry = spec.production_date, spec.expiry_date
    if production is None and expiry is None:
        # with a shelf life, either date gives the other
        code = "batch.date_required" if item.shelf_life_days else "batch.dates_required"
        raise Invalid(code, {"item": item.code, "batch": spec.batch_no})
    if production is None and expiry is not None and item.shelf_life_days:
        production = expiry - timedelta(days=item.shelf_life_days)
    if expiry is None and production is not None and item.shelf_life_days:
        expiry = production + timedelta(days=item.shelf_life_days)
    if production is None:
        raise Invalid("batch.production_date_required", {"item": item.code, "batch": spec.batch_no})
    if expiry is None:
        raise Invalid("batch.expiry_date_required", {"item": item.code, "batch": spec.batch_no})
    if expiry < production:
        raise Invalid(
            "batch.expiry_before_production",
            {
                "batch": spec.batch_no,
                "production_date": str(production),
                "expiry_date": str(expiry),
            },
        )
    return production, expiry


def check_line_tracking(
    item: Item,
    base_quantity: Decimal,
    batch_no: str | None,
    serials: tuple[str, ...],
    document_type: DocumentType,
    pointer: str,
    errors: ErrorCollector,
    numbers_later: bool = False,
) -> None:
    """Collect what a line lacks for its item's tracking mode (batch / serial numbers).

    ``numbers_later``: an order holds a count; a receipt or delivery made from an order
    gets its batches and serials when the goods are in hand, and needs them to post.
    """
    if item.tracking is TrackingMode.BATCH:
        if not batch_no and document_type.brings_stock_in and not numbers_later:
            errors.add(f"{pointer}/batch", "batch.required", item=item.code)
    elif batch_no:
        errors.add(f"{pointer}/batch", "batch.not_tracked", item=item.code)
    if item.tracking is TrackingMode.SERIAL:
        if not serials:
            if not numbers_later:
                errors.add(f"{pointer}/serials", "serial.required", item=item.code)
        elif Decimal(len(serials)) != base_quantity:
            errors.add(
                f"{pointer}/serials",
                "serial.count_mismatch",
                item=item.code,
                expected=str(normalized(base_quantity)),
                given=len(serials),
            )
        duplicated = sorted({s for s in serials if serials.count(s) > 1})
        if duplicated:
            errors.add(f"{pointer}/serials", "serial.duplicated", serials=", ".join(duplicated))
    elif serials:
        errors.add(f"{pointer}/serials", "serial.not_tracked", item=item.code)


def check_serials_once(
    lines: Iterable[tuple[int, str, tuple[str, ...]]], errors: ErrorCollector
) -> None:
    """Collect a serial given on two lines of one document: one unit cannot move twice.

    ``lines``: (line number, item code, serials) of the lines that carry serials.
    """
    first_on: dict[tuple[str, str], int] = {}
    for number, item, serials in lines:
        for serial in dict.fromkeys(serials):
            line = first_on.setdefault((item, serial), number)
            if line != number:
                errors.add(
                    f"/lines/{number}/serials",
                    "serial.on_two_lines",
                    serial=serial,
                    item=item,
                    line=line,
                )


def check_produced_by(
    produced: Iterable[tuple[int, date]], business_date: date, errors: ErrorCollector
) -> None:
    """Collect a batch produced after the document's date: goods cannot arrive unmade.

    ``produced``: (line number, production date) of the lines that give one.
    """
    for number, production_date in produced:
        if production_date < EARLIEST_BUSINESS_DATE:
            errors.add(
                f"/lines/{number}/production_date",
                "batch.produced_too_early",
                production_date=production_date.isoformat(),
                earliest=EARLIEST_BUSINESS_DATE.isoformat(),
            )
        elif production_date > business_date:
            errors.add(
                f"/lines/{number}/production_date",
                "batch.produced_after_date",
                production_date=production_date.isoformat(),
                date=business_date.isoformat(),
            )


def check_item_totals(lines: Iterable[tuple[int, str, Decimal]], errors: ErrorCollector) -> None:
    """Collect an item whose lines add up beyond ``MAX_QUANTITY``.

    Each line may be just within it; the balance they make is not, and the database could
    not store it. ``lines``: (line number, item code, quantity in base units). An item is
    named on its last line.
    """
    totals: dict[str, tuple[int, Decimal]] = {}
    for number, item, base_quantity in lines:
        before = totals.get(item)
        totals[item] = (number, base_quantity if before is None else before[1] + base_quantity)
    for item, (last, total) in totals.items():
        if total > MAX_QUANTITY:
            errors.add(
                f"/lines/{last}/quantity",
                "quantity.document_total_too_large",
                item=item,
                total=f"{total:,}",
            )


def check_line_unit_cost(
    unit_cost: Decimal | None, document_type: DocumentType, pointer: str, errors: ErrorCollector
) -> None:
    if unit_cost is None:
        return
    if not document_type.brings_stock_in:
        errors.add(f"{pointer}/unit_cost", "unit_cost.only_on_receipts")
        return
    try:
        check_unit_cost(unit_cost)
    except Invalid as error:
        errors.extend(error, f"{pointer}/unit_cost")
