"""库存预警 and 补货建议 pages.

The alerts list; a warehouse's levels and suggestions, with a form to set levels and one
click to turn the suggestions into draft documents.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jxc.domain.auth import Principal
from jxc.domain.errors import DomainError
from jxc.queries import catalog as catalog_queries
from jxc.queries import reports
from jxc.services import replenishment
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep, WriterDep
from jxc.web.render import locale_of, page

router = APIRouter(include_in_schema=False)


def _warehouses(app: Any, user: Principal) -> list[Any]:
    with app.reader() as connection:
        return [w for w in catalog_queries.warehouses(connection) if user.sees(w.code)]


@router.get("/alerts")
async def alerts_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    warehouse: str = "",
    days: int = reports.DEFAULT_EXPIRY_DAYS,
) -> Response:
    errors = FormErrors()
    try:
        rows = await run_in_threadpool(
            replenishment.alerts, app.uow(), user.username, warehouse.strip() or None, days
        )
    except DomainError as error:
        rows, errors = [], form_errors(error, locale_of(request))
    return page(
        request,
        "alerts.html",
        422 if errors else 200,
        user=user,
        rows=rows,
        errors=errors,
        warehouses=await run_in_threadpool(_warehouses, app, user),
        filters={"warehouse": warehouse, "days": days},
    )


async def _replenishment_page(
    request: Request,
    app: Any,
    user: Principal,
    warehouse: str,
    status_code: int = 200,
    errors: FormErrors | None = None,
    typed: dict[str, Any] | None = None,
    made: list[str] | None = None,
) -> Response:
    warehouses = await run_in_threadpool(_warehouses, app, user)
    chosen = warehouse or (warehouses[0].code if warehouses else "")
    suggestions: list[Any] = []
    levels: list[Any] = []
    if chosen:
        levels = await run_in_threadpool(replenishment.level_rows, app.uow(), user.username, chosen)
        suggestions = await run_in_threadpool(
            replenishment.suggest, app.uow(), user.username, chosen
        )
    return page(
        request,
        "replenishment.html",
        status_code,
        user=user,
        warehouse=chosen,
        warehouses=warehouses,
        levels=levels,
        suggestions=suggestions,
        errors=errors or FormErrors(),
        typed=typed or {},
        made=made or [],
    )


@router.get("/replenishment")
async def replenishment_page(
    request: Request, app: AppDep, user: UserDep, warehouse: str = "", made: str = ""
) -> Response:
    return await _replenishment_page(
        request, app, user, warehouse, made=[n for n in made.split(",") if n]
    )


@router.post("/replenishment/levels")
async def set_levels(
    request: Request,
    app: AppDep,
    user: WriterDep,
    warehouse: Annotated[str, Form()] = "",
    item: Annotated[str, Form()] = "",
    safety_stock: Annotated[str, Form()] = "0",
    reorder_point: Annotated[str, Form()] = "",
    max_quantity: Annotated[str, Form()] = "",
) -> Response:
    typed = {
        "item": item.strip(),
        "warehouse": warehouse,
        "safety_stock": safety_stock.strip() or "0",
        "reorder_point": reorder_point.strip(),
        "max_quantity": max_quantity.strip(),
    }
    try:
        await run_in_threadpool(replenishment.set_levels, app.uow(), user.username, typed)
    except DomainError as error:
        errors = form_errors(error, locale_of(request))
        return await _replenishment_page(request, app, user, warehouse, 422, errors, typed)
    return RedirectResponse(f"/replenishment?warehouse={warehouse}", status_code=303)


@router.post("/replenishment/accept")
async def accept(
    request: Request,
    app: AppDep,
    user: WriterDep,
    warehouse: Annotated[str, Form()] = "",
    supplier: Annotated[str, Form()] = "",
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """生成草稿单据 in one click; a double click makes them once (the form's request id)."""
    data: dict[str, Any] = {"warehouse": warehouse}
    if supplier.strip():
        data["supplier"] = supplier.strip()
    try:
        result = await run_in_threadpool(
            replenishment.accept, app.uow(), user.username, data, request_id
        )
    except DomainError as error:
        errors = form_errors(error, locale_of(request))
        return await _replenishment_page(request, app, user, warehouse, 422, errors, data)
    made = ",".join(result.documents)
    return RedirectResponse(f"/replenishment?warehouse={warehouse}&made={made}", status_code=303)
