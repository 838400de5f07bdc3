"""Orders become stock documents without re-typing: 下推 (push down) a sales order.

The delivery it makes carries every line still open on the order, at the order's prices,
linked line by line; the clerk then picks, checks and ships it through its workflow.
"""

from __future__ import annotations

from typing import Any

from jxc.db.uow import UnitOfWork
from jxc.domain.auth import Action
from jxc.domain.documents import DocumentType
from jxc.domain.errors import Conflict, NotFound
from jxc.services import documents, fulfilment, workflows
from jxc.services.auth import principal
from jxc.services.base import reading, remember, replay, transactional
from jxc.services.documents import DocumentResult


@reading
def can_push_down(uow: UnitOfWork, actor: str, number: str) -> bool:
    """Whether ``actor`` may push order ``number`` down now: open, with something left."""
    order = uow.documents.header(number)
    if order is None or order.document_type is not DocumentType.SALES_ORDER:
        return False
    warehouse = uow.catalog.warehouse_code(order.warehouse_id)
    return (
        principal(uow, actor).may(
            Action.DOCUMENT_CREATE, DocumentType.SALES_DELIVERY.value, warehouse
        )
        and fulfilment.is_open(workflows.definition(uow, order.document_type.value), order)
        and any(line.open > 0 for line in uow.orders.progress(order.id))
    )


@transactional
def push_down(
    uow: UnitOfWork,
    actor: str,
    number: str,
    request_id: str | None = None,
    then: str | None = None,
) -> DocumentResult:
    """下推: a sales delivery of all that is still open on order ``number``.

    ``then`` takes the delivery's first step at once (``ship`` in a one-step workflow).

    Raises:
        NotFound: order.unknown.
        Conflict: order.not_open, order.nothing_open, and what creating the delivery raises.
    """
    payload = {"number": number, "then": then, "actor": actor}
    seen = replay(uow, request_id, "orders.push_down", payload)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    order = uow.documents.header(number)
    if order is None or order.document_type is not DocumentType.SALES_ORDER:
        raise NotFound("order.unknown", {"number": number})
    if not fulfilment.is_open(workflows.definition(uow, order.document_type.value), order):
        raise Conflict("order.not_open", {"number": number, "state": order.state})
    lines = {line.id: line for line in uow.documents.lines(order.id)}
    items = uow.catalog.items_by_id({line.item_id for line in lines.values()})
    open_lines: list[dict[str, Any]] = [
        {
            "item": items[progress.item_id].code,
            "quantity": progress.open,
            "batch": lines[progress.line_id].batch_no,
            "source_line": progress.line_no,
        }
        for progress in uow.orders.progress(order.id)
        if progress.open > 0
    ]
    if not open_lines:
        raise Conflict("order.nothing_open", {"number": number})
    result = documents.creating(
        uow,
        actor,
        {
            "document_type": DocumentType.SALES_DELIVERY.value,
            "warehouse": uow.catalog.warehouse_code(order.warehouse_id),
            "source": number,
            "lines": open_lines,
        },
        then=then,
    )
    remember(uow, request_id, "orders.push_down", payload, result.to_dict())
    uow.commit()
    return result
