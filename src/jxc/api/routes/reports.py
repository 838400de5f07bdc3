"""Reports (报表): 进销存汇总表, 库龄分析, 呆滞分析, 保质期预警, 调拨在途, as JSON or a file.

A user holding roles in some warehouses reads only those; ``?format=xlsx|csv`` downloads
the report (with its 合计 row where it has one), the columns named in the request's language.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.api.deps import EXPORT_RESPONSES, AppDep, Export, LocaleDep, ReaderDep, exported
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import AgeingOut, DormantOut, ExpiryOut, InTransitOut, StockSummaryOut
from jxc.domain.auth import Principal
from jxc.queries import reports
from jxc.queries.reports import Scope

router = APIRouter(route_class=ExactJsonRoute, prefix="/reports", tags=["reports"])

Code = Annotated[str | None, Query(min_length=1, max_length=64)]
Category = Annotated[str | None, Query(min_length=1, max_length=100)]
Days = Annotated[int, Query(ge=0, le=reports.MAX_DAYS)]


def _scope(
    reader: Principal, warehouse: str | None, item: str | None, category: str | None
) -> Scope:
    return Scope(warehouse, item, category, reader.visible_warehouses)


@router.get(
    "/stock-summary",
    operation_id="reports-stock-summary",
    summary="进销存汇总表: opening, in, out and closing per item and warehouse",
    response_model=StockSummaryOut,
    responses=EXPORT_RESPONSES,
)
async def stock_summary(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    start: Annotated[date, Query(alias="from", description="First business date.")],
    end: Annotated[date, Query(alias="to", description="Last business date (at most 366 days).")],
    warehouse: Code = None,
    item: Code = None,
    category: Category = None,
    export_format: Export = None,
) -> Any:
    def read() -> reports.StockSummary:
        with app.reader() as connection:
            return reports.stock_summary(
                connection, start, end, _scope(reader, warehouse, item, category)
            )

    found = await run_in_threadpool(read)
    if export_format is not None:
        rows = exports.totalled(found.rows, found.total, locale)
        return exported(locale, exports.STOCK_SUMMARY, rows, export_format, "stock-summary")
    return StockSummaryOut.model_validate(found, from_attributes=True)


@router.get(
    "/stock-ageing",
    operation_id="reports-stock-ageing",
    summary="库龄分析: stock on hand by the age of its receipts (first in, first out)",
    response_model=AgeingOut,
    responses=EXPORT_RESPONSES,
)
async def stock_ageing(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    warehouse: Code = None,
    item: Code = None,
    category: Category = None,
    export_format: Export = None,
) -> Any:
    def read() -> reports.Ageing:
        with app.reader() as connection:
            today = app.today()
            return reports.stock_ageing(
                connection, today, _scope(reader, warehouse, item, category)
            )

    found = await run_in_threadpool(read)
    if export_format is not None:
        rows = exports.totalled(found.rows, found.total, locale)
        return exported(locale, exports.AGEING, rows, export_format, "stock-ageing")
    return AgeingOut.model_validate(
        {
            "today": found.today,
            "buckets": list(exports.AGE_BUCKET_NAMES),
            "rows": found.rows,
            "total": found.total,
        },
        from_attributes=True,
    )


@router.get(
    "/dormant-stock",
    operation_id="reports-dormant-stock",
    summary="呆滞分析: stock nothing has left its warehouse for `days` days",
    response_model=DormantOut,
    responses=EXPORT_RESPONSES,
)
async def dormant_stock(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    days: Days = reports.DEFAULT_DORMANT_DAYS,
    warehouse: Code = None,
    item: Code = None,
    category: Category = None,
    export_format: Export = None,
) -> Any:
    def read() -> reports.Dormant:
        with app.reader() as connection:
            return reports.dormant_stock(
                connection, app.today(), days, _scope(reader, warehouse, item, category)
            )

    found = await run_in_threadpool(read)
    if export_format is not None:
        return exported(locale, exports.DORMANT, found.rows, export_format, "dormant-stock")
    return DormantOut.model_validate(found, from_attributes=True)


@router.get(
    "/expiry-alert",
    operation_id="reports-expiry-alert",
    summary="保质期预警: batches on hand expired or expiring within `days` days",
    response_model=ExpiryOut,
    responses=EXPORT_RESPONSES,
)
async def expiry_alert(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    days: Days = reports.DEFAULT_EXPIRY_DAYS,
    warehouse: Code = None,
    item: Code = None,
    category: Category = None,
    export_format: Export = None,
) -> Any:
    def read() -> reports.ExpiryAlert:
        with app.reader() as connection:
            return reports.expiry_alert(
                connection, app.today(), days, _scope(reader, warehouse, item, category)
            )

    found = await run_in_threadpool(read)
    if export_format is not None:
        return exported(locale, exports.EXPIRY, found.rows, export_format, "expiry-alert")
    return ExpiryOut.model_validate(found, from_attributes=True)


@router.get(
    "/in-transit",
    operation_id="reports-in-transit",
    summary="调拨在途: transfers shipped and not yet received (either end in `warehouse`)",
    response_model=InTransitOut,
    responses=EXPORT_RESPONSES,
)
async def in_transit(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    warehouse: Code = None,
    item: Code = None,
    export_format: Export = None,
) -> Any:
    def read() -> reports.InTransit:
        with app.reader() as connection:
            return reports.in_transit(
                connection, app.today(), _scope(reader, warehouse, item, None), app.zone
            )

    found = await run_in_threadpool(read)
    if export_format is not None:
        return exported(locale, exports.IN_TRANSIT, found.rows, export_format, "in-transit")
    return InTransitOut.model_validate(found, from_attributes=True)
