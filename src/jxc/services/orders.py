"""Orders become stock documents without re-typing: 下推 (push down).

A sales order pushes down to a sales delivery, a purchase order to a receipt (采购入库):
every line still open on the order, linked line by line, at the order's prices (a
receipt's cost is the order's price without tax). The clerk then picks and ships, or
counts in the batches and posts, through the document's workflow.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from jxc.db.repositories.orders import OrderLineProgress
from jxc.db.uow import UnitOfWork
from jxc.domain.auth import Action
from jxc.domain.documents import DocumentHeader, DocumentType
from jxc.domain.errors import Conflict, NotFound
from jxc.queries import order_lists
from jxc.queries.order_lists import ListFilter, OrderInProgressRow
from jxc.services import documents, fulfilment, workflows
from jxc.services.auth import principal
from jxc.services.base import reading, remember, replay, transactional
from jxc.services.documents import DocumentResult

MADE_FROM = {
    DocumentType.SALES_ORDER: DocumentType.SALES_DELIVERY,
    DocumentType.PURCHASE_ORDER: DocumentType.RECEIPT,
    DocumentType.SALES_DELIVERY: DocumentType.SALES_RETURN,  # 退货: what may still come back
    DocumentType.RECEIPT: DocumentType.PURCHASE_RETURN,  # 采购退货: what may still go back
}


@reading
def can_push_down(uow: UnitOfWork, actor: str, number: str) -> bool:
    """Whether ``actor`` may push order ``number`` down now: open, with something left."""
    order = uow.documents.header(number)
    if order is None or order.document_type not in MADE_FROM or not fulfilment.returnable(order):
        return False
    warehouse = uow.catalog.warehouse_code(order.warehouse_id)
    return (
        principal(uow, actor).may(
            Action.DOCUMENT_CREATE, MADE_FROM[order.document_type].value, warehouse
        )
        and fulfilment.is_open(workflows.definition(uow, order.document_type.value), order)
        and bool(_left_to_push(uow, order)[1])
    )


@reading
def in_progress(uow: UnitOfWork, actor: str, where: ListFilter) -> list[OrderInProgressRow]:
    """在途订单: the approved orders, neither done nor closed, in the actor's warehouses.

    Which states those are is each order type's workflow's business (its open states).

    Raises:
        NotFound: workflow.not_installed (an order type without a workflow).
    """
    states = [
        (kind.value, state)
        for kind in order_lists.ORDER_TYPES
        for state in sorted(workflows.definition(uow, kind.value).open_states)
    ]
    visible = principal(uow, actor).visible_warehouses
    return order_lists.orders_in_progress(uow.connection, states, replace(where, visible=visible))


@transactional
def push_down(
    uow: UnitOfWork,
    actor: str,
    number: str,
    request_id: str | None = None,
    then: str | None = None,
) -> DocumentResult:
    """下推: a delivery (or a receipt) of all that is still open on order ``number``.

    ``then`` takes its first step at once (``ship`` / ``post`` in a one-step workflow).

    Raises:
        NotFound: document.unknown (no such order).
        Conflict: order.not_open, order.nothing_open, and what creating the delivery raises.
    """
    payload = {"number": number, "then": then, "actor": actor}
    seen = replay(uow, actor, request_id, "orders.push_down", payload)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    order = uow.documents.header(number)
    if order is None or order.document_type not in MADE_FROM:
        raise NotFound("document.unknown", {"number": number})
    if not fulfilment.is_open(workflows.definition(uow, order.document_type.value), order):
        raise Conflict("order.not_open", {"number": number, "state": order.state})
    lines = {line.id: line for line in uow.documents.lines(order.id)}
    items = uow.catalog.items_by_id({line.item_id for line in lines.values()})
    if order.document_type is DocumentType.RECEIPT:  # returned to for the first time
        uow.orders.open_lines(order.id)
    pending, left = _left_to_push(uow, order, for_update=True)  # one push-down at a time
    open_lines: list[dict[str, Any]] = [
        {
            "item": items[line.item_id].code,
            "quantity": quantity,
            "batch": lines[line.line_id].batch_no,
            "source_line": line.line_no,
        }
        for line, quantity in left
    ]
    if not open_lines and pending:
        raise Conflict(
            "order.already_pushed_down", {"number": number, "documents": ", ".join(pending)}
        )
    if not open_lines:
        raise Conflict("order.nothing_open", {"number": number})
    result = documents.creating(
        uow,
        actor,
        {
            "document_type": MADE_FROM[order.document_type].value,
            "warehouse": uow.catalog.warehouse_code(order.warehouse_id),
            "source": number,
            "lines": open_lines,
        },
        then=then,
    )
    remember(uow, actor, request_id, "orders.push_down", payload, result.to_dict())
    uow.commit()
    return result


def _left_to_push(
    uow: UnitOfWork, order: DocumentHeader, for_update: bool = False
) -> tuple[tuple[str, ...], list[tuple[OrderLineProgress, Decimal]]]:
    """Documents made from ``order`` not yet posted, and what they leave to push per line.

    Their quantities are not delivered yet but no longer open to push down: a second
    下推 makes a document for the rest only, never a second one for the same goods.
    ``for_update`` locks the order's lines first, so two push-downs take turns; without it,
    a receipt never returned to reads as open in whole.
    """
    progress = uow.orders.progress(order.id, for_update=for_update, unopened_as_open=not for_update)
    pending = fulfilment.on_their_way(uow, order)
    left = [(line, line.open - pending.by_line.get(line.line_id, Decimal(0))) for line in progress]
    return pending.documents, [(line, quantity) for line, quantity in left if quantity > 0]
