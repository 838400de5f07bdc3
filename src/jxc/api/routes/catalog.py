"""Master data as users look it up: items with their units and barcodes, warehouses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from jxc.api.deps import ActorDep, AppDep, Limit
from jxc.queries import catalog
from jxc.queries.catalog import ItemRow, WarehouseRow

router = APIRouter(tags=["catalog"])


@router.get("/items", operation_id="items-list", summary="Items (商品), by code or name")
def list_items(
    app: AppDep,
    actor: ActorDep,
    search: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
) -> list[ItemRow]:
    with app.reader() as connection:
        return catalog.items(connection, search, limit)


@router.get("/warehouses", operation_id="warehouses-list", summary="Warehouses (仓库)")
def list_warehouses(app: AppDep, actor: ActorDep) -> list[WarehouseRow]:
    with app.reader() as connection:
        return catalog.warehouses(connection)
