"""库存预警 and 补货: stock levels, the current alerts, suggestions and their drafts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from jxc.api.deps import ActingDep, ActorDep, AppDep, IdempotencyKey
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import Exact
from jxc.domain.replenishment import DEFAULT_USAGE_DAYS, MAX_USAGE_DAYS
from jxc.queries import reports
from jxc.services import replenishment

router = APIRouter(route_class=ExactJsonRoute, tags=["replenishment"])

Code = Annotated[str, Path(min_length=1, max_length=64)]
WarehouseCode = Annotated[str, Path(min_length=1, max_length=32)]


class LevelsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    safety_stock: Exact = Field(default=Decimal(0), description="安全库存 (base unit).")
    reorder_point: Exact = Field(description="再订货点: suggest at or below it.")
    max_quantity: Exact = Field(description="最高库存: suggest up to it.")


class LevelsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item: str
    warehouse: str
    safety_stock: Exact
    reorder_point: Exact
    max_quantity: Exact


class LevelRowOut(LevelsOut):
    item_name: str
    unit: str
    on_hand: Exact
    reserved: Exact
    available: Exact
    updated_by: str
    updated_at: datetime


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str = Field(
        description="below_safety, at_reorder, expired, near_expiry, negative, mismatch or "
        "oversell_refused (拒绝超卖: quantity requested, threshold available)."
    )
    key: str = Field(description="Names the alert: published to the outbox as it begins.")
    warehouse: str | None
    item: str
    item_name: str
    quantity: Exact
    threshold: Exact | None
    batch: str | None
    location: str | None
    expiry_date: date | None
    code: str | None = Field(description="What jxc check found (mismatch only).")
    document: str | None = Field(description="The document refused (oversell_refused only).")
    actor: str | None = Field(description="Who was refused (oversell_refused only).")
    occurred_at: datetime | None = Field(description="When (oversell_refused only).")


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    quantity: Exact
    warehouse: str | None = Field(description="调拨 from this warehouse; null: buy it.")
    supplier: str | None = Field(description="Bought from; null when none is known.")


class SuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item: str
    item_name: str
    unit: str
    safety_stock: Exact
    reorder_point: Exact
    max_quantity: Exact
    on_hand: Exact
    reserved: Exact
    on_order: Exact = Field(description="Open purchase orders and transfers not yet received.")
    average_daily_usage: Exact
    quantity: Exact = Field(description="建议补货量: up to the maximum.")
    unit_cost: Exact | None
    sources: list[SourceOut]


class AcceptedOut(BaseModel):
    warehouse: str
    documents: list[str] = Field(description="The draft transfers and purchase orders made.")
    lines: int


@router.put(
    "/stock-levels/{warehouse}/{item}",
    operation_id="stock-levels-set",
    summary="Set an item's 安全库存, 再订货点 and 最高库存 in a warehouse",
)
async def set_levels(
    app: AppDep,
    acting: ActingDep,
    warehouse: WarehouseCode,
    item: Code,
    data: Annotated[LevelsBody, Body()],
    key: IdempotencyKey = None,
) -> LevelsOut:
    body = {"item": item, "warehouse": warehouse, **data.model_dump()}
    result = await acting(lambda actor: replenishment.set_levels(app.uow(), actor, body, key))
    return LevelsOut.model_validate(result)


@router.get(
    "/stock-levels",
    operation_id="stock-levels-list",
    summary="The levels set, with the stock they watch",
)
async def list_levels(
    app: AppDep,
    actor: ActorDep,
    warehouse: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> list[LevelRowOut]:
    rows = await run_in_threadpool(replenishment.level_rows, app.uow(), actor, warehouse)
    return [LevelRowOut.model_validate(row) for row in rows]


@router.get(
    "/alerts",
    operation_id="alerts-list",
    summary="库存预警: below safety stock, at the reorder point, 保质期预警, negative balances, "
    "refused oversell attempts",
)
async def list_alerts(
    app: AppDep,
    actor: ActorDep,
    warehouse: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    days: Annotated[int, Query(ge=0, le=reports.MAX_DAYS)] = reports.DEFAULT_EXPIRY_DAYS,
    check: Annotated[bool, Query(description="Also what jxc check finds (slow).")] = False,
) -> list[AlertOut]:
    rows = await run_in_threadpool(replenishment.alerts, app.uow(), actor, warehouse, days, check)
    return [AlertOut.model_validate(row) for row in rows]


@router.get(
    "/replenishment/{warehouse}",
    operation_id="replenishment-suggest",
    summary="补货建议: what to bring into a warehouse, and from where",
)
async def suggest(
    app: AppDep,
    actor: ActorDep,
    warehouse: WarehouseCode,
    usage_days: Annotated[int, Query(ge=1, le=MAX_USAGE_DAYS)] = DEFAULT_USAGE_DAYS,
) -> list[SuggestionOut]:
    rows = await run_in_threadpool(replenishment.suggest, app.uow(), actor, warehouse, usage_days)
    return [SuggestionOut.model_validate(row) for row in rows]


@router.post(
    "/replenishment/accept",
    operation_id="replenishment-accept",
    status_code=status.HTTP_201_CREATED,
    summary="生成草稿单据: one draft transfer per source, one purchase order per supplier",
)
async def accept(
    app: AppDep,
    acting: ActingDep,
    data: Annotated[replenishment.AcceptIn, Body()],
    key: IdempotencyKey = None,
) -> AcceptedOut:
    result = await acting(lambda actor: replenishment.accept(app.uow(), actor, data, key))
    return AcceptedOut(**result.to_dict())
