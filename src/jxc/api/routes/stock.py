"""Stock (库存): on hand, reserved and available; by item, warehouse, location and batch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from jxc.api.deps import AppDep, ReaderDep
from jxc.api.schemas import StockOut, StockRowOut
from jxc.domain.auth import Principal
from jxc.domain.errors import NotFound
from jxc.queries import stock_levels

router = APIRouter(prefix="/stock", tags=["stock"])

Code = Annotated[str | None, Query(min_length=1, max_length=64)]


def _check_sees(reader: Principal, warehouse: str) -> None:
    """A warehouse the user holds no role in answers as unknown."""
    if not reader.sees(warehouse):
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})


@router.get("", operation_id="stock-list", summary="Stock rows (库存状况), filtered")
def list_stock(
    app: AppDep,
    reader: ReaderDep,
    warehouse: Code = None,
    item: Code = None,
    location: Code = None,
    batch: Code = None,
) -> list[StockRowOut]:
    if warehouse is not None:
        _check_sees(reader, warehouse)
    with app.reader() as connection:
        rows = stock_levels.stock_rows(
            connection, warehouse, item, location, batch, visible=reader.visible_warehouses
        )
    return [StockRowOut.model_validate(row) for row in rows]


@router.get(
    "/{warehouse}/{item}",
    operation_id="stock-read",
    summary="On hand, reserved (预占) and available of one item in one warehouse",
)
def read_stock(app: AppDep, reader: ReaderDep, warehouse: str, item: str) -> StockOut:
    _check_sees(reader, warehouse)
    with app.reader() as connection:
        level = stock_levels.on_hand(connection, item, warehouse)
    return StockOut.of(level, item, warehouse)
