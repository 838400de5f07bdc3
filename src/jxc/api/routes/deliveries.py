"""Sales deliveries on the warehouse floor: the pick list, 拣货 and 复核 by what was scanned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from jxc.api.deps import Acting, ActingDep, AppDep, IdempotencyKey, ReaderDep
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import DocumentResultOut, Exact
from jxc.bootstrap import App
from jxc.domain.errors import NotFound
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.services import deliveries, documents

router = APIRouter(route_class=ExactJsonRoute, prefix="/deliveries", tags=["deliveries"])

Number = Annotated[str, Path(min_length=1, max_length=40, description="e.g. XSCK202611250001")]


class PickRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item: str
    item_name: str
    location: str
    batch: str | None
    expiry_date: date | None
    quantity: Exact


@router.get(
    "/{number}/pick-list",
    operation_id="deliveries-pick-list",
    summary="拣货单: where the order's goods wait, by location and FEFO batch",
)
def pick_list(app: AppDep, reader: ReaderDep, number: Number) -> list[PickRowOut]:
    with app.reader() as connection:
        header, _ = document_queries.document(connection, number)
        if header.document_type != "sales_delivery" or not reader.sees(header.warehouse):
            raise NotFound("delivery.unknown", {"number": number})
        rows = order_queries.pick_list(connection, number)
    return [PickRowOut.model_validate(row) for row in rows]


@router.post(
    "/{number}/pick",
    operation_id="deliveries-pick",
    summary="拣货: the delivery's lines become what was scanned; its pick step is taken",
)
async def pick(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    body: deliveries.ScansIn,
    key: IdempotencyKey = None,
) -> DocumentResultOut:
    return await _scanned_step(app, acting, number, body, key, deliveries.pick)


@router.post(
    "/{number}/check",
    operation_id="deliveries-check",
    summary="复核: a second scan must find exactly what was picked; its check step is taken",
)
async def check(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    body: deliveries.ScansIn,
    key: IdempotencyKey = None,
) -> DocumentResultOut:
    return await _scanned_step(app, acting, number, body, key, deliveries.check)


async def _scanned_step(
    app: App,
    acting: Acting,
    number: str,
    body: deliveries.ScansIn,
    key: str | None,
    service: Callable[..., documents.DocumentResult],
) -> DocumentResultOut:
    def run(actor: str) -> documents.DocumentResult:
        documents.check_visible(app.uow(), actor, number)
        return service(app.uow(), actor, number, body, key)

    return DocumentResultOut.of(await acting(run))
