"""商品流水账 and trace (追溯) pages: every movement, each linking the document that made it.

A user with roles in some warehouses sees only movements into or out of those.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.domain.errors import DomainError, Invalid
from jxc.exports import ExportFormat
from jxc.queries import catalog as catalog_queries
from jxc.queries import movements
from jxc.queries.movements import Movement, Trace
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep
from jxc.web.render import download, locale_of, page

router = APIRouter(include_in_schema=False)


@router.get("/ledger")
async def ledger_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    item: str = "",
    warehouse: str = "",
    start: date | None = None,
    end: date | None = None,
    format: ExportFormat | None = None,
) -> Response:
    def warehouses() -> list[str]:
        with app.reader() as connection:
            return [w.code for w in catalog_queries.warehouses(connection) if user.sees(w.code)]

    def read() -> tuple[Decimal, list[Movement]]:
        if not item:
            return Decimal(0), []
        if not warehouse and user.visible_warehouses is not None:
            raise Invalid("field.required", {"field": "warehouse"})
        with app.reader() as connection:
            return movements.item_ledger(
                connection, item, warehouse or None, start, end, user.visible_warehouses
            )

    errors = FormErrors()
    try:
        opening, rows = await run_in_threadpool(read)
    except DomainError as error:
        (opening, rows), errors = (Decimal(0), []), form_errors(error, locale_of(request))
    if format and not errors:
        return download(request, exports.LEDGER, rows, format, "ledger")
    return page(
        request,
        "ledger.html",
        user=user,
        errors=errors,
        item=item,
        warehouse=warehouse,
        warehouses=await run_in_threadpool(warehouses),
        start=start or "",
        end=end or "",
        opening=opening,
        rows=rows,
    )


@router.get("/trace")
async def trace_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    item: str = "",
    batch: str = "",
    serial: str = "",
    document: str = "",
    format: ExportFormat | None = None,
) -> Response:
    """One of: a batch (item and batch), a serial (and its item if serials repeat), a document."""

    def read() -> Trace | None:
        with app.reader() as connection:
            if document:
                visible = user.visible_warehouses
                found = movements.trace_document(connection, document.strip(), visible)
            elif serial:
                found = movements.trace_serial(connection, serial.strip(), item.strip() or None)
            elif batch:
                if not item:
                    raise Invalid("field.required", {"field": "item"})
                found = movements.trace_batch(connection, item.strip(), batch.strip())
            elif item.strip():
                raise Invalid("trace.item_alone", {"item": item.strip()})
            else:
                return None
        return found.within(user.visible_warehouses)

    errors = FormErrors()
    try:
        trace = await run_in_threadpool(read)
    except DomainError as error:
        trace, errors = None, form_errors(error, locale_of(request))
    if format and trace is not None:
        return download(request, exports.MOVEMENTS, trace.in_order, format, "trace")
    return page(
        request,
        "trace.html",
        user=user,
        errors=errors,
        item=item,
        batch=batch,
        serial=serial,
        document=document,
        trace=trace,
    )
