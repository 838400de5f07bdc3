"""Master data as users look it up: items with units and barcodes, warehouses, locations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from jxc.api.deps import ActorDep, AppDep, Limit, ReaderDep
from jxc.api.exact import ExactJsonRoute
from jxc.domain.errors import NotFound
from jxc.queries import catalog
from jxc.queries.catalog import ItemRow, LocationRow, WarehouseRow

router = APIRouter(route_class=ExactJsonRoute, tags=["catalog"])


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


@router.get(
    "/warehouses/{warehouse}/locations",
    operation_id="locations-list",
    summary="A warehouse's locations (库位), as a tree by parent",
)
def list_locations(app: AppDep, reader: ReaderDep, warehouse: str) -> list[LocationRow]:
    if not reader.sees(warehouse):
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    with app.reader() as connection:
        found = catalog.locations(connection, warehouse)
        if not found:  # every warehouse has its locations: none, no such warehouse
            catalog.check_known(connection, warehouse, None)
        return found
