"""Stocktakes (盘点): plan, start, count by scan, hand in, approve; blind for counters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel, ConfigDict, Field

from jxc import exports
from jxc.api.deps import (
    EXPORT_RESPONSES,
    ActingDep,
    ActorDep,
    AppDep,
    Export,
    IdempotencyKey,
    LocaleDep,
    exported,
)
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import Exact
from jxc.i18n.messages import translate
from jxc.queries.stocktakes import CountLineRow
from jxc.services import stocktakes
from jxc.services.stocktakes import StocktakeResult

router = APIRouter(route_class=ExactJsonRoute, prefix="/stocktakes", tags=["stocktakes"])

Number = Annotated[str, Path(min_length=1, max_length=40, description="e.g. PD202611260001")]
Step = Literal["start", "hand-in", "approve"]
STEPS = {"start": stocktakes.start, "hand-in": stocktakes.hand_in, "approve": stocktakes.approve}


class StocktakeResultOut(BaseModel):
    number: str
    state: str
    lines: int
    recounts: int = Field(description="Lines sent for a recount when the count was handed in.")
    gain: str | None = Field(description="The 盘盈 receipt posted on approval.")
    loss: str | None = Field(description="The 盘亏 issue posted on approval.")
    entries: int = Field(description="Ledger entries this request wrote.")
    released: list[dict[str, str]] = Field(
        description="预占 the 盘亏 took back from orders, newest hold first: the holding "
        "document, the line (item@location/batch) and the quantity."
    )
    second_approval: dict[str, Any] | None = Field(
        description="A 盘亏 worth more than the issue workflow's 二级审核 value: its value, "
        "that limit and the roles whose second approval posts it (the stocktake is "
        "first_approved meanwhile)."
    )

    @classmethod
    def of(cls, result: StocktakeResult) -> StocktakeResultOut:
        return cls(**result.to_dict())


class StocktakeRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    warehouse: str
    state: str
    blind: bool
    tolerance_percent: Exact
    scope: dict[str, Any]
    note: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_by: str | None
    finished_at: datetime | None
    lines: int
    counted: int
    recounts: int
    gain: str | None
    loss: str | None


class NoticeOut(BaseModel):
    code: str = Field(
        description="stocktake.found_serial_booked_out, stocktake.found_batch_expired"
    )
    params: dict[str, str]
    message: str = Field(description="In the request's language (Accept-Language).")


class CountLineOut(BaseModel):
    location: str
    item: str
    item_name: str
    unit: str
    batch: str | None
    book_quantity: Exact | None = Field(description="At the freeze; null while the count is blind.")
    counted: Exact | None
    counted_by: str | None
    book_at_count: Exact | None = Field(description="The book when counted; null when blind.")
    needs_recount: bool
    recounted: Exact | None
    recounted_by: str | None
    difference: Exact | None = Field(description="盘盈 > 0, 盘亏 < 0; null when blind.")
    serials: list[str] = Field(
        description="A serial-tracked line: the serials its latest count found (as blind as it)."
    )
    serials_found: list[str] = Field(
        description="Serials approval would bring in (盘盈); empty when blind."
    )
    serials_missing: list[str] = Field(
        description="Serials approval would write off (盘亏); empty when blind."
    )
    notices: list[NoticeOut] = Field(
        description="What to know before approving: a unit found that the books say was sold,"
        " goods of an expired batch; empty when blind."
    )

    @classmethod
    def of(cls, row: CountLineRow, view: stocktakes.StocktakeView, locale: str) -> CountLineOut:
        line, shows_book = row.line, view.shows_book
        change = view.serial_changes.get(line.id)
        difference: Decimal | None = line.difference if shows_book else None
        return cls(
            location=row.location,
            item=row.item,
            item_name=row.item_name,
            unit=row.unit,
            batch=row.batch,
            book_quantity=line.book_quantity,
            counted=line.counted,
            counted_by=line.counted_by,
            book_at_count=line.book_at_count,
            needs_recount=line.needs_recount,
            recounted=line.recounted,
            recounted_by=line.recounted_by,
            difference=difference,
            serials=view.serials.get(line.id, []),
            serials_found=list(change.found_serials) if change else [],
            serials_missing=list(change.missing_serials) if change else [],
            notices=[
                NoticeOut(
                    code=notice.code,
                    params=dict(notice.params),
                    message=translate(notice.code, locale, **notice.params),
                )
                for notice in view.notices.get(line.id, [])
            ],
        )


class StocktakeOut(StocktakeRowOut):
    shows_book: bool
    count_lines: list[CountLineOut]


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


@router.get(
    "",
    operation_id="stocktakes-list",
    summary="Stocktakes (盘点单), newest first",
    response_model=list[StocktakeRowOut],
    responses=EXPORT_RESPONSES,
)
def list_stocktakes(
    app: AppDep,
    actor: ActorDep,
    locale: LocaleDep,
    state: str | None = None,
    export_format: Export = None,
) -> Any:
    rows = stocktakes.listing(app.uow(), actor, state)
    if export_format is not None:
        return exported(locale, exports.STOCKTAKES, rows, export_format, "stocktakes")
    return [StocktakeRowOut.model_validate(row) for row in rows]


@router.post(
    "",
    operation_id="stocktakes-plan",
    status_code=status.HTTP_201_CREATED,
    summary="计划盘点: a warehouse, optionally narrowed to locations, a category or a cycle rule",
)
async def plan(
    app: AppDep,
    acting: ActingDep,
    data: Annotated[stocktakes.PlanIn, Body()],
    key: IdempotencyKey = None,
) -> StocktakeResultOut:
    return StocktakeResultOut.of(
        await acting(lambda actor: stocktakes.plan(app.uow(), actor, data, key))
    )


@router.get(
    "/{number}",
    operation_id="stocktakes-read",
    summary="One stocktake with its lines (the book left out while blind to the reader)",
    response_model=StocktakeOut,
    responses=EXPORT_RESPONSES,
)
def read_stocktake(
    app: AppDep, actor: ActorDep, locale: LocaleDep, number: Number, export_format: Export = None
) -> Any:
    view = stocktakes.view(app.uow(), actor, number)
    if export_format is not None:
        return exported(locale, exports.COUNT_LINES, view.lines, export_format, number)
    return StocktakeOut(
        **StocktakeRowOut.model_validate(view.stocktake).model_dump(),
        shows_book=view.shows_book,
        count_lines=[CountLineOut.of(row, view, locale) for row in view.lines],
    )


@router.post(
    "/{number}/counts",
    operation_id="stocktakes-count",
    summary="盘点录入: counts (mode set) or scans (mode add); a recount once handed in",
)
async def count(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    data: Annotated[stocktakes.CountsIn, Body()],
    key: IdempotencyKey = None,
) -> StocktakeResultOut:
    return StocktakeResultOut.of(
        await acting(lambda actor: stocktakes.count(app.uow(), actor, number, data, key))
    )


@router.post(
    "/{number}/cancel",
    operation_id="stocktakes-cancel",
    summary="作废: drop a stocktake not approved yet, with a reason",
)
async def cancel(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    data: Annotated[CancelIn, Body()],
    key: IdempotencyKey = None,
) -> StocktakeResultOut:
    return StocktakeResultOut.of(
        await acting(lambda actor: stocktakes.cancel(app.uow(), actor, number, data.reason, key))
    )


# Last: the named steps above are not taken for one of these.
@router.post(
    "/{number}/{step}",
    operation_id="stocktakes-step",
    summary="开始盘点 (start: freeze the book), 交盘 (hand-in: recounts over the tolerance), "
    "审核 (approve: post 盘盈 / 盘亏 at the current cost)",
)
async def take_step(
    app: AppDep, acting: ActingDep, number: Number, step: Step, key: IdempotencyKey = None
) -> StocktakeResultOut:
    service = STEPS[step]
    return StocktakeResultOut.of(await acting(lambda actor: service(app.uow(), actor, number, key)))
