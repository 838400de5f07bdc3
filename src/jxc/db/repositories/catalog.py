"""Catalog rows ↔ domain objects: units, items with conversions, warehouses, locations,
batches and serial numbers.

Lookups take many codes at once so that a 100-line document costs a handful of
queries, not hundreds. Serial moves are guarded: a serial moves only from where it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, insert, select, update

from jxc.db import schema as s
from jxc.domain.items import Item, TrackingMode
from jxc.domain.locations import Location, LocationKind, Warehouse
from jxc.domain.quantities import Unit

_location_columns = (
    s.Location.id,
    s.Location.code,
    s.Location.name,
    s.Location.kind,
    s.Location.warehouse_id,
    s.Warehouse.allow_negative_stock,
)


def _location(row: Row[Any]) -> Location:
    return Location(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=LocationKind(row.kind),
        warehouse_id=row.warehouse_id,
        allow_negative_stock=bool(row.allow_negative_stock),
    )


def _locations_query() -> Any:
    return select(*_location_columns).outerjoin(
        s.Warehouse, s.Warehouse.id == s.Location.warehouse_id
    )


class CatalogRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # units -------------------------------------------------------------------------
    def unit(self, code: str) -> tuple[int, Unit] | None:
        row = self.connection.execute(select(s.Unit).where(s.Unit.code == code)).first()
        return (row.id, Unit(row.code, row.name, row.decimals)) if row else None

    def add_unit(self, unit: Unit) -> int:
        return int(
            self.connection.execute(
                insert(s.Unit)
                .values(code=unit.code, name=unit.name, decimals=unit.decimals)
                .returning(s.Unit.id)
            ).scalar_one()
        )

    def units(self) -> list[Unit]:
        rows = self.connection.execute(select(s.Unit).order_by(s.Unit.code))
        return [Unit(r.code, r.name, r.decimals) for r in rows]

    # items -------------------------------------------------------------------------
    def items_by_code(self, codes: Iterable[str]) -> dict[str, Item]:
        return self._items(s.Item.code.in_(set(codes)))

    def items_by_id(self, ids: Iterable[int]) -> dict[int, Item]:
        return {item.id: item for item in self._items(s.Item.id.in_(set(ids))).values()}

    def item_by_barcode(self, barcode: str) -> tuple[Item, str] | None:
        row = self.connection.execute(
            select(s.ItemBarcode.item_id, s.Unit.code)
            .join(s.Unit, s.Unit.id == s.ItemBarcode.unit_id)
            .where(s.ItemBarcode.barcode == barcode)
        ).first()
        if row is None:
            return None
        return self.items_by_id([row.item_id])[row.item_id], row.code

    def _items(self, condition: Any) -> dict[str, Item]:
        rows = self.connection.execute(
            select(s.Item, s.Unit.code.label("unit_code"), s.Unit.name.label("unit_name"),
                   s.Unit.decimals.label("unit_decimals"))
            .join(s.Unit, s.Unit.id == s.Item.base_unit_id)
            .where(condition)
        ).all()
        if not rows:
            return {}
        conversions: dict[int, dict[str, tuple[Unit, Decimal]]] = {r.id: {} for r in rows}
        for c in self.connection.execute(
            select(s.ItemUnit.item_id, s.ItemUnit.ratio, s.Unit.code, s.Unit.name, s.Unit.decimals)
            .join(s.Unit, s.Unit.id == s.ItemUnit.unit_id)
            .where(s.ItemUnit.item_id.in_(list(conversions)))
        ):
            conversions[c.item_id][c.code] = (Unit(c.code, c.name, c.decimals), c.ratio)
        return {
            r.code: Item(
                id=r.id,
                code=r.code,
                name=r.name,
                base_unit=Unit(r.unit_code, r.unit_name, r.unit_decimals),
                tracking=TrackingMode(r.tracking),
                shelf_life_days=r.shelf_life_days,
                category=r.category,
                specification=r.specification,
                conversions=conversions[r.id],
            )
            for r in rows
        }

    def add_item(self, values: dict[str, Any]) -> int:
        return int(
            self.connection.execute(
                insert(s.Item).values(**values).returning(s.Item.id)
            ).scalar_one()
        )

    def set_item_unit(self, item_id: int, unit_id: int, ratio: Decimal) -> None:
        updated = self.connection.execute(
            update(s.ItemUnit)
            .where(s.ItemUnit.item_id == item_id, s.ItemUnit.unit_id == unit_id)
            .values(ratio=ratio)
        )
        if updated.rowcount == 0:
            self.connection.execute(
                insert(s.ItemUnit).values(item_id=item_id, unit_id=unit_id, ratio=ratio)
            )

    def barcode_owner(self, barcode: str) -> str | None:
        return self.connection.execute(
            select(s.Item.code)
            .join(s.ItemBarcode, s.ItemBarcode.item_id == s.Item.id)
            .where(s.ItemBarcode.barcode == barcode)
        ).scalar_one_or_none()

    def add_barcode(self, item_id: int, barcode: str, unit_id: int) -> None:
        self.connection.execute(
            insert(s.ItemBarcode).values(item_id=item_id, barcode=barcode, unit_id=unit_id)
        )

    def has_stock_history(self, item_id: int) -> bool:
        return (
            self.connection.execute(
                select(s.StockLedgerEntry.id).where(s.StockLedgerEntry.item_id == item_id).limit(1)
            ).first()
            is not None
        )

    def update_item(self, item_id: int, values: dict[str, Any]) -> None:
        self.connection.execute(update(s.Item).where(s.Item.id == item_id).values(**values))

    # warehouses and locations --------------------------------------------------------
    def warehouses_by_code(self, codes: Iterable[str]) -> dict[str, Warehouse]:
        rows = self.connection.execute(select(s.Warehouse).where(s.Warehouse.code.in_(set(codes))))
        return {
            r.code: Warehouse(r.id, r.code, r.name, bool(r.allow_negative_stock)) for r in rows
        }

    def warehouse_code(self, warehouse_id: int) -> str:
        return str(self.connection.execute(
            select(s.Warehouse.code).where(s.Warehouse.id == warehouse_id)).scalar_one())

    def add_warehouse(self, code: str, name: str, allow_negative: bool, at: datetime) -> int:
        return int(
            self.connection.execute(
                insert(s.Warehouse)
                .values(code=code, name=name, allow_negative_stock=allow_negative, created_at=at)
                .returning(s.Warehouse.id)
            ).scalar_one()
        )

    def set_allow_negative(self, warehouse_id: int, allow: bool) -> None:
        self.connection.execute(
            update(s.Warehouse)
            .where(s.Warehouse.id == warehouse_id)
            .values(allow_negative_stock=allow)
        )

    def add_location(self, values: dict[str, Any]) -> int:
        return int(
            self.connection.execute(
                insert(s.Location).values(**values).returning(s.Location.id)
            ).scalar_one()
        )

    def locations_by_code(
        self, warehouse_id: int | None, codes: Iterable[str]
    ) -> dict[str, Location]:
        owner = (
            s.Location.warehouse_id.is_(None)
            if warehouse_id is None
            else s.Location.warehouse_id == warehouse_id
        )
        rows = self.connection.execute(
            _locations_query().where(owner, s.Location.code.in_(set(codes)))
        )
        return {r.code: _location(r) for r in rows}

    def locations_by_id(self, ids: Iterable[int]) -> dict[int, Location]:
        rows = self.connection.execute(_locations_query().where(s.Location.id.in_(set(ids))))
        return {r.id: _location(r) for r in rows}

    def default_location(self, warehouse_id: int) -> Location:
        row = self.connection.execute(
            _locations_query().where(
                s.Location.warehouse_id == warehouse_id, s.Location.is_default.is_(True)
            )
        ).one()
        return _location(row)

    def transit_location(self, warehouse_id: int) -> Location:
        row = self.connection.execute(
            _locations_query().where(
                s.Location.warehouse_id == warehouse_id,
                s.Location.kind == LocationKind.TRANSIT.value,
            )
        ).one()
        return _location(row)

    # batches and serials ---------------------------------------------------------------
    def batches(self, item_id: int, batch_nos: Iterable[str]) -> dict[str, Row[Any]]:
        rows = self.connection.execute(
            select(s.Batch).where(s.Batch.item_id == item_id, s.Batch.batch_no.in_(set(batch_nos)))
        )
        return {r.batch_no: r for r in rows}

    def add_batch(
        self, item_id: int, batch_no: str, production: date, expiry: date, at: datetime
    ) -> int:
        return int(
            self.connection.execute(
                insert(s.Batch)
                .values(
                    item_id=item_id,
                    batch_no=batch_no,
                    production_date=production,
                    expiry_date=expiry,
                    created_at=at,
                )
                .returning(s.Batch.id)
            ).scalar_one()
        )

    def serials(self, item_id: int, serial_nos: Sequence[str]) -> dict[str, tuple[int, int]]:
        """serial number → (id, current location id)."""
        rows = self.connection.execute(
            select(s.SerialNumber.id, s.SerialNumber.serial_no, s.SerialNumber.location_id).where(
                s.SerialNumber.item_id == item_id, s.SerialNumber.serial_no.in_(serial_nos)
            )
        )
        return {r.serial_no: (r.id, r.location_id) for r in rows}

    def add_serial(self, item_id: int, serial_no: str, location_id: int) -> int:
        return int(
            self.connection.execute(
                insert(s.SerialNumber)
                .values(item_id=item_id, serial_no=serial_no, location_id=location_id)
                .returning(s.SerialNumber.id)
            ).scalar_one()
        )

    def move_serials(self, moves: Sequence[tuple[int, int, int]]) -> bool:
        """Move each (serial id, from, to); False if any serial was no longer where expected."""
        if not moves:
            return True
        table = s.SerialNumber.__table__
        result = self.connection.execute(
            update(table)
            .where(and_(table.c.id == bindparam("sid"), table.c.location_id == bindparam("src")))
            .values(location_id=bindparam("dst")),
            [{"sid": sid, "src": src, "dst": dst} for sid, src, dst in moves],
        )
        return result.rowcount == len(moves)
