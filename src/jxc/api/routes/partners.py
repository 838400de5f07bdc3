"""Partners (往来单位) and each sales channel's sellable stock (可售库存)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Path, Query, UploadFile, status
from pydantic import BaseModel, Field

from jxc import exports
from jxc.api.deps import (
    EXPORT_RESPONSES,
    ActingDep,
    ActorDep,
    AppDep,
    Export,
    IdempotencyKey,
    Limit,
    LocaleDep,
    ReaderDep,
    exported,
)
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import ChangesOut, PartnerOut, SellableOut
from jxc.bootstrap import App
from jxc.domain.errors import Invalid
from jxc.domain.partners import PartnerKind
from jxc.queries import SEQUENCE_MAX
from jxc.queries import partners as partner_queries
from jxc.services import order_import, partners

router = APIRouter(route_class=ExactJsonRoute, tags=["partners"])

Code = Annotated[str, Path(min_length=1, max_length=32)]


@router.get(
    "/partners",
    operation_id="partners-list",
    summary="Suppliers, customers and sales channels (往来单位)",
    response_model=list[PartnerOut],
    responses=EXPORT_RESPONSES,
)
def list_partners(
    app: AppDep,
    actor: ActorDep,
    locale: LocaleDep,
    kind: PartnerKind | None = None,
    search: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 200,
    export_format: Export = None,
) -> Any:
    with app.reader() as connection:
        rows = partner_queries.partners(
            connection, kind, search, limit=exports.XLSX_MAX_ROWS if export_format else limit
        )
    if export_format is not None:
        return exported(locale, exports.PARTNERS, rows, export_format, "partners")
    return [PartnerOut.model_validate(row) for row in rows]


@router.post(
    "/partners",
    operation_id="partners-create",
    status_code=status.HTTP_201_CREATED,
    summary="Add a supplier, a customer or a sales channel",
)
async def add_partner(
    app: AppDep,
    acting: ActingDep,
    data: Annotated[partners.PartnerIn, Body()],
    key: IdempotencyKey = None,
) -> PartnerOut:
    def add(actor: str) -> PartnerOut:
        return _read(app, partners.add(app.uow(), actor, data, key))

    return await acting(add)


@router.get("/partners/{code}", operation_id="partners-read", summary="One partner")
def read_partner(app: AppDep, actor: ActorDep, code: Code) -> PartnerOut:
    return _read(app, code)


def _read(app: App, code: str) -> PartnerOut:
    with app.reader() as connection:
        return PartnerOut.model_validate(partner_queries.partner(connection, code))


@router.patch(
    "/partners/{code}",
    operation_id="partners-edit",
    summary="Change a partner: the fields given (warehouses replaces the list)",
)
async def edit_partner(
    app: AppDep,
    acting: ActingDep,
    code: Code,
    changes: Annotated[partners.PartnerFields, Body()],
    key: IdempotencyKey = None,
) -> PartnerOut:
    def edit(actor: str) -> PartnerOut:
        partners.edit(app.uow(), actor, code, changes, key)
        return _read(app, code)

    return await acting(edit)


@router.get(
    "/channels/{code}/sellable",
    operation_id="channels-sellable",
    summary="可售库存: what a channel may offer of each item (available less its buffer)",
    response_model=list[SellableOut],
    responses=EXPORT_RESPONSES,
)
def channel_stock(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    code: Code,
    item: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    export_format: Export = None,
) -> Any:
    with app.reader() as connection:
        rows = partner_queries.channel_stock(connection, code, item, reader.visible_warehouses)
    if export_format is not None:
        return exported(locale, exports.SELLABLE, rows, export_format, "sellable")
    return [SellableOut.model_validate(row) for row in rows]


@router.get(
    "/channels/{code}/changes",
    operation_id="channels-changes",
    summary="变更流: items whose stock changed since a cursor, with the channel's sellable now",
)
def channel_changes(
    app: AppDep,
    reader: ReaderDep,
    code: Code,
    since: Annotated[
        int, Query(ge=0, le=SEQUENCE_MAX, description="The cursor the last call returned.")
    ] = 0,
) -> ChangesOut:
    with app.reader() as connection:
        changes = partner_queries.channel_changes(
            connection, code, since, reader.visible_warehouses
        )
    return ChangesOut.model_validate(changes)


class ImportedOut(BaseModel):
    orders: list[tuple[str, str]] = Field(description="(the shop's order number, ours)")
    lines: int


@router.post(
    "/channels/{code}/orders/import",
    operation_id="channels-orders-import",
    status_code=status.HTTP_201_CREATED,
    summary="Import a shop's orders file (CSV/XLSX) as sales orders; the same file once",
)
async def import_orders(
    app: AppDep,
    acting: ActingDep,
    code: Code,
    file: UploadFile,
    mapping: Annotated[str, Form(description="The mapping as JSON (channel taken from the path).")],
) -> ImportedOut:
    content = await file.read()
    try:
        terms = json.loads(mapping)
    except json.JSONDecodeError as error:
        raise Invalid("request.json_invalid", {"detail": str(error)}) from None
    if not isinstance(terms, dict):
        raise Invalid("request.object_expected", {})
    result = await acting(
        lambda actor: order_import.import_orders(
            app.uow(), actor, file.filename or "orders.csv", content, {**terms, "channel": code}
        )
    )
    return ImportedOut(orders=result.orders, lines=result.lines)
