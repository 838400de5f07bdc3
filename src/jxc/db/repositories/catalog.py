"""Catalog rows ↔ domain objects: units, items, warehouses, locations, batches, serials.

Master data (units, items, warehouses, locations) is read through a per-process cache
checked against ``catalog_version`` once per transaction: every master-data write in
any process increments that number, so a posting never acts on stale units, conversions
or negative-stock switches, while the hot path skips a dozen lookups. Batches and
serials are transactional data and are always read from the database. Serial moves are
guarded: a serial moves only from where it is.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Row, Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.auth import Principal
from jxc.domain.items import Item, TrackingMode
from jxc.domain.locations import Location, LocationKind, LocationUsage, Warehouse
from jxc.domain.periods import Period
from jxc.domain.quantities import Unit

K = TypeVar("K")

_location_columns = (
    s.Location.id,
    s.Location.code,
    s.Location.name,
    s.Location.kind,
    s.Location.warehouse_id,
    s.Location.is_default,
    s.Location.usage,
    s.Warehouse.allow_negative_stock,
    s.Warehouse.code.label("warehouse_code"),
)
_version_query = select(s.CatalogVersion.version).where(s.CatalogVersion.id == 1)
_bump_version = (
    update(s.CatalogVersion)
    .where(s.CatalogVersion.id == 1)
    .values(version=s.CatalogVersion.version + 1)
)
_serial_table = cast(Table, s.SerialNumber.__table__)
# Each item and each number as lists: the caller keeps the exact (item, number) pairs.
_batches_of = select(
    s.Batch.id, s.Batch.item_id, s.Batch.batch_no, s.Batch.production_date, s.Batch.expiry_date
).where(
    s.Batch.item_id.in_(bindparam("items", expanding=True)),
    s.Batch.batch_no.in_(bindparam("numbers", expanding=True)),
)
_serials_of = select(
    s.SerialNumber.id, s.SerialNumber.item_id, s.SerialNumber.serial_no, s.SerialNumber.location_id
).where(
    s.SerialNumber.item_id.in_(bindparam("items", expanding=True)),
    s.SerialNumber.serial_no.in_(bindparam("numbers", expanding=True)),
)
_move_serial = (
    update(_serial_table)
    .where(
        and_(
            _serial_table.c.id == bindparam("sid"),
            _serial_table.c.location_id == bindparam("src"),
        )
    )
    .values(location_id=bindparam("dst"))
)


_conversion_unit = aliased(s.Unit)
_item_unit = aliased(s.ItemUnit)
_items_query = (
    select(
        s.Item,
        s.Unit.code.label("unit_code"),
        s.Unit.name.label("unit_name"),
        s.Unit.decimals.label("unit_decimals"),
        _item_unit.ratio,
        _conversion_unit.code.label("conversion_code"),
        _conversion_unit.name.label("conversion_name"),
        _conversion_unit.decimals.label("conversion_decimals"),
    )
    .join(s.Unit, s.Unit.id == s.Item.base_unit_id)
    .outerjoin(_item_unit, _item_unit.item_id == s.Item.id)
    .outerjoin(_conversion_unit, _conversion_unit.id == _item_unit.unit_id)
)


def _folded(text: str) -> str:
    """Text compared regardless of case and of full-width forms: ｄｐ－００３ is DP-003."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _one_or_any(column: Any, values: set[Any]) -> Any:
    # "= ?" for the one value a single-line document looks up: an IN list is rendered
    # afresh for every call.
    return column == next(iter(values)) if len(values) == 1 else column.in_(values)


def _location(row: Row[Any]) -> Location:
    return _location_of(
        row.id,
        row.code,
        row.name,
        row.kind,
        row.warehouse_id,
        bool(row.allow_negative_stock),
        row.warehouse_code,
        row.usage == LocationUsage.QC.value,
    )


@lru_cache(maxsize=4096)  # locations are immutable values, read by the hundred per posting
def _location_of(
    id: int,  # noqa: A002 - the column's name
    code: str,
    name: str,
    kind: str,
    warehouse_id: int | None,
    allow_negative_stock: bool,
    warehouse_code: str | None,
    held_back: bool,
) -> Location:
    return Location(
        id,
        code,
        name,
        LocationKind(kind),
        warehouse_id,
        allow_negative_stock,
        warehouse_code,
        held_back,
    )


def _locations_query() -> Any:
    return select(*_location_columns).outerjoin(
        s.Warehouse, s.Warehouse.id == s.Location.warehouse_id
    )


@dataclass(frozen=True)
class BatchRecord:
    id: int
    production_date: date | None
    expiry_date: date | None


@dataclass
class CatalogView:
    """Master data as of one catalog version, filled as it is asked for."""

    items_by_code: dict[str, Item] = field(default_factory=dict)
    items_by_id: dict[int, Item] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    location_ids: dict[tuple[int | None, str], int] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    warehouse_codes: dict[int, str] = field(default_factory=dict)
    units: dict[str, tuple[int, Unit]] = field(default_factory=dict)
    defaults: dict[int, Location] = field(default_factory=dict)
    transits: dict[int, Location] = field(default_factory=dict)
    inspections: dict[int, Location] = field(default_factory=dict)  # each warehouse's 待检
    principals: dict[str, Principal | None] = field(default_factory=dict)  # None: no such user
    latest_closed: list[Period | None] = field(default_factory=list)  # empty: not read yet
    workflows: dict[str, Any] = field(default_factory=dict)  # document type → StoredWorkflow
    settings: dict[str, str | None] = field(default_factory=dict)  # the company's, by name


class CatalogCache:
    """Shared by the units of work of one process; one view per catalog version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = -1
        self._view = CatalogView()

    def view(self, version: int) -> CatalogView:
        with self._lock:
            if version != self._version:
                self._version, self._view = version, CatalogView()
            return self._view


class CatalogRepository:
    def __init__(self, connection: Connection, cache: CatalogCache) -> None:
        self.connection = connection
        self._cache = cache
        self._view: CatalogView | None = None

    def view(self) -> CatalogView:
        """This transaction's view of the master data (users and grants included)."""
        return self._current()

    def changed(self) -> None:
        self._changed()

    def _current(self) -> CatalogView:
        if self._view is None:
            version = self.connection.execute(_version_query).scalar_one()
            self._view = self._cache.view(int(version))
        return self._view

    def _changed(self) -> None:
        """Tell every process the master data changed; this transaction reads uncached."""
        self.connection.execute(_bump_version)
        self._view = CatalogView()

    # units -------------------------------------------------------------------------
    def unit(self, code: str) -> tuple[int, Unit] | None:
        view = self._current()
        if code not in view.units:
            row = self.connection.execute(select(s.Unit).where(s.Unit.code == code)).first()
            if row is None:
                return None
            view.units[code] = (row.id, Unit(row.code, row.name, row.decimals))
        return view.units[code]

    def unit_codes(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        rows = self.connection.execute(select(s.Unit.id, s.Unit.code).where(s.Unit.id.in_(wanted)))
        return {int(unit_id): code for unit_id, code in rows}

    def add_unit(self, unit: Unit) -> int:
        self._changed()
        return int(
            self.connection.execute(
                insert(s.Unit)
                .values(code=unit.code, name=unit.name, decimals=unit.decimals)
                .returning(s.Unit.id)
            ).scalar_one()
        )

    # items -------------------------------------------------------------------------
    def items_by_code(self, codes: Iterable[str]) -> dict[str, Item]:
        view, wanted = self._current(), set(codes)
        missing = _unknown(wanted, view.items_by_code)
        if missing:
            self._remember(view, self._items(_one_or_any(s.Item.code, missing)))
        return {code: view.items_by_code[code] for code in wanted if code in view.items_by_code}

    def items_by_id(self, ids: Iterable[int]) -> dict[int, Item]:
        view, wanted = self._current(), set(ids)
        missing = _unknown(wanted, view.items_by_id)
        if missing:
            self._remember(view, self._items(_one_or_any(s.Item.id, missing)))
        return {i: view.items_by_id[i] for i in wanted if i in view.items_by_id}

    @staticmethod
    def _remember(view: CatalogView, items: Iterable[Item]) -> None:
        for item in items:
            view.items_by_code[item.code] = item
            view.items_by_id[item.id] = item

    def item_by_barcode(self, barcode: str) -> tuple[Item, str] | None:
        row = self.connection.execute(
            select(s.ItemBarcode.item_id, s.Unit.code)
            .join(s.Unit, s.Unit.id == s.ItemBarcode.unit_id)
            .where(s.ItemBarcode.barcode == barcode)
        ).first()
        if row is None:
            return None
        return self.items_by_id([row.item_id])[row.item_id], row.code

    def _items(self, condition: Any) -> list[Item]:
        """The items ``condition`` selects with their unit conversions, in one query."""
        items: dict[int, Item] = {}
        for row in self.connection.execute(_items_query.where(condition)):
            item = items.get(row.id)
            if item is None:
                item = items[row.id] = Item(
                    id=row.id,
                    code=row.code,
                    name=row.name,
                    base_unit=Unit(row.unit_code, row.unit_name, row.unit_decimals),
                    tracking=TrackingMode(row.tracking),
                    shelf_life_days=row.shelf_life_days,
                    category=row.category,
                    specification=row.specification,
                    conversions={},
                )
            if row.ratio is not None:
                unit = Unit(row.conversion_code, row.conversion_name, row.conversion_decimals)
                item.conversions[unit.code] = (unit, row.ratio)
        return list(items.values())

    def add_item(self, values: dict[str, Any]) -> int:
        self._changed()
        return int(
            self.connection.execute(
                insert(s.Item).values(**values).returning(s.Item.id)
            ).scalar_one()
        )

    def set_item_unit(self, item_id: int, unit_id: int, ratio: Decimal) -> None:
        self._changed()
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

    def documents_counting_in(self, item_id: int, unit_id: int) -> list[tuple[str, str, str]]:
        """(number, type, state) of the documents whose lines count the item in the unit."""
        rows = self.connection.execute(
            select(s.Document.number, s.Document.document_type, s.Document.state)
            .join(s.DocumentLine, s.DocumentLine.document_id == s.Document.id)
            .where(s.DocumentLine.item_id == item_id, s.DocumentLine.unit_id == unit_id)
            .distinct()
            .order_by(s.Document.number.desc())
        )
        return [(str(number), str(kind), str(state)) for number, kind, state in rows]

    def meant(self, typed: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """("item", code as typed) → the one item code it likely stands for.

        A code typed in the wrong case (dp-003 for DP-003), or the name where the code
        belongs (螺丝 M3 for LS-001); nothing where several fit. Compared in Python, as
        SQLite's lower() knows ASCII only, and full-width letters (ＤＰ－００３) folded.
        """
        wanted = {text for kind, text in typed if kind == "item"}
        if not wanted:
            return {}
        folded = {_folded(text): text for text in wanted}
        rows = self.connection.execute(select(s.Item.code, s.Item.name)).all()  # a refusal's cost
        fits: dict[str, set[str]] = {text: set() for text in wanted}
        for code, name in rows:
            for key in {_folded(code), _folded(name)}:
                if key in folded:
                    fits[folded[key]].add(code)
        return {
            ("item", text): codes.pop()
            for text, codes in fits.items()
            if len(codes) == 1 and text not in codes
        }

    # warehouses and locations --------------------------------------------------------
    def warehouses_by_code(self, codes: Iterable[str]) -> dict[str, Warehouse]:
        view, wanted = self._current(), set(codes)
        missing = _unknown(wanted, view.warehouses)
        if missing:
            for r in self.connection.execute(
                select(s.Warehouse).where(s.Warehouse.code.in_(missing))
            ):
                view.warehouses[r.code] = Warehouse(
                    r.id, r.code, r.name, bool(r.allow_negative_stock)
                )
                view.warehouse_codes[r.id] = r.code
        return {code: view.warehouses[code] for code in wanted if code in view.warehouses}

    def has_warehouses_besides(self, codes: Sequence[str]) -> bool:
        query = select(s.Warehouse.id).where(s.Warehouse.code.not_in(codes)).limit(1)
        return self.connection.execute(query).first() is not None

    def warehouse_code(self, warehouse_id: int) -> str:
        view = self._current()
        if warehouse_id not in view.warehouse_codes:
            view.warehouse_codes[warehouse_id] = str(
                self.connection.execute(
                    select(s.Warehouse.code).where(s.Warehouse.id == warehouse_id)
                ).scalar_one()
            )
        return view.warehouse_codes[warehouse_id]

    def add_warehouse(self, code: str, name: str, allow_negative: bool, at: datetime) -> int:
        self._changed()
        return int(
            self.connection.execute(
                insert(s.Warehouse)
                .values(code=code, name=name, allow_negative_stock=allow_negative, created_at=at)
                .returning(s.Warehouse.id)
            ).scalar_one()
        )

    def set_allow_negative(self, warehouse_id: int, allow: bool) -> None:
        self._changed()
        self.connection.execute(
            update(s.Warehouse)
            .where(s.Warehouse.id == warehouse_id)
            .values(allow_negative_stock=allow)
        )

    def add_location(self, values: dict[str, Any]) -> int:
        self._changed()
        return int(
            self.connection.execute(
                insert(s.Location).values(**values).returning(s.Location.id)
            ).scalar_one()
        )

    def _load_locations(self, view: CatalogView, condition: Any) -> None:
        for row in self.connection.execute(_locations_query().where(condition)):
            location = _location(row)
            view.locations[location.id] = location
            view.location_ids[(location.warehouse_id, location.code)] = location.id
            if location.warehouse_id is not None and row.is_default:
                view.defaults[location.warehouse_id] = location
            if location.warehouse_id is not None and location.kind is LocationKind.TRANSIT:
                view.transits[location.warehouse_id] = location
            if location.warehouse_id is not None and location.held_back:
                view.inspections.setdefault(location.warehouse_id, location)

    def locations_by_code(
        self, warehouse_id: int | None, codes: Iterable[str]
    ) -> dict[str, Location]:
        view, wanted = self._current(), set(codes)
        missing = {code for code in wanted if (warehouse_id, code) not in view.location_ids}
        if missing:
            owner = (
                s.Location.warehouse_id.is_(None)
                if warehouse_id is None
                else s.Location.warehouse_id == warehouse_id
            )
            self._load_locations(view, owner & s.Location.code.in_(missing))
        return {
            code: view.locations[view.location_ids[(warehouse_id, code)]]
            for code in wanted
            if (warehouse_id, code) in view.location_ids
        }

    def locations_by_id(self, ids: Iterable[int]) -> dict[int, Location]:
        view, wanted = self._current(), set(ids)
        missing = _unknown(wanted, view.locations)
        if missing:
            self._load_locations(view, s.Location.id.in_(missing))
        return {i: view.locations[i] for i in wanted if i in view.locations}

    def default_location(self, warehouse_id: int) -> Location:
        view = self._current()
        if warehouse_id not in view.defaults:
            self._load_locations(view, s.Location.warehouse_id == warehouse_id)
        return view.defaults[warehouse_id]

    def inspection_location(self, warehouse_id: int) -> Location | None:
        """The warehouse's 待检 location, where goods from a purchase order wait for QC."""
        view = self._current()
        if warehouse_id not in view.defaults:
            self._load_locations(view, s.Location.warehouse_id == warehouse_id)
        return view.inspections.get(warehouse_id)

    def transit_location(self, warehouse_id: int) -> Location:
        view = self._current()
        if warehouse_id not in view.transits:
            self._load_locations(view, s.Location.warehouse_id == warehouse_id)
        return view.transits[warehouse_id]

    # batches and serials ---------------------------------------------------------------
    def batches(self, wanted: Iterable[tuple[int, str]]) -> dict[tuple[int, str], BatchRecord]:
        """The batches of a document's lines, (item id, batch number) → batch, in one query."""
        keys = set(wanted)
        if not keys:
            return {}
        rows = self.connection.execute(
            _batches_of,
            {
                "items": sorted({item for item, _ in keys}),
                "numbers": sorted({number for _, number in keys}),
            },
        )
        found = {
            (r.item_id, r.batch_no): BatchRecord(r.id, r.production_date, r.expiry_date)
            for r in rows
        }
        return {key: batch for key, batch in found.items() if key in keys}

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

    def serials(self, wanted: Iterable[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, int]]:
        """(item id, serial number) → (serial id, current location id), in one query."""
        keys = set(wanted)
        if not keys:
            return {}
        rows = self.connection.execute(
            _serials_of,
            {
                "items": sorted({item for item, _ in keys}),
                "numbers": sorted({number for _, number in keys}),
            },
        )
        found = {(r.item_id, r.serial_no): (r.id, r.location_id) for r in rows}
        return {key: place for key, place in found.items() if key in keys}

    def serials_at(
        self, places: Collection[tuple[int, int]]
    ) -> dict[tuple[int, int], dict[str, int]]:
        """(item id, location id) → the serials the books place there, number → id."""
        if not places:
            return {}
        rows = self.connection.execute(
            select(
                s.SerialNumber.item_id,
                s.SerialNumber.location_id,
                s.SerialNumber.serial_no,
                s.SerialNumber.id,
            ).where(
                s.SerialNumber.item_id.in_(sorted({item for item, _ in places})),
                s.SerialNumber.location_id.in_(sorted({location for _, location in places})),
            )
        )
        found: dict[tuple[int, int], dict[str, int]] = {place: {} for place in places}
        for item_id, location_id, serial_no, serial_id in rows:
            if (item_id, location_id) in found:
                found[item_id, location_id][serial_no] = serial_id
        return found

    def items_with_serial(self, serial_no: str) -> list[int]:
        """The items that have a serial numbered ``serial_no`` (one, nearly always)."""
        return list(
            self.connection.scalars(
                select(s.SerialNumber.item_id).where(s.SerialNumber.serial_no == serial_no)
            )
        )

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
        result = self.connection.execute(
            _move_serial, [{"sid": sid, "src": src, "dst": dst} for sid, src, dst in moves]
        )
        return result.rowcount == len(moves)


def _unknown(wanted: set[K], known: Mapping[K, Any]) -> set[K]:
    """``wanted`` less ``known``'s keys, in time of ``wanted`` alone.

    ``set - dict.keys()`` walks the whole dictionary (a keys view is not a set to the set
    type), which for a cached catalogue of thousands of items cost each posting more than
    its ledger insert.
    """
    return {key for key in wanted if key not in known}
