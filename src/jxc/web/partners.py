"""往来单位 pages: suppliers, customers and channels, and a channel's sellable stock."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.domain.partners import PartnerKind
from jxc.exports import ExportFormat
from jxc.queries import partners as partner_queries
from jxc.web.pages import LIST_LIMIT, AppDep, UserDep
from jxc.web.render import download, page

router = APIRouter(include_in_schema=False)


@router.get("/partners")
async def partners_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    kind: PartnerKind | None = None,
    search: str = "",
    format: ExportFormat | None = None,
) -> Response:
    def read() -> list[Any]:
        with app.reader() as connection:
            limit = exports.XLSX_MAX_ROWS if format else LIST_LIMIT
            return partner_queries.partners(connection, kind, search or None, limit=limit)

    rows = await run_in_threadpool(read)
    if format:
        return download(request, exports.PARTNERS, rows, format, "partners")
    return page(
        request,
        "partners.html",
        user=user,
        rows=rows,
        kind=kind.value if kind else "",
        kinds=list(PartnerKind),
        search=search,
    )


@router.get("/channels/{code}")
async def channel_page(
    request: Request, app: AppDep, user: UserDep, code: str, format: ExportFormat | None = None
) -> Response:
    def read() -> tuple[Any, list[Any]]:
        with app.reader() as connection:
            found = partner_queries.partner(connection, code)
            stock = partner_queries.channel_stock(connection, code, visible=user.visible_warehouses)
            return found, stock

    channel, rows = await run_in_threadpool(read)
    if format:
        return download(request, exports.SELLABLE, rows, format, "sellable")
    return page(request, "channel.html", user=user, channel=channel, rows=rows)
