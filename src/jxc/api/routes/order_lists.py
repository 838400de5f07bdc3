"""在途订单, 待检 and 退货: document lists of their own, paged and exported like /documents.

A reader sees only documents from or to the warehouses they hold a role in.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.api.deps import (
    EXPORT_RESPONSES,
    AppDep,
    Export,
    Limit,
    LocaleDep,
    Offset,
    ReaderDep,
    exported,
)
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import Page
from jxc.domain.documents import DocumentType
from jxc.exports import XLSX_MAX_ROWS, ExportFormat
from jxc.queries import order_lists
from jxc.queries.order_lists import AwaitingQcRow, ListFilter, OrderInProgressRow, ReturnRow
from jxc.services import orders

router = APIRouter(route_class=ExactJsonRoute, tags=["documents"])

Warehouse = Annotated[str | None, Query(max_length=64)]
Partner = Annotated[str | None, Query(max_length=32)]


def _where(
    document_type: DocumentType | None,
    warehouse: str | None,
    partner: str | None,
    limit: int,
    offset: int,
    export_format: ExportFormat | None,
    visible: Any,
) -> ListFilter:
    everything = export_format is not None
    # One row more than the page holds: whether a next page follows.
    return ListFilter(
        document_type,
        warehouse,
        partner,
        XLSX_MAX_ROWS if everything else limit + 1,
        0 if everything else offset,
        visible,
    )


@router.get(
    "/orders/in-progress",
    operation_id="orders-in-progress",
    summary="在途订单: approved purchase and sales orders not finished, oldest first",
    response_model=Page[OrderInProgressRow],
    responses=EXPORT_RESPONSES,
)
async def orders_in_progress(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    limit: Limit = 50,
    offset: Offset = 0,
    document_type: Annotated[
        DocumentType | None, Query(description="purchase_order or sales_order")
    ] = None,
    warehouse: Warehouse = None,
    partner: Partner = None,
    export_format: Export = None,
) -> Any:
    kind = document_type if document_type in order_lists.ORDER_TYPES else None
    where = _where(kind, warehouse, partner, limit, offset, export_format, None)
    rows = await run_in_threadpool(orders.in_progress, app.uow(), reader.username, where)
    if export_format is not None:
        return exported(
            locale, exports.ORDERS_IN_PROGRESS, rows, export_format, "orders-in-progress"
        )
    return Page[OrderInProgressRow].of(rows, limit, offset)


@router.get(
    "/receipts/awaiting-qc",
    operation_id="receipts-awaiting-qc",
    summary="待检: purchase receipts whose goods still wait in QC, the longest waiting first",
    response_model=Page[AwaitingQcRow],
    responses=EXPORT_RESPONSES,
)
def awaiting_qc(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    limit: Limit = 50,
    offset: Offset = 0,
    warehouse: Warehouse = None,
    partner: Partner = None,
    export_format: Export = None,
) -> Any:
    where = _where(
        None, warehouse, partner, limit, offset, export_format, reader.visible_warehouses
    )
    with app.reader() as connection:
        rows = order_lists.awaiting_qc(connection, where)
    if export_format is not None:
        return exported(locale, exports.AWAITING_QC, rows, export_format, "awaiting-qc")
    return Page[AwaitingQcRow].of(rows, limit, offset)


@router.get(
    "/returns",
    operation_id="returns-list",
    summary="退货: purchase and sales returns with what they return against, newest first",
    response_model=Page[ReturnRow],
    responses=EXPORT_RESPONSES,
)
def list_returns(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    limit: Limit = 50,
    offset: Offset = 0,
    document_type: Annotated[
        DocumentType | None, Query(description="purchase_return or sales_return")
    ] = None,
    warehouse: Warehouse = None,
    partner: Partner = None,
    export_format: Export = None,
) -> Any:
    kind = document_type if document_type in order_lists.RETURN_TYPES else None
    where = _where(
        kind, warehouse, partner, limit, offset, export_format, reader.visible_warehouses
    )
    with app.reader() as connection:
        rows = order_lists.returns(connection, where)
    if export_format is not None:
        return exported(locale, exports.RETURNS, rows, export_format, "returns")
    return Page[ReturnRow].of(rows, limit, offset)
