"""The KPI dashboard's figures (库存 KPI) for a period, with their months."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from jxc.api.deps import AppDep, ReaderDep
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import Exact
from jxc.domain.kpi import default_start
from jxc.queries import kpi

router = APIRouter(route_class=ExactJsonRoute, tags=["kpi"])


class PointOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    value: Exact | None


class FigureOut(BaseModel):
    key: str = Field(description=", ".join(kpi.KEYS))
    value: Exact | None = Field(description="Over the whole period; null: nothing to judge.")
    numerator: Exact
    denominator: Exact
    trend: list[PointOut]
    link: str = Field(description="The web page listing the documents behind the figure.")


class DashboardOut(BaseModel):
    start: date
    end: date
    figures: list[FigureOut]
    cycle_hours_by_type: dict[str, Exact | None]


@router.get(
    "/kpi",
    operation_id="kpi-read",
    summary="库存 KPI: 盘点误差率, 出入库准确率, 单据处理周期, 库存周转天数, 缺货率, 准时交付率",
)
async def read_kpi(
    app: AppDep,
    reader: ReaderDep,
    start: Annotated[
        date | None, Query(alias="from", description="Default: 6 months back.")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Default: today.")] = None,
) -> DashboardOut:
    today = app.today()
    last = end or today
    first = start or default_start(last)

    def read() -> kpi.Dashboard:
        with app.reader() as connection:
            return kpi.dashboard(
                connection, first, last, today, reader.visible_warehouses, app.zone
            )

    found = await run_in_threadpool(read)
    return DashboardOut(
        start=found.start,
        end=found.end,
        figures=[
            FigureOut(
                key=figure.key,
                value=figure.value,
                numerator=figure.numerator,
                denominator=figure.denominator,
                trend=[PointOut(month=p.month, value=p.value) for p in figure.trend],
                link=figure.link,
            )
            for figure in found.figures
        ],
        cycle_hours_by_type=found.cycle_by_type,
    )
