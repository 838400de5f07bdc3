"""Stocktakes as the services write them: the plan, its frozen book and the counts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, delete, func, insert, literal, select, update

from jxc.db import schema as s
from jxc.domain.quantities import round_unit_cost
from jxc.domain.stocktakes import (
    ACTIVE_STATES,
    CountedSerial,
    CountLine,
    Scope,
    StocktakeHeader,
    StocktakeState,
)

_stocktake = cast(Table, s.Stocktake.__table__)
_line = cast(Table, s.StocktakeLine.__table__)
_balance = cast(Table, s.StockBalance.__table__)
_serial = cast(Table, s.StocktakeSerial.__table__)
LINE_COLUMNS = (
    "id",
    "item_id",
    "location_id",
    "batch_id",
    "book_quantity",
    "counted",
    "counted_by",
    "book_at_count",
    "needs_recount",
    "recounted",
    "recounted_by",
    "book_at_recount",
    "counted_at",
    "recounted_at",
)


def _header(row: Any) -> StocktakeHeader:
    scope = row.scope or {}
    return StocktakeHeader(
        id=row.id,
        number=row.number,
        warehouse_id=row.warehouse_id,
        state=StocktakeState(row.state),
        blind=row.blind,
        tolerance_percent=row.tolerance_percent,
        scope=Scope(
            locations=tuple(scope.get("locations") or ()),
            category=scope.get("category"),
            abc_class=scope.get("abc_class"),
            not_counted_days=scope.get("not_counted_days"),
            location_ids=frozenset(scope.get("location_ids") or ()),
            item_ids=None if scope.get("item_ids") is None else frozenset(scope["item_ids"]),
        ),
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        gain_document_id=row.gain_document_id,
        loss_document_id=row.loss_document_id,
    )


def count_line(row: Any) -> CountLine:
    return CountLine(**{name: getattr(row, name) for name in LINE_COLUMNS})


class StocktakeRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, values: dict[str, Any]) -> int:
        result = self.connection.execute(insert(_stocktake).values(**values))
        return int(cast(Any, result.inserted_primary_key)[0])

    def header(self, number: str, for_update: bool = False) -> StocktakeHeader | None:
        query = select(_stocktake).where(_stocktake.c.number == number)
        if for_update:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return None if row is None else _header(row)

    def active_in(self, warehouse_id: int) -> list[StocktakeHeader]:
        """The warehouse's stocktakes being counted or reviewed.

        The warehouse's row is locked first, so two stocktakes starting at once take turns.
        """
        self.connection.execute(
            select(s.Warehouse.id).where(s.Warehouse.id == warehouse_id).with_for_update()
        )
        rows = self.connection.execute(
            select(_stocktake).where(
                _stocktake.c.warehouse_id == warehouse_id,
                _stocktake.c.state.in_([state.value for state in ACTIVE_STATES]),
            )
        )
        return [_header(row) for row in rows]

    def move(self, stocktake_id: int, state: StocktakeState, values: dict[str, Any]) -> None:
        self.connection.execute(
            update(_stocktake)
            .where(_stocktake.c.id == stocktake_id)
            .values(state=state.value, **values)
        )

    def freeze(
        self, stocktake_id: int, location_ids: Collection[int], item_ids: Collection[int] | None
    ) -> int:
        """Copy the book of every balance in scope into the stocktake's lines (冻结)."""
        query = select(
            literal(stocktake_id),
            _balance.c.item_id,
            _balance.c.location_id,
            _balance.c.batch_id,
            _balance.c.on_hand,
            literal(False),
        ).where(_balance.c.location_id.in_(location_ids), _balance.c.on_hand != 0)
        if item_ids is not None:
            query = query.where(_balance.c.item_id.in_(item_ids))
        self.connection.execute(
            insert(_line).from_select(
                [
                    "stocktake_id",
                    "item_id",
                    "location_id",
                    "batch_id",
                    "book_quantity",
                    "needs_recount",
                ],
                query,
            )
        )
        # Counted, not the INSERT's rowcount: psycopg does not report it for INSERT … SELECT.
        return int(
            self.connection.execute(
                select(func.count()).where(_line.c.stocktake_id == stocktake_id)
            ).scalar_one()
        )

    def lines(self, stocktake_id: int) -> list[CountLine]:
        rows = self.connection.execute(
            select(*(_line.c[name] for name in LINE_COLUMNS))
            .where(_line.c.stocktake_id == stocktake_id)
            .order_by(_line.c.id)
        )
        return [count_line(row) for row in rows]

    def line(
        self, stocktake_id: int, item_id: int, location_id: int, batch_id: int
    ) -> CountLine | None:
        row = self.connection.execute(
            select(*(_line.c[name] for name in LINE_COLUMNS))
            .where(
                _line.c.stocktake_id == stocktake_id,
                _line.c.item_id == item_id,
                _line.c.location_id == location_id,
                _line.c.batch_id == batch_id,
            )
            .with_for_update()
        ).first()
        return None if row is None else count_line(row)

    def add_line(self, values: dict[str, Any]) -> int:
        result = self.connection.execute(insert(_line).values(needs_recount=False, **values))
        return int(cast(Any, result.inserted_primary_key)[0])

    def update_line(self, line_id: int, values: dict[str, Any]) -> None:
        self.connection.execute(update(_line).where(_line.c.id == line_id).values(**values))

    def counted_serials(
        self,
        stocktake_id: int,
        item_ids: Collection[int] | None = None,
        line_ids: Collection[int] | None = None,
    ) -> list[CountedSerial]:
        """The serials counted in a stocktake (of ``item_ids``, on ``line_ids`` only, if given)."""
        query = (
            select(
                _serial.c.line_id,
                _serial.c.item_id,
                _serial.c.recount,
                _serial.c.serial_no,
                _line.c.location_id,
                _serial.c.counted_at,
            )
            .join(_line, _line.c.id == _serial.c.line_id)
            .where(_serial.c.stocktake_id == stocktake_id)
            .order_by(_serial.c.id)
        )
        if item_ids is not None:
            query = query.where(_serial.c.item_id.in_(sorted(item_ids)))
        if line_ids is not None:
            query = query.where(_serial.c.line_id.in_(sorted(line_ids)))
        return [CountedSerial(*row) for row in self.connection.execute(query)]

    def add_serials(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(_serial), list(rows))

    def clear_serials(self, line_id: int, recount: bool) -> None:
        self.connection.execute(
            delete(_serial).where(_serial.c.line_id == line_id, _serial.c.recount == recount)
        )

    def flag_recounts(self, line_ids: Sequence[int]) -> None:
        if line_ids:
            self.connection.execute(
                update(_line).where(_line.c.id.in_(line_ids)).values(needs_recount=True)
            )

    def on_hand(self, item_id: int, location_id: int, batch_id: int) -> Decimal:
        """The book now: what the balance holds at this moment of the count."""
        found = self.connection.execute(
            select(_balance.c.on_hand).where(
                _balance.c.item_id == item_id,
                _balance.c.location_id == location_id,
                _balance.c.batch_id == batch_id,
            )
        ).scalar()
        return Decimal(0) if found is None else found

    def counted_since(self, warehouse_id: int, since: datetime) -> set[int]:
        """Items counted in an approved stocktake of the warehouse since ``since``."""
        rows = self.connection.execute(
            select(_line.c.item_id)
            .distinct()
            .join(_stocktake, _stocktake.c.id == _line.c.stocktake_id)
            .where(
                _stocktake.c.warehouse_id == warehouse_id,
                _stocktake.c.state == StocktakeState.APPROVED.value,
                _stocktake.c.finished_at >= since,
            )
        )
        return set(rows.scalars())

    def stock_values(self, warehouse_id: int) -> dict[int, Decimal]:
        """Each item's stock value in the warehouse (its cost pool), for ABC classes."""
        cost = cast(Table, s.StockCost.__table__)
        rows = self.connection.execute(
            select(cost.c.item_id, func.sum(cost.c.value))
            .where(and_(cost.c.warehouse_id == warehouse_id, cost.c.in_transit.is_(False)))
            .group_by(cost.c.item_id)
        )
        return {item_id: value or Decimal(0) for item_id, value in rows}

    def average_costs(self, item_ids: Collection[int]) -> dict[int, Decimal]:
        """Each item's average cost over every warehouse holding it (value ÷ quantity)."""
        cost = cast(Table, s.StockCost.__table__)
        rows = self.connection.execute(
            select(cost.c.item_id, func.sum(cost.c.value), func.sum(cost.c.quantity))
            .where(cost.c.item_id.in_(sorted(item_ids)), cost.c.quantity > 0)
            .group_by(cost.c.item_id)
        )
        return {
            item_id: round_unit_cost(value / quantity)
            for item_id, value, quantity in rows
            if quantity
        }

    def items_in_category(self, category: str) -> set[int]:
        return set(
            self.connection.execute(select(s.Item.id).where(s.Item.category == category)).scalars()
        )

    def location_tree(self, warehouse_id: int) -> list[tuple[int, int | None, str, str]]:
        """(id, parent id, code, kind) of every location of the warehouse."""
        rows = self.connection.execute(
            select(s.Location.id, s.Location.parent_id, s.Location.code, s.Location.kind).where(
                s.Location.warehouse_id == warehouse_id
            )
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]
