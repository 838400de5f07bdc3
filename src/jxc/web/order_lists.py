"""在途订单, 待检 and 退货: document lists of their own, reached from the document list.

Each filters, pages and exports like the document list, within the reader's warehouses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.bootstrap import App
from jxc.domain.auth import Principal
from jxc.domain.documents import DocumentType
from jxc.exports import Column, ExportFormat
from jxc.queries import order_lists
from jxc.queries.order_lists import ListFilter
from jxc.services import orders
from jxc.web.pages import EXPORT_LIMIT, LIST_LIMIT, LIST_TABS, AppDep, Blank, UserDep
from jxc.web.render import download, page

router = APIRouter(include_in_schema=False)
Reader = Callable[[App, Principal, ListFilter], list[Any]]


def _in_progress(app: App, user: Principal, where: ListFilter) -> list[Any]:
    return orders.in_progress(app.uow(), user.username, where)


def _awaiting_qc(app: App, user: Principal, where: ListFilter) -> list[Any]:
    with app.reader() as connection:
        return order_lists.awaiting_qc(connection, where)


def _returns(app: App, user: Principal, where: ListFilter) -> list[Any]:
    with app.reader() as connection:
        return order_lists.returns(connection, where)


# tab → (the types it may be narrowed to, how it reads, its export's columns)
LISTS: dict[str, tuple[tuple[DocumentType, ...], Reader, tuple[Column, ...]]] = {
    "in-progress": (order_lists.ORDER_TYPES, _in_progress, exports.ORDERS_IN_PROGRESS),
    "awaiting-qc": ((), _awaiting_qc, exports.AWAITING_QC),
    "returns": (order_lists.RETURN_TYPES, _returns, exports.RETURNS),
}


def _list_route(tab: str) -> None:
    types, read, columns = LISTS[tab]

    async def list_page(
        request: Request,
        app: AppDep,
        user: UserDep,
        document_type: Annotated[DocumentType | None, Blank] = None,
        warehouse: Annotated[str | None, Blank] = None,
        partner: Annotated[str | None, Blank] = None,
        offset: int = 0,
        format: ExportFormat | None = None,
    ) -> Response:
        where = ListFilter(
            document_type if document_type in types else None,
            warehouse,
            partner,
            # One row more than the page shows: whether a next page follows.
            EXPORT_LIMIT if format else LIST_LIMIT + 1,
            0 if format else max(offset, 0),
            user.visible_warehouses,
        )
        rows = await run_in_threadpool(read, app, user, where)
        if format:
            return download(request, columns, rows, format, tab)
        return page(
            request,
            "order_lists.html",
            user=user,
            tab=tab,
            tabs=LIST_TABS,
            title=LIST_TABS[tab],
            types=types,
            rows=rows[:LIST_LIMIT],
            document_type=where.document_type or "",
            warehouse=warehouse or "",
            partner=partner or "",
            offset=where.offset,
            previous_offset=max(where.offset - LIST_LIMIT, 0) if where.offset else None,
            next_offset=where.offset + LIST_LIMIT if len(rows) > LIST_LIMIT else None,
        )

    router.add_api_route(f"/orders/{tab}", list_page, methods=["GET"])


for _tab in LISTS:
    _list_route(_tab)
