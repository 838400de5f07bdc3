"""Stock (库存): on hand, reserved and available; by item, warehouse, location and batch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from jxc import exports
from jxc.api.deps import EXPORT_RESPONSES, AppDep, Export, LocaleDep, ReaderDep, exported
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import StockOut, StockRowOut
from jxc.domain.auth import Principal
from jxc.domain.errors import NotFound
from jxc.queries import stock_levels

router = APIRouter(route_class=ExactJsonRoute, prefix="/stock", tags=["stock"])

Code = Annotated[str | None, Query(min_length=1, max_length=64)]


def _check_sees(reader: Principal, warehouse: str) -> None:
    """A warehouse the user holds no role in answers as unknown."""
    if not reader.sees(warehouse):
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})


@router.get(
    "",
    operation_id="stock-list",
    summary="Stock rows (库存状况), filtered",
    response_model=list[StockRowOut],
    responses=EXPORT_RESPONSES,
)
def list_stock(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    warehouse: Code = None,
    item: Code = None,
    location: Code = None,
    batch: Code = None,
    export_format: Export = None,
) -> Any:
    with app.reader() as connection:
        rows = stock_levels.stock_rows(
            connection, warehouse, item, location, batch, visible=reader.visible_warehouses
        )
    if export_format is not None:
        return exported(locale, exports.STOCK, rows, export_format, "stock")
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
