"""Movements: 商品流水账 of an item and the trace (追溯) of a batch, a serial or a document.

A user holding roles in some warehouses only sees movements into or out of those.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.api.deps import (
    EXPORT_RESPONSES,
    AppDep,
    Export,
    LocaleDep,
    Period,
    ReaderDep,
    exported,
    period,
)
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import ItemLedgerOut, TraceOut
from jxc.bootstrap import App
from jxc.domain.auth import Principal
from jxc.domain.errors import Invalid
from jxc.exports import ExportFormat
from jxc.queries import movements
from jxc.queries.movements import Movement, Trace

router = APIRouter(route_class=ExactJsonRoute, tags=["movements"])


@router.get(
    "/items/{item}/ledger",
    operation_id="items-ledger",
    summary="商品流水账: an item's movements with the running balance",
    response_model=ItemLedgerOut,
    responses=EXPORT_RESPONSES,
)
async def item_ledger(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    days: Annotated[Period, Depends(period("start", "end"))],
    item: str,
    warehouse: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    export_format: Export = None,
) -> Any:
    if warehouse is None and reader.visible_warehouses is not None:
        raise Invalid("field.required", {"field": "warehouse", "pointer": "/query/warehouse"})

    def read() -> tuple[Decimal, list[Movement]]:
        with app.reader() as connection:
            return movements.item_ledger(
                connection, item, warehouse, days.first, days.last, reader.visible_warehouses
            )

    opening, rows = await run_in_threadpool(read)
    if export_format is not None:
        return exported(locale, exports.LEDGER, rows, export_format, "ledger")
    return ItemLedgerOut.model_validate(
        {"item": item, "warehouse": warehouse, "opening": opening, "movements": rows},
        from_attributes=True,
    )


async def _trace(
    app: App,
    reader: Principal,
    export: tuple[str, ExportFormat | None],
    read: Callable[..., Trace],
    *args: Any,
) -> Any:
    def run() -> Trace:
        with app.reader() as connection:
            return read(connection, *args)

    found = (await run_in_threadpool(run)).within(reader.visible_warehouses)
    locale, export_format = export
    if export_format is not None:
        return exported(locale, exports.MOVEMENTS, found.in_order, export_format, "trace")
    return TraceOut.model_validate(found, from_attributes=True)


@router.get(
    "/trace/batches/{item}/{batch}",
    operation_id="trace-batch",
    summary="追溯: every movement of one batch, from its receipt to the customer",
    response_model=TraceOut,
    responses=EXPORT_RESPONSES,
)
async def trace_batch(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    item: str,
    batch: str,
    export_format: Export = None,
) -> Any:
    export = (locale, export_format)
    return await _trace(app, reader, export, movements.trace_batch, item, batch)


@router.get(
    "/trace/serials/{serial}",
    operation_id="trace-serial",
    summary="追溯: every movement of one serial number",
    response_model=TraceOut,
    responses=EXPORT_RESPONSES,
)
async def trace_serial(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    serial: str,
    item: Annotated[str | None, Query(max_length=64)] = None,
    export_format: Export = None,
) -> Any:
    export = (locale, export_format)
    return await _trace(app, reader, export, movements.trace_serial, serial, item)


@router.get(
    "/trace/documents/{number}",
    operation_id="trace-document",
    summary="追溯: a document's movements, where their goods came from and went after",
    response_model=TraceOut,
    responses=EXPORT_RESPONSES,
)
async def trace_document(
    app: AppDep, reader: ReaderDep, locale: LocaleDep, number: str, export_format: Export = None
) -> Any:
    export = (locale, export_format)
    visible = reader.visible_warehouses
    return await _trace(app, reader, export, movements.trace_document, number, visible)
