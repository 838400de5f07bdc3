"""What ties a receipt or a delivery to its order: checked, counted, given back by 红冲.

Posting a document made from an order adds its quantities to the order lines' progress
by a guarded UPDATE: a delivery never past what was ordered, a receipt never past the
item's over-receipt tolerance (超订单入库). A sales order holds its stock from approval
(预占); its delivery takes over that much of the reservation before it takes the stock,
in the same transaction. The last unit completes the order. Nothing here commits: it runs
inside the document service's unit of work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from jxc.db.repositories.documents import LineRecord
from jxc.db.repositories.orders import OrderLineProgress, PricedLine, ShippedUnit
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.documents import DocumentHeader, DocumentType
from jxc.domain.errors import Conflict, ErrorCollector
from jxc.domain.items import Item, TrackingMode
from jxc.domain.prices import HUNDRED, LinePrice, amounts, check_price, check_rates
from jxc.domain.quantities import normalized, round_unit_cost
from jxc.domain.workflow import COMPLETE, Workflow
from jxc.queries import orders as order_queries
from jxc.services import workflows


@dataclass(frozen=True)
class Source:
    """The order a document is made from, as its lines are checked against it."""

    header: DocumentHeader
    lines: dict[int, OrderLineProgress]  # by line number
    prices: dict[int, PricedLine]  # by order line id
    tolerances: dict[int, Decimal]  # over-receipt tolerance in percent, by item id
    shipped: dict[int, list[ShippedUnit]] = field(default_factory=dict)  # a delivery's, by line
    # A delivery's or receipt's: the returns posted, per line id and batch, and those on
    # their way.
    returned_batches: dict[tuple[int, str | None], Decimal] = field(default_factory=dict)
    pending: OnTheirWay = field(default_factory=lambda: OnTheirWay((), {}, {}))

    def taken_back(self) -> dict[tuple[int, str | None], Decimal]:
        """What returns posted and on their way take of each line and batch."""
        taken: dict[tuple[int, str | None], Decimal] = defaultdict(Decimal, self.returned_batches)
        for key, quantity in self.pending.by_batch.items():
            taken[key] += quantity
        return dict(taken)


@dataclass(frozen=True)
class OnTheirWay:
    """Documents made from a source and not yet posted, and what they take of its lines."""

    documents: tuple[str, ...]
    by_line: dict[int, Decimal]  # by source line id
    by_batch: dict[tuple[int, str | None], Decimal]  # and batch (None: the line's only one)
    documents_of_line: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Fulfils:
    """What a line made from an order takes from it."""

    source_line_id: int
    priced: PricedLine | None  # a delivery's money at the order's price
    unit_cost: Decimal | None  # a receipt's cost: the order's price without tax
    batch: str | None = None  # a return's batch: the one batch its delivery line took out


def order_of(
    uow: UnitOfWork,
    number: str,
    kind: DocumentType,
    errors: ErrorCollector,
    editing: int | None = None,
) -> Source | None:
    """The open order ``number`` a document is made from, or None with the problem.

    ``editing``: the id of the document being edited, whose own lines do not count among
    the returns on their way.
    """
    header = uow.documents.header(number)
    if header is None:
        errors.add("/source", "order.unknown", number=number, document_type=kind.value)
        return None
    if header.document_type is not kind:
        errors.add(
            "/source",
            "order.wrong_type",
            number=number,
            actual_type=header.document_type.value,
            document_type=kind.value,
        )
        return None
    if not returnable(header):
        errors.add("/source", "return.no_supplier", number=number)
        return None
    if not is_open(workflows.definition(uow, header.document_type.value), header):
        errors.add("/source", "order.not_open", number=number, state=header.state)
        return None
    if kind is DocumentType.RECEIPT:  # returned to for the first time: its lines' progress
        uow.orders.open_lines(header.id)
    lines = uow.orders.progress(header.id)
    shipped: dict[int, list[ShippedUnit]] = defaultdict(list)
    returned: dict[tuple[int, str | None], Decimal] = {}
    pending = OnTheirWay((), {}, {})
    if not kind.is_order:
        line_ids = [line.line_id for line in lines]
        shipped = _moved_by_line(uow, line_ids)
        returned = uow.orders.returned_batches(line_ids)
        pending = on_their_way(uow, header, editing)
    return Source(
        header,
        {line.line_no: line for line in lines},
        uow.orders.prices([line.line_id for line in lines]),
        (
            uow.orders.tolerances({line.item_id for line in lines})
            if kind is DocumentType.PURCHASE_ORDER
            else {}
        ),
        shipped,
        returned,
        pending,
    )


def returnable(source: DocumentHeader) -> bool:
    """Whether goods may go back to whom ``source`` had them from.

    A receipt from no supplier (其他入库, a 盘盈) has no one to return them to.
    """
    return source.document_type is not DocumentType.RECEIPT or source.partner_id is not None


def on_their_way(uow: UnitOfWork, source: DocumentHeader, editing: int | None = None) -> OnTheirWay:
    """Documents made from ``source`` not yet posted, and what they take of each of its lines.

    Their quantities are not delivered (returned) yet, but no longer open: neither a
    second 下推 nor a document made by hand may take the same goods again. ``editing``'s
    own lines are left out.
    """
    made = [
        header
        for number in in_flight(uow, source, with_posted=False)
        if (header := uow.documents.header(number)) is not None and header.id != editing
    ]
    taken: dict[int, Decimal] = defaultdict(Decimal)
    batches: dict[tuple[int, str | None], Decimal] = defaultdict(Decimal)
    documents: dict[int, dict[str, None]] = defaultdict(dict)  # ordered sets
    for header in made:
        made_lines = uow.documents.lines(header.id)
        sources = uow.orders.sources_of_lines([line.id for line in made_lines])
        for line in made_lines:
            if line.id in sources:
                taken[sources[line.id]] += line.base_quantity
                batches[(sources[line.id], line.batch_no)] += line.base_quantity
                documents[sources[line.id]][header.number] = None
    return OnTheirWay(
        tuple(header.number for header in made),
        dict(taken),
        dict(batches),
        {line: tuple(numbers) for line, numbers in documents.items()},
    )


def is_open(workflow: Workflow, header: DocumentHeader) -> bool:
    """Whether documents may be made from it now.

    An order: approved, neither done nor closed. A delivery (returned to): shipped and not
    reversed.
    """
    if header.document_type.is_order:
        return header.state in workflow.open_states
    return header.posted and not header.reversed


def line_price(
    quantity: Decimal,
    price: LinePrice | None,
    pointer: str,
    errors: ErrorCollector,
    rates: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0)),
) -> PricedLine | None:
    """An order line's price and money, or None with what is wrong.

    ``rates``: the line's tax rate and discount, judged too where its price is missing (one
    answer names every problem of the line).
    """
    if price is None:
        errors.add(f"{pointer}/unit_price", "price.required")
        check_rates(*rates, pointer, errors)
        return None
    before = len(errors.items)
    check_price(price, pointer, errors)
    if len(errors.items) > before:
        return None
    return PricedLine(price, amounts(quantity, price))


def ceiling(source_kind: DocumentType, line: OrderLineProgress, tolerance: Decimal) -> Decimal:
    """The most an order line may take in all: a purchase order allows its tolerance over."""
    if source_kind is DocumentType.PURCHASE_ORDER:
        return line.ordered * (HUNDRED + tolerance) / HUNDRED
    return line.ordered


def fulfilling_line(
    source: Source,
    line_no: int | None,
    item: Item,
    base_quantity: Decimal,
    pointer: str,
    errors: ErrorCollector,
) -> Fulfils | None:
    """The order line a receipt's or delivery's line takes from, and what it carries over.

    A line that names no order line takes from the order's only line of its item.
    """
    number = source.header.number
    if line_no is None:
        of_item = [line.line_no for line in source.lines.values() if line.item_id == item.id]
        if not of_item:
            errors.add(f"{pointer}/item", "order.item_not_ordered", item=item.code, number=number)
            return None
        if len(of_item) > 1:
            errors.add(
                f"{pointer}/source_line",
                "order.source_line_required",
                item=item.code,
                lines=", ".join(map(str, of_item)),
            )
            return None
        line_no = of_item[0]
    ordered = source.lines.get(line_no)
    if ordered is None:
        errors.add(
            f"{pointer}/source_line", "order.source_line_unknown", line=line_no, number=number
        )
        return None
    if ordered.item_id != item.id:
        errors.add(
            f"{pointer}/item",
            "order.item_not_on_line",
            item=item.code,
            line=line_no,
            number=number,
        )
        return None
    kind = source.header.document_type
    most = ceiling(kind, ordered, source.tolerances.get(item.id, Decimal(0)))
    on_the_way = source.pending.by_line.get(ordered.line_id, Decimal(0))
    if ordered.delivered + on_the_way + base_quantity > most:
        if ordered.delivered + base_quantity <= most:  # too many only with those on their way
            errors.add(
                f"{pointer}/quantity",
                "return.over_shipped_pending",
                **_progress_params(ordered, item, number, base_quantity),
                pending=str(normalized(on_the_way)),
                documents=", ".join(source.pending.documents_of_line[ordered.line_id]),
            )
        else:
            _over(errors, pointer, kind, ordered, item, number, base_quantity, most)
        return None
    if kind is DocumentType.RECEIPT:  # a purchase return: the batch it sends back
        return Fulfils(ordered.line_id, None, None, _only_batch(source.shipped[ordered.line_id]))
    price = source.prices[ordered.line_id].price
    # The order's price is per its line's unit: this line's count in that unit.
    money = amounts(base_quantity * ordered.quantity / ordered.ordered, price)
    if kind is DocumentType.PURCHASE_ORDER:
        return Fulfils(ordered.line_id, None, round_unit_cost(money.amount / base_quantity))
    if kind is DocumentType.SALES_DELIVERY:  # a return: back at the cost it went out at
        shipped = source.shipped[ordered.line_id]
        cost = sum((u.value for u in shipped), Decimal(0)) / sum(
            (u.quantity for u in shipped), Decimal(0)
        )
        return Fulfils(
            ordered.line_id, PricedLine(price, money), round_unit_cost(cost), _only_batch(shipped)
        )
    return Fulfils(ordered.line_id, PricedLine(price, money), None)


def _moved_by_line(uow: UnitOfWork, line_ids: list[int]) -> dict[int, list[ShippedUnit]]:
    """What the ledger moved on each of a delivery's or receipt's lines (none: empty)."""
    moved: dict[int, list[ShippedUnit]] = defaultdict(list)
    for unit in uow.orders.shipped(line_ids):
        moved[unit.line_id].append(unit)
    return moved


def _batches(moved: list[ShippedUnit]) -> set[str]:
    """The batches a line moved."""
    return {unit.batch_no for unit in moved if unit.batch_no}


def _only_batch(moved: list[ShippedUnit]) -> str | None:
    """The batch a line moved, where it moved just one (a return's batch by default)."""
    batches = _batches(moved)
    return next(iter(batches)) if len(batches) == 1 else None


def check_returned(
    source: Source,
    fulfils: Fulfils,
    batch: str | None,
    serials: tuple[str, ...],
    pointer: str,
    errors: ErrorCollector,
) -> None:
    """A return sends back only batches and serials that moved on the line it returns."""
    shipped = source.shipped[fulfils.source_line_id]
    batches = _batches(shipped)
    if batch is None and len(batches) > 1:
        errors.add(f"{pointer}/batch", "return.batch_required", batches=", ".join(sorted(batches)))
    elif batch is not None and batch not in batches:
        errors.add(
            f"{pointer}/batch",
            "return.batch_not_shipped",
            batch=batch,
            batches=", ".join(sorted(batches)) or "-",
        )
    sent = {u.serial_no for u in shipped if u.serial_no}
    for serial in serials:
        if serial not in sent:
            errors.add(f"{pointer}/serials", "return.serial_not_shipped", serial=serial)


@dataclass(frozen=True)
class ReturnedLine:
    """A return's line as the per-batch limit reads it."""

    line_no: int
    item: str
    source_line_id: int
    batch: str | None  # None: the one batch its source line moved, if it moved one
    quantity: Decimal  # base units


def check_batches_returned(
    source_number: str,
    shipped: Mapping[int, list[ShippedUnit]],
    already: Mapping[tuple[int, str | None], Decimal],
    lines: list[ReturnedLine],
    errors: ErrorCollector,
) -> None:
    """Of each batch a source line moved, no more comes back than went out.

    The lines of one return are added up per source line and batch; ``already``: what
    other returns took back of each (posted, and those on their way when a return is made;
    a key with batch None is a line of a one-batch source line that named none).
    """
    wanted: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    first: dict[tuple[int, str], ReturnedLine] = {}
    for line in lines:
        moved = shipped.get(line.source_line_id, [])
        batch = line.batch or _only_batch(moved)
        if batch is None or batch not in _batches(moved):
            continue  # not batch-tracked, or refused as a batch it did not move
        key = (line.source_line_id, batch)
        wanted[key] += line.quantity
        first.setdefault(key, line)
    for (source_line, batch), quantity in wanted.items():
        moved = shipped[source_line]
        went_out = sum((u.quantity for u in moved if u.batch_no == batch), Decimal(0))
        back = already.get((source_line, batch), Decimal(0))
        if _only_batch(moved) is not None:
            back += already.get((source_line, None), Decimal(0))
        if back + quantity > went_out:
            line = first[(source_line, batch)]
            errors.add(
                f"/lines/{line.line_no}/quantity",
                "return.over_shipped_batch",
                item=line.item,
                batch=batch,
                number=source_number,
                shipped=str(normalized(went_out)),
                returned=str(normalized(back)),
                requested=str(normalized(quantity)),
            )


def _over(
    errors: ErrorCollector,
    pointer: str,
    kind: DocumentType,
    ordered: OrderLineProgress,
    item: Item,
    number: str,
    requested: Decimal,
    most: Decimal,
) -> None:
    params = _progress_params(ordered, item, number, requested)
    if kind is DocumentType.PURCHASE_ORDER:
        errors.add(
            f"{pointer}/quantity", "receipt.over_order", **params, allowed=str(normalized(most))
        )
    elif not kind.is_order:
        errors.add(f"{pointer}/quantity", "return.over_shipped", **params)
    else:
        errors.add(f"{pointer}/quantity", "delivery.over_order", **params)


def _progress_params(
    ordered: OrderLineProgress, item: Item, number: str, requested: Decimal
) -> dict[str, object]:
    return {
        "item": item.code,
        "line": ordered.line_no,
        "number": number,
        "ordered": str(normalized(ordered.ordered)),
        "delivered": str(normalized(ordered.delivered)),
        "requested": str(normalized(requested)),
    }


def consume(
    uow: UnitOfWork,
    header: DocumentHeader,
    lines: list[LineRecord],
    items: dict[int, Item],
    actor: str,
) -> None:
    """Posting a receipt or delivery made from an order: count it there.

    A delivery also takes over that much of its sales order's reservation.

    Raises:
        Conflict: order.not_open when the order was closed meanwhile.
        Invalid: delivery.over_order / receipt.over_order for each line past its order
            (another document took the rest meanwhile); batch.required, serial.required for
            tracking numbers a line made from an order still lacks.
    """
    assert header.source_id is not None
    # Locked: a 红冲 of the source (a delivery returned to) waits, or is waited for.
    order = uow.documents.header_by_id(header.source_id, for_update=True)
    workflow = workflows.definition(uow, order.document_type.value)
    if not is_open(workflow, order):
        raise Conflict("order.not_open", {"number": order.number, "state": order.state})
    errors = ErrorCollector()
    receiving = header.document_type.brings_stock_in
    for line in lines:
        item, pointer = items[line.item_id], f"/lines/{line.line_no}"
        if item.tracking is TrackingMode.SERIAL and not line.serials:
            errors.add(f"{pointer}/serials", "serial.required", item=item.code)
        if receiving and item.tracking is TrackingMode.BATCH and not line.batch_no:
            errors.add(f"{pointer}/batch", "batch.required", item=item.code)
    errors.raise_if_any()
    sources = uow.orders.sources_of_lines([line.id for line in lines])
    if not order.document_type.is_order:  # a return: checked again against posted returns
        _check_batches_at_posting(uow, order, lines, items, sources)
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        wanted[sources[line.id]] += line.base_quantity
    # Locked: deliveries of one order take turns, so the one taking the last unit knows it.
    progress = {p.line_id: p for p in uow.orders.progress(order.id, for_update=True)}
    buying = order.document_type is DocumentType.PURCHASE_ORDER  # only receipts may go over
    tolerances = uow.orders.tolerances({p.item_id for p in progress.values()}) if buying else {}
    ceilings = {
        line_id: ceiling(
            order.document_type,
            progress[line_id],
            tolerances.get(progress[line_id].item_id, Decimal(0)),
        )
        for line_id in wanted
    }
    refused = set(uow.orders.deliver(wanted, ceilings))
    if refused:
        for line in lines:
            source = sources[line.id]
            if source in refused:
                _over(
                    errors,
                    f"/lines/{line.line_no}",
                    order.document_type,
                    progress[source],
                    items[line.item_id],
                    order.number,
                    wanted[source],
                    ceilings[source],
                )
        errors.raise_if_any()
    if order.document_type is DocumentType.SALES_ORDER:
        for order_line, quantity in sorted(wanted.items()):
            uow.balances.release_line(order_line, quantity)
        # What a return may bring back: each line's quantity, none returned yet.
        quantities = [line.base_quantity for line in lines]
        uow.orders.add_lines(
            [line.id for line in lines], [None] * len(lines), [None] * len(lines), quantities
        )
    if all(p.delivered + wanted.get(p.line_id, 0) >= p.ordered for p in progress.values()):
        _complete(uow, workflow, order, actor, header.number)


def _check_batches_at_posting(
    uow: UnitOfWork,
    source: DocumentHeader,
    lines: list[LineRecord],
    items: dict[int, Item],
    sources: Mapping[int, int],
) -> None:
    """The per-batch limit of a return as it posts, after the returns posted meanwhile.

    Under the source's row lock that ``consume`` holds: two returns of one delivery post
    in turn, and the second sees the first.
    """
    line_ids = sorted(set(sources.values()))
    shipped = _moved_by_line(uow, line_ids)
    returned = [
        ReturnedLine(
            line.line_no,
            items[line.item_id].code,
            sources[line.id],
            line.batch_no,
            line.base_quantity,
        )
        for line in lines
    ]
    errors = ErrorCollector()
    posted = uow.orders.returned_batches(line_ids)
    check_batches_returned(source.number, shipped, posted, returned, errors)
    errors.raise_if_any()


def _complete(
    uow: UnitOfWork, workflow: Workflow, order: DocumentHeader, actor: str, made: str
) -> None:
    """The order's ``complete`` step, where its workflow has one from the state it is in."""
    step = next(
        (t for t in workflow.transitions if t.action == COMPLETE and order.state in t.sources),
        None,
    )
    if step is None:
        return
    uow.balances.release(order.id)
    now = uow.clock()
    uow.documents.move_state(order, step.target, {"state_since": now})
    uow.record(
        AuditEntry(
            actor,
            f"document.{COMPLETE}",
            "document",
            order.number,
            {"by": made},
            order.state,
            step.target,
        )
    )


def give_back(uow: UnitOfWork, original: DocumentHeader) -> None:
    """A receipt's or delivery's reversal: what it took is open on its order again."""
    lines = uow.documents.lines(original.id)
    sources = uow.orders.sources_of_lines([line.id for line in lines])
    returned: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        returned[sources[line.id]] += line.base_quantity
    uow.orders.give_back(returned)


def reopened_state(uow: UnitOfWork, order: DocumentHeader) -> str | None:
    """Where a completed order goes back to when a 红冲 opens some of it again.

    The state it was completed from; None where it was not completed (a closed order gave
    up its remainder, and stays closed).
    """
    workflow = workflows.definition(uow, order.document_type.value)
    completing = [t for t in workflow.transitions if t.action == COMPLETE]
    if order.state not in {t.target for t in completing}:
        return None
    before = uow.audit.left_state("document", order.number, f"document.{COMPLETE}")
    sources = [source for t in completing if t.target == order.state for source in t.sources]
    return before if before in sources else sources[0]


def in_flight(uow: UnitOfWork, order: DocumentHeader, with_posted: bool) -> tuple[str, ...]:
    """Documents made from an order that are on their way (and, if asked, posted ones).

    A posted one whose 红冲 is posted too is no longer in effect: a delivery whose return
    was reversed may be reversed itself.
    """
    made = order_queries.made_from(uow.connection, order.number)
    if not made:
        return ()
    flows = {kind: workflows.definition(uow, kind) for kind in {row.document_type for row in made}}
    return tuple(
        row.number
        for row in made
        if row.state in flows[row.document_type].states
        and not (flows[row.document_type].states[row.state].final and not row.posted)
        and (with_posted or not row.posted)
        and not row.reversed
    )
