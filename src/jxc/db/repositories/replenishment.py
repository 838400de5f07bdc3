"""Stock levels as the services write them: one row per item and warehouse, replaced whole."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, delete, insert, select

from jxc.db import schema as s
from jxc.domain.replenishment import Levels

_level = cast(Table, s.StockLevel.__table__)


class LevelRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, item_id: int, warehouse_id: int) -> Levels | None:
        row = self.connection.execute(
            select(_level.c.safety_stock, _level.c.reorder_point, _level.c.max_quantity).where(
                _level.c.item_id == item_id, _level.c.warehouse_id == warehouse_id
            )
        ).first()
        return None if row is None else Levels(*row)

    def put(
        self, item_id: int, warehouse_id: int, levels: Levels, actor: str, now: datetime
    ) -> None:
        """Replace the item's levels in the warehouse.

        Delete + insert: portable, and the caller's transaction makes it one change.
        """
        self.remove(item_id, warehouse_id)
        self.connection.execute(
            insert(_level).values(
                item_id=item_id,
                warehouse_id=warehouse_id,
                safety_stock=levels.safety_stock,
                reorder_point=levels.reorder_point,
                max_quantity=levels.max_quantity,
                updated_by=actor,
                updated_at=now,
            )
        )

    def remove(self, item_id: int, warehouse_id: int) -> bool:
        result = self.connection.execute(
            delete(_level).where(_level.c.item_id == item_id, _level.c.warehouse_id == warehouse_id)
        )
        return bool(result.rowcount)
