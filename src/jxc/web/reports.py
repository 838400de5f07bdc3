"""报表 pages: the reports menu and one page per report, each with its filters and exports.

The columns are the exports' own (``jxc.exports``), so a page and its XLSX/CSV never
disagree. A user with roles in some warehouses sees only those.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.domain.auth import Principal
from jxc.domain.errors import DomainError
from jxc.domain.periods import shown_time
from jxc.exports import Column, ExportFormat
from jxc.i18n.messages import translate
from jxc.queries import catalog as catalog_queries
from jxc.queries import reports
from jxc.queries.reports import Scope
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep
from jxc.web.render import download, locale_of, page

router = APIRouter(include_in_schema=False)

# (path, title label) of every report, in the menu's order; the first two existed before
MENU = (
    ("/reports/stock-summary", "label.web_stock_summary"),
    ("/stock", "label.web_stock_status"),
    ("/ledger", "label.web_item_ledger_report"),
    ("/reports/stock-ageing", "label.web_ageing"),
    ("/reports/dormant-stock", "label.web_dormant"),
    ("/reports/expiry-alert", "label.web_expiry"),
    ("/reports/in-transit", "label.web_in_transit"),
)


@router.get("/reports")
async def reports_menu(request: Request, user: UserDep) -> Response:
    return page(request, "reports.html", user=user, menu=MENU)


def _cell(column: Column, row: Any, locale: str, zone: tzinfo) -> Any:
    value = column.value(row)
    if value is None:
        return ""
    if column.named is not None:
        return column.named(value, locale)
    if isinstance(value, datetime):
        return shown_time(value, zone)
    return value


async def _report(
    request: Request,
    app: Any,
    user: Principal,
    read: Callable[[Any], tuple[list[Any], str]],
    columns: tuple[Column, ...],
    name: str,
    title: str,
    export_format: ExportFormat | None,
    filters: dict[str, Any],
) -> Response:
    """Read a report, then answer its page or, with ``format``, its file."""
    locale = locale_of(request)

    def run() -> tuple[list[Any], str]:
        with app.reader() as connection:
            return read(connection)

    def warehouses() -> list[str]:
        with app.reader() as connection:
            return [w.code for w in catalog_queries.warehouses(connection) if user.sees(w.code)]

    errors = FormErrors()
    try:
        rows, caption = await run_in_threadpool(run)
    except DomainError as error:
        (rows, caption), errors = ([], ""), form_errors(error, locale)
    if export_format and not errors:
        return download(request, columns, rows, export_format, name)
    zone = await run_in_threadpool(lambda: app.zone)  # read once, not once per cell
    return page(
        request,
        "report.html",
        422 if errors else 200,
        user=user,
        errors=errors,
        title=title,
        caption=caption,
        columns=columns,
        rows=rows,
        cell=lambda column, row: _cell(column, row, locale, zone),
        warehouses=await run_in_threadpool(warehouses),
        filters=filters,
    )


def _scope(user: Principal, warehouse: str, item: str, category: str = "") -> Scope:
    return Scope(
        warehouse.strip() or None,
        item.strip() or None,
        category.strip() or None,
        user.visible_warehouses,
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


@router.get("/reports/stock-summary")
async def stock_summary_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    start: date | None = None,
    end: date | None = None,
    warehouse: str = "",
    item: str = "",
    category: str = "",
    format: ExportFormat | None = None,
) -> Response:
    today = app.today()
    first, last = start or today.replace(day=1), end or today
    locale = locale_of(request)

    def read(connection: Any) -> tuple[list[Any], str]:
        found = reports.stock_summary(
            connection, first, last, _scope(user, warehouse, item, category)
        )
        period = {"start": str(found.start), "end": str(found.end)}
        caption = (
            translate("label.report_since_snapshot", locale, since=found.since, **period)
            if found.since
            else translate("label.report_since_ledger", locale, **period)
        )
        return exports.totalled(found.rows, found.total, locale), caption

    filters = {"start": first, "end": last, "warehouse": warehouse, "item": item}
    filters["category"] = category
    return await _report(
        request,
        app,
        user,
        read,
        exports.STOCK_SUMMARY,
        "stock-summary",
        "label.web_stock_summary",
        format,
        filters,
    )


@router.get("/reports/stock-ageing")
async def ageing_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    warehouse: str = "",
    item: str = "",
    category: str = "",
    format: ExportFormat | None = None,
) -> Response:
    today = app.today()
    locale = locale_of(request)

    def read(connection: Any) -> tuple[list[Any], str]:
        found = reports.stock_ageing(connection, today, _scope(user, warehouse, item, category))
        caption = translate("label.ageing_title", locale, today=str(today))
        return exports.totalled(found.rows, found.total, locale), caption

    filters = {"warehouse": warehouse, "item": item, "category": category}
    return await _report(
        request,
        app,
        user,
        read,
        exports.AGEING,
        "stock-ageing",
        "label.web_ageing",
        format,
        filters,
    )


@router.get("/reports/dormant-stock")
async def dormant_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    days: int = reports.DEFAULT_DORMANT_DAYS,
    warehouse: str = "",
    item: str = "",
    category: str = "",
    format: ExportFormat | None = None,
) -> Response:
    today = app.today()
    locale = locale_of(request)

    def read(connection: Any) -> tuple[list[Any], str]:
        found = reports.dormant_stock(
            connection, today, days, _scope(user, warehouse, item, category)
        )
        value = _money(found.total_value)
        caption = translate("label.dormant_title", locale, days=days, today=str(today), value=value)
        return found.rows, caption

    filters = {"days": days, "warehouse": warehouse, "item": item, "category": category}
    return await _report(
        request,
        app,
        user,
        read,
        exports.DORMANT,
        "dormant-stock",
        "label.web_dormant",
        format,
        filters,
    )


@router.get("/reports/expiry-alert")
async def expiry_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    days: int = reports.DEFAULT_EXPIRY_DAYS,
    warehouse: str = "",
    item: str = "",
    category: str = "",
    format: ExportFormat | None = None,
) -> Response:
    today = app.today()
    locale = locale_of(request)

    def read(connection: Any) -> tuple[list[Any], str]:
        found = reports.expiry_alert(
            connection, today, days, _scope(user, warehouse, item, category)
        )
        value = _money(found.total_value)
        caption = translate("label.expiry_title", locale, days=days, today=str(today), value=value)
        return found.rows, caption

    filters = {"days": days, "warehouse": warehouse, "item": item, "category": category}
    return await _report(
        request,
        app,
        user,
        read,
        exports.EXPIRY,
        "expiry-alert",
        "label.web_expiry",
        format,
        filters,
    )


@router.get("/reports/in-transit")
async def in_transit_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    warehouse: str = "",
    item: str = "",
    format: ExportFormat | None = None,
) -> Response:
    today = app.today()
    locale = locale_of(request)

    def read(connection: Any) -> tuple[list[Any], str]:
        found = reports.in_transit(connection, today, _scope(user, warehouse, item), app.zone)
        value = _money(found.total_value)
        caption = translate("label.in_transit_title", locale, today=str(today), value=value)
        return found.rows, caption

    filters = {"warehouse": warehouse, "item": item}
    return await _report(
        request,
        app,
        user,
        read,
        exports.IN_TRANSIT,
        "in-transit",
        "label.web_in_transit",
        format,
        filters,
    )
