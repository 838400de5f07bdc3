"""盘点 pages: the list with a plan form, one stocktake with its steps, the count by scan.

The count screen records every scan on the server at once (a scan id makes a scanner's
double read count once), so a phone that drops off loses nothing; it shows what was
counted at the chosen location, never the book while the count is blind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.domain.auth import Principal
from jxc.domain.documents import DocumentType
from jxc.domain.errors import DomainError
from jxc.exports import ExportFormat
from jxc.queries import catalog as catalog_queries
from jxc.services import catalog, stocktakes
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep, WriterDep
from jxc.web.render import download, locale_of, page
from jxc.web.scanning import typed_beside, typed_count, typed_date

router = APIRouter(include_in_schema=False)
Step = Literal["start", "hand-in", "approve", "cancel"]
_STEPS = {
    "start": stocktakes.start,
    "hand-in": stocktakes.hand_in,
    "approve": stocktakes.approve,
}


@router.get("/stocktakes")
async def stocktakes_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    state: str = "",
    format: ExportFormat | None = None,
) -> Response:
    rows = await run_in_threadpool(stocktakes.listing, app.uow(), user.username, state or None)
    if format:
        return download(request, exports.STOCKTAKES, rows, format, "stocktakes")
    return await _list_page(request, app, user, rows, state)


async def _list_page(
    request: Request,
    app: AppDep,
    user: Principal,
    rows: list[Any],
    state: str,
    status_code: int = 200,
    errors: FormErrors | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    def warehouses() -> list[Any]:
        with app.reader() as connection:
            found = catalog_queries.warehouses(connection)
        return [w for w in found if user.sees(w.code)]

    return page(
        request,
        "stocktakes.html",
        status_code,
        user=user,
        rows=rows,
        state=state,
        states=["planned", "counting", "reviewing", "first_approved", "approved", "cancelled"],
        warehouses=await run_in_threadpool(warehouses),
        errors=errors or FormErrors(),
        typed=typed or {},
    )


@router.post("/stocktakes")
async def plan(
    request: Request,
    app: AppDep,
    user: WriterDep,
    warehouse: Annotated[str, Form()] = "",
    locations: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    abc_class: Annotated[str, Form()] = "",
    not_counted_days: Annotated[str, Form()] = "",
    tolerance_percent: Annotated[str, Form()] = "5",
    open_count: Annotated[str, Form()] = "",
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """计划盘点 from the form: the new stocktake opens, ready to start."""
    typed: dict[str, Any] = {
        "warehouse": warehouse,
        "locations": [code for code in locations.replace(",", " ").split() if code],
        "category": category.strip() or None,
        "abc_class": abc_class or None,
        "not_counted_days": not_counted_days.strip() or None,
        "tolerance_percent": tolerance_percent.strip() or "5",
        "blind": not open_count,
    }
    try:
        made = await run_in_threadpool(
            stocktakes.plan,
            app.uow(),
            user.username,
            {key: value for key, value in typed.items() if value is not None},
            request_id,
        )
    except DomainError as error:
        rows = await run_in_threadpool(stocktakes.listing, app.uow(), user.username)
        errors = form_errors(error, locale_of(request))
        return await _list_page(request, app, user, rows, "", 422, errors, typed)
    return RedirectResponse(f"/stocktakes/{made.number}", status_code=303)


@router.get("/stocktakes/{number}")
async def stocktake_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    number: str,
    format: ExportFormat | None = None,
) -> Response:
    view = await run_in_threadpool(stocktakes.view, app.uow(), user.username, number)
    if format:
        return download(request, exports.COUNT_LINES, view.lines, format, number)
    return page(request, "stocktake.html", user=user, view=view, errors=FormErrors())


@router.post("/stocktakes/{number}/{step}")
async def take_step(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    step: Step,
    reason: Annotated[str, Form()] = "",
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """开始 / 交盘 / 审核 / 作废: the step taken, or the page again with why not."""
    try:
        if step == "cancel":
            await run_in_threadpool(
                stocktakes.cancel, app.uow(), user.username, number, reason, request_id
            )
        else:
            await run_in_threadpool(_STEPS[step], app.uow(), user.username, number, request_id)
    except DomainError as error:
        view = await run_in_threadpool(stocktakes.view, app.uow(), user.username, number)
        errors = form_errors(error, locale_of(request))
        return page(request, "stocktake.html", 422, user=user, view=view, errors=errors)
    return RedirectResponse(f"/stocktakes/{number}", status_code=303)


@router.get("/stocktakes/{number}/count")
async def count_page(
    request: Request, app: AppDep, user: UserDep, number: str, location: str = ""
) -> Response:
    view = await run_in_threadpool(stocktakes.view, app.uow(), user.username, number)
    return page(
        request,
        "stocktake_count.html",
        user=user,
        view=view,
        **_counted_at(view, location),
        scan_error="",
    )


def _counted_at(view: stocktakes.StocktakeView, location: str) -> dict[str, Any]:
    """The screen's location (the first with book lines unless chosen) and its lines.

    Every location of the plan is offered, an empty one too: what is found there is counted.
    """
    booked = sorted({row.location for row in view.lines})
    chosen = location or (booked[0] if booked else (view.locations or [""])[0])
    offered = sorted({*view.locations, *booked})
    return {
        "location": chosen,
        "locations": offered if chosen in offered else [*offered, chosen],
        "lines": [row for row in view.lines if row.location == chosen],
    }


@router.post("/stocktakes/{number}/count/scan")
async def count_scan(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    location: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
    scan_batch: Annotated[str, Form()] = "",
    scan_expiry: Annotated[str, Form()] = "",
    scan_serial: Annotated[str, Form()] = "",
    scan_production: Annotated[str, Form()] = "",
    scan_id: Annotated[str, Form()] = "",
) -> Response:
    """One scan added to the count (``quantity`` times when typed): the lines re-drawn.

    A batch or a serial the code does not carry may be typed beside it, and for a batch
    the books do not know, its expiry date (and its production date, for an item without
    a shelf life): that scan's only, as on every scan screen. A serial-tracked unit counts
    once, by its serial. A refused scan comes back as 422 with its message next to the
    scan field.
    """

    def record() -> None:
        # Read as going out: a batch-tracked code without its batch is not refused here,
        # the count names what is missing once the typed batch is taken into account.
        count = typed_count(quantity)
        beside = typed_beside(scan_batch, scan_expiry, scan_serial)
        produced = typed_date(scan_production, "production_date")
        scanned = catalog.scan(app.uow(), user.username, code, DocumentType.ISSUE, beside)
        line = {
            "item": scanned.item,
            "serials": [scanned.serial] if scanned.serial else [],
            "quantity": str(scanned.quantity * (count or 1)),
            "unit": scanned.unit,
            "batch": scanned.batch,
            # a label's expiry tells a batch the books do not know; an item without
            # batches has none to tell
            "expiry_date": (
                scanned.expiry_date.isoformat() if scanned.batched and scanned.expiry_date else None
            ),
            "production_date": produced.isoformat() if produced else None,
            "location": location or None,
        }
        request_id = f"scan:{scan_id}" if scan_id else None
        counts = {"mode": "add", "lines": [line]}
        stocktakes.count(app.uow(), user.username, number, counts, request_id=request_id)

    return await _recorded(request, app, user, number, location, record)


@router.post("/stocktakes/{number}/count/total")
async def count_total(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    location: Annotated[str, Form()] = "",
    item: Annotated[str, Form()] = "",
    batch: Annotated[str, Form()] = "",
    total: Annotated[str, Form()] = "",
) -> Response:
    """A line's total typed in (a correction, or a count without a scanner)."""

    def record() -> None:
        line = {
            "item": item,
            "quantity": total.strip(),
            "batch": batch or None,
            "location": location or None,
        }
        counts = {"mode": "set", "lines": [line]}
        stocktakes.count(app.uow(), user.username, number, counts)

    return await _recorded(request, app, user, number, location, record)


async def _recorded(
    request: Request,
    app: AppDep,
    user: Principal,
    number: str,
    location: str,
    record: Callable[[], None],
) -> Response:
    scan_error, status = "", 200
    try:
        await run_in_threadpool(record)
    except DomainError as error:
        scan_error, status = form_errors(error, locale_of(request)).summary_or_first(), 422
    # After each scan only the screen's location is read again, not the whole stocktake.
    view = await run_in_threadpool(
        stocktakes.view, app.uow(), user.username, number, location or None
    )
    return page(
        request,
        "_count_lines.html",
        status,
        view=view,
        **_counted_at(view, location),
        scan_error=scan_error,
    )
