"""Partners as the services write them: the row, and a channel's warehouses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, insert, select, update

from jxc.db import schema as s

_partner = cast(Table, s.Partner.__table__)
_channel_warehouse = cast(Table, s.ChannelWarehouse.__table__)


class PartnerRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def find(self, code: str, for_update: bool = False) -> dict[str, Any] | None:
        """A partner's row, with ``warehouses`` (the codes a channel sells from)."""
        query = select(_partner).where(_partner.c.code == code)
        if for_update:
            query = query.with_for_update()
        row = self.connection.execute(query).mappings().first()
        if row is None:
            return None
        warehouses = self.connection.execute(
            select(s.Warehouse.code)
            .join(_channel_warehouse, _channel_warehouse.c.warehouse_id == s.Warehouse.id)
            .where(_channel_warehouse.c.partner_id == row["id"])
            .order_by(s.Warehouse.code)
        ).scalars()
        return {**row, "warehouses": list(warehouses)}

    def add(self, values: dict[str, Any]) -> int:
        result = self.connection.execute(insert(_partner).values(**values))
        return int(cast(Any, result.inserted_primary_key)[0])

    def update(self, partner_id: int, values: dict[str, Any]) -> None:
        self.connection.execute(
            update(_partner).where(_partner.c.id == partner_id).values(**values)
        )

    def set_warehouses(self, partner_id: int, warehouse_ids: Iterable[int]) -> None:
        self.connection.execute(
            delete(_channel_warehouse).where(_channel_warehouse.c.partner_id == partner_id)
        )
        rows = [{"partner_id": partner_id, "warehouse_id": w} for w in sorted(set(warehouse_ids))]
        if rows:
            self.connection.execute(insert(_channel_warehouse), rows)

    def code_of(self, partner_id: int) -> str:
        return str(
            self.connection.execute(
                select(_partner.c.code).where(_partner.c.id == partner_id)
            ).scalar_one()
        )
