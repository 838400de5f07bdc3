"""The KPI dashboard (库存 KPI 看板).

Each figure with its months drawn by ECharts, each leading to the documents behind it.
"""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jxc.domain import kpi as kpi_rules
from jxc.domain.errors import DomainError
from jxc.domain.quantities import normalized
from jxc.queries import kpi
from jxc.services import replenishment
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep
from jxc.web.render import locale_of, page

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
async def dashboard_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    start: date | None = None,
    end: date | None = None,
) -> Response:
    today = app.today()
    last = end or today
    first = start or kpi_rules.default_start(last)

    def read() -> kpi.Dashboard:
        with app.reader() as connection:
            return kpi.dashboard(connection, first, last, today, user.visible_warehouses, app.zone)

    alerts = await run_in_threadpool(replenishment.alert_counts, app.uow(), user.username)
    try:
        found = await run_in_threadpool(read)
    except DomainError as error:
        errors = form_errors(error, locale_of(request))
        return page(
            request,
            "dashboard.html",
            422,
            user=user,
            found=None,
            start=first,
            end=last,
            charts="{}",
            errors=errors,
            alert_counts=alerts,
        )
    charts = {
        figure.key: {
            "months": [point.month for point in figure.trend],
            "values": [
                None if point.value is None else f"{normalized(point.value):f}"
                for point in figure.trend
            ],
            "percent": figure.percent,
        }
        for figure in found.figures
    }
    return page(
        request,
        "dashboard.html",
        user=user,
        found=found,
        start=first,
        end=last,
        charts=json.dumps(charts),
        errors=FormErrors(),
        alert_counts=alerts,
    )
