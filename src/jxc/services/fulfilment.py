"""What ties a delivery to its order: checked at entry, consumed at posting, given back by 红冲.

A sales order holds its stock from approval (预占). Posting a delivery adds its quantities
to the order lines' progress (a guarded UPDATE: never past what was ordered), gives back
that much of the order's reservation and then takes the stock as any issue does, in one
transaction; the delivery of the last unit completes the order. Nothing here commits: it
runs inside the document service's unit of work.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from jxc.db.repositories.documents import LineRecord
from jxc.db.repositories.orders import OrderLineProgress, PricedLine
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.documents import DocumentHeader, DocumentType
from jxc.domain.errors import Conflict, ErrorCollector
from jxc.domain.items import Item, TrackingMode
from jxc.domain.prices import LinePrice, amounts, check_price
from jxc.domain.quantities import normalized
from jxc.domain.workflow import COMPLETE, Workflow
from jxc.services import workflows


@dataclass(frozen=True)
class Source:
    """The order a delivery is made from, as its lines are checked against it."""

    header: DocumentHeader
    lines: dict[int, OrderLineProgress]  # by line number
    prices: dict[int, PricedLine]  # by order line id


def order_of(uow: UnitOfWork, number: str, errors: ErrorCollector) -> Source | None:
    """The open order ``number`` a delivery is pushed down from, or None with the problem."""
    header = uow.documents.header(number)
    if header is None or header.document_type is not DocumentType.SALES_ORDER:
        errors.add("/source", "order.unknown", number=number)
        return None
    if not is_open(workflows.definition(uow, header.document_type.value), header):
        errors.add("/source", "order.not_open", number=number, state=header.state)
        return None
    lines = uow.orders.progress(header.id)
    return Source(
        header,
        {line.line_no: line for line in lines},
        uow.orders.prices([line.line_id for line in lines]),
    )


def is_open(workflow: Workflow, header: DocumentHeader) -> bool:
    """Whether an order may be delivered: approved and holding its stock, not closed."""
    return header.state in workflow.holding_states


def line_price(
    quantity: Decimal, price: LinePrice | None, pointer: str, errors: ErrorCollector
) -> PricedLine | None:
    """An order line's price and money, or None with what is wrong."""
    if price is None:
        errors.add(f"{pointer}/unit_price", "price.required")
        return None
    before = len(errors.items)
    check_price(price, pointer, errors)
    if len(errors.items) > before:
        return None
    return PricedLine(price, amounts(quantity, price))


def delivery_line(
    source: Source,
    line_no: int | None,
    item: Item,
    base_quantity: Decimal,
    pointer: str,
    errors: ErrorCollector,
) -> tuple[int, PricedLine] | None:
    """The order line a delivery line fulfils and the line's money at the order's price.

    A line that names no order line delivers the order's only line of its item.
    """
    if line_no is None:
        of_item = [line.line_no for line in source.lines.values() if line.item_id == item.id]
        if not of_item:
            errors.add(
                f"{pointer}/item",
                "delivery.item_not_on_order",
                item=item.code,
                number=source.header.number,
            )
            return None
        if len(of_item) > 1:
            errors.add(
                f"{pointer}/source_line",
                "delivery.source_line_required",
                item=item.code,
                lines=", ".join(map(str, of_item)),
            )
            return None
        line_no = of_item[0]
    ordered = source.lines.get(line_no)
    if ordered is None:
        errors.add(
            f"{pointer}/source_line",
            "delivery.source_line_unknown",
            line=line_no,
            number=source.header.number,
        )
        return None
    if ordered.item_id != item.id:
        errors.add(
            f"{pointer}/item",
            "delivery.item_not_on_order_line",
            item=item.code,
            line=line_no,
            number=source.header.number,
        )
        return None
    if base_quantity > ordered.open:
        errors.add(
            f"{pointer}/quantity",
            "delivery.over_order",
            item=item.code,
            line=line_no,
            number=source.header.number,
            ordered=str(normalized(ordered.ordered)),
            delivered=str(normalized(ordered.delivered)),
            requested=str(normalized(base_quantity)),
        )
        return None
    price = source.prices[ordered.line_id].price
    return ordered.line_id, PricedLine(price, amounts(base_quantity, price))


def consume(
    uow: UnitOfWork,
    header: DocumentHeader,
    lines: list[LineRecord],
    items: dict[int, Item],
    actor: str,
) -> None:
    """Posting a delivery: count it on its order, hand over the order's reservation.

    Raises:
        Conflict: order.not_open when the order was closed meanwhile.
        Invalid: delivery.over_order for each line past its order (another delivery took
            the rest meanwhile), serial.required for a serial item not yet scanned.
    """
    order_id = uow.orders.source_of(header.id)
    assert order_id is not None
    order = uow.documents.header_by_id(order_id)
    workflow = workflows.definition(uow, order.document_type.value)
    if not is_open(workflow, order):
        raise Conflict("order.not_open", {"number": order.number, "state": order.state})
    errors = ErrorCollector()
    for line in lines:
        if items[line.item_id].tracking is TrackingMode.SERIAL and not line.serials:
            errors.add(
                f"/lines/{line.line_no}/serials", "serial.required", item=items[line.item_id].code
            )
    errors.raise_if_any()
    sources = uow.orders.sources_of_lines([line.id for line in lines])
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        wanted[sources[line.id]] += line.base_quantity
    refused = set(uow.orders.deliver(wanted))
    if refused:
        progress = {p.line_id: p for p in uow.orders.progress(order.id)}
        for line in lines:
            if sources[line.id] in refused:
                ordered = progress[sources[line.id]]
                errors.add(
                    f"/lines/{line.line_no}/quantity",
                    "delivery.over_order",
                    item=items[line.item_id].code,
                    line=ordered.line_no,
                    number=order.number,
                    ordered=str(normalized(ordered.ordered)),
                    delivered=str(normalized(ordered.delivered)),
                    requested=str(normalized(wanted[sources[line.id]])),
                )
        errors.raise_if_any()
    for order_line, quantity in sorted(wanted.items()):
        uow.balances.release_line(order_line, quantity)
    if all(p.open == 0 for p in uow.orders.progress(order.id)):
        _complete(uow, workflow, order, actor, header.number)


def _complete(
    uow: UnitOfWork, workflow: Workflow, order: DocumentHeader, actor: str, delivery: str
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
            {"delivery": delivery},
            order.state,
            step.target,
        )
    )


def give_back(uow: UnitOfWork, original: DocumentHeader) -> None:
    """A delivery's reversal: what it delivered is open on its order again."""
    lines = uow.documents.lines(original.id)
    sources = uow.orders.sources_of_lines([line.id for line in lines])
    returned: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        returned[sources[line.id]] += line.base_quantity
    uow.orders.give_back(returned)


def in_flight(uow: UnitOfWork, order: DocumentHeader, with_posted: bool) -> tuple[str, ...]:
    """Deliveries made from an order that are on their way (and, if asked, posted ones)."""
    made = uow.orders.made_from(order.id)
    if not made:
        return ()
    delivery = workflows.definition(uow, DocumentType.SALES_DELIVERY.value)
    return tuple(
        number
        for number, _, state, posted in made
        if state in delivery.states
        and not (delivery.states[state].final and not posted)
        and (with_posted or not posted)
    )
