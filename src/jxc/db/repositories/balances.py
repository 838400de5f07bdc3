"""Cached balances and cost pools: locked in key order, changed by guarded updates.

Invariant 2 (balances = ledger) holds because these rows change only in the posting
transaction that writes the entries. Invariant 3 (no negative available stock) is
checked by the domain on rows read under lock (``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` makes the writer exclusive) and enforced once more by the
``on_hand - reserved + delta >= 0`` guard on every decreasing UPDATE.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jxc.db import schema as s
from jxc.db.bulk import Bulk
from jxc.db.repositories.catalog import CatalogRepository, _location_of
from jxc.domain.costing import CostPool
from jxc.domain.ledger import PoolKey
from jxc.domain.locations import LocationKind, LocationUsage
from jxc.domain.quantities import ZERO
from jxc.domain.stock import Balance, BalanceKey, StockSlot, given_in_turn

_balance = cast(Table, s.StockBalance.__table__)
_record_change = insert(s.StockChange)
_cost = cast(Table, s.StockCost.__table__)
_reservation = cast(Table, s.StockReservation.__table__)
_balance_key = and_(
    _balance.c.item_id == bindparam("k_item"),
    _balance.c.location_id == bindparam("k_location"),
    _balance.c.batch_id == bindparam("k_batch"),
)

_guarded_decrease = Bulk(
    update(_balance)
    .where(_balance_key)
    .where(_balance.c.on_hand - _balance.c.reserved + bindparam("guard", type_=s.Quantity) >= 0)
    .values(on_hand=_balance.c.on_hand + bindparam("delta", type_=s.Quantity))
)
_hold = Bulk(
    update(_balance)
    .where(_balance_key)
    .where(_balance.c.on_hand - _balance.c.reserved - bindparam("quantity", type_=s.Quantity) >= 0)
    .values(reserved=_balance.c.reserved + bindparam("quantity", type_=s.Quantity))
)
_unhold = Bulk(
    update(_balance)
    .where(_balance_key)
    .values(reserved=_balance.c.reserved - bindparam("quantity", type_=s.Quantity))
)
_insert_reservation = Bulk(
    insert(_reservation),
    [
        "document_id",
        "document_line_id",
        "item_id",
        "location_id",
        "batch_id",
        "serial_id",
        "quantity",
        "created_at",
    ],
)
_held_key = (_reservation.c.item_id, _reservation.c.location_id, _reservation.c.batch_id)
_held_by = (
    select(*_held_key, func.sum(_reservation.c.quantity), func.count())
    .where(_reservation.c.document_id == bindparam("document_id"))
    .group_by(*_held_key)
    .order_by(*_held_key)
)
_drop_reservations = delete(_reservation).where(
    _reservation.c.document_id == bindparam("document_id")
)
_set_pool = Bulk(
    update(_cost)
    .where(
        and_(
            _cost.c.item_id == bindparam("k_item"),
            _cost.c.warehouse_id == bindparam("k_warehouse"),
            _cost.c.in_transit == bindparam("k_transit"),
        )
    )
    .values(
        quantity=bindparam("quantity", type_=s.Quantity),
        value=bindparam("value", type_=s.Money),
        unit_cost=bindparam("unit_cost", type_=s.UnitCost),
    )
)


# Plain IN lists (filtered to the exact keys in Python) are much faster than row-value
# IN on SQLite; on PostgreSQL they lock a few more rows, still in key order.
_lock_balances = (
    select(
        _balance.c.item_id,
        _balance.c.location_id,
        _balance.c.batch_id,
        _balance.c.on_hand,
        _balance.c.reserved,
    )
    .where(
        _balance.c.item_id.in_(bindparam("items", expanding=True)),
        _balance.c.location_id.in_(bindparam("locations", expanding=True)),
        _balance.c.batch_id.in_(bindparam("batches", expanding=True)),
    )
    .order_by(_balance.c.item_id, _balance.c.location_id, _balance.c.batch_id)
    .with_for_update()
)
_ledger = cast(Table, s.StockLedgerEntry.__table__)
# The posting's read also says which items moved on a later day than its own (rarely any):
# only those need their later days checked (an index probe here, not a statement more).
_lock_balances_moved_later = _lock_balances.add_columns(
    exists()
    .where(
        _ledger.c.item_id == _balance.c.item_id,
        _ledger.c.business_date > bindparam("after"),
    )
    .label("moved_later")
)
_lock_pools = (
    select(
        _cost.c.item_id,
        _cost.c.warehouse_id,
        _cost.c.in_transit,
        _cost.c.quantity,
        _cost.c.value,
        _cost.c.unit_cost,
    )
    .where(
        _cost.c.item_id.in_(bindparam("items", expanding=True)),
        _cost.c.warehouse_id.in_(bindparam("warehouses", expanding=True)),
        _cost.c.in_transit.in_(bindparam("in_transit", expanding=True)),
    )
    .order_by(_cost.c.item_id, _cost.c.warehouse_id, _cost.c.in_transit)
    .with_for_update()
)
_insert_pool = Bulk(insert(_cost), [c.name for c in _cost.columns])


def _add_to_balance(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE: add to a balance, creating it if it does not exist."""
    upsert = sqlite_insert(_balance) if dialect == "sqlite" else postgresql_insert(_balance)
    return upsert.on_conflict_do_update(
        index_elements=[_balance.c.item_id, _balance.c.location_id, _balance.c.batch_id],
        set_={"on_hand": _balance.c.on_hand + upsert.excluded.on_hand},
    )


_ADD_TO_BALANCE = {
    dialect: Bulk(
        _add_to_balance(dialect), ["item_id", "location_id", "batch_id", "on_hand", "reserved"]
    )
    for dialect in ("sqlite", "postgresql")
}


def _key_lists(keys: set[BalanceKey]) -> dict[str, list[int]]:
    return {
        "items": sorted({k.item_id for k in keys}),
        "locations": sorted({k.location_id for k in keys}),
        "batches": sorted({k.batch_id for k in keys}),
    }


def _balances(rows: Sequence[Any], wanted: set[BalanceKey]) -> dict[BalanceKey, Balance]:
    """The balances of ``wanted`` among rows read by item × location × batch lists."""
    found = {BalanceKey(row[0], row[1], row[2]): Balance(row[3], row[4]) for row in rows}
    return {key: balance for key, balance in found.items() if key in wanted}


class BalanceRepository:
    def __init__(self, connection: Connection, catalog: CatalogRepository) -> None:
        self.connection = connection
        self._catalog = catalog
        self._add = _ADD_TO_BALANCE[connection.dialect.name]
        # SQLite's writer is exclusive, so only the balances a posting takes from need
        # reading; PostgreSQL locks every balance it will touch, in key order, against
        # deadlocks.
        self._locks_rows = connection.dialect.name != "sqlite"
        # (item, location) whose stock or reservations this changed
        self.touched: set[tuple[int, int]] = set()

    def lock_for_posting(
        self, deltas: Mapping[BalanceKey, Decimal], business_date: date
    ) -> tuple[dict[BalanceKey, Balance], set[int]]:
        """Read (and lock where the engine needs it) the balances a posting changes.

        Also the items, among those it takes from, that moved on a day after
        ``business_date``: the later days of those need checking.
        """
        keys = [key for key, delta in deltas.items() if self._locks_rows or delta < 0]
        if not keys:
            return {}, set()
        wanted = set(keys)
        rows = self.connection.execute(
            _lock_balances_moved_later, {**_key_lists(wanted), "after": business_date}
        ).all()
        return _balances(rows, wanted), {row[0] for row in rows if row[5]}

    def lock(self, keys: Sequence[BalanceKey]) -> dict[BalanceKey, Balance]:
        """Read (and on PostgreSQL lock, in key order) the balances of ``keys``."""
        if not keys:
            return {}
        wanted = set(keys)
        return _balances(self.connection.execute(_lock_balances, _key_lists(wanted)).all(), wanted)

    def batches_on_hand(self, batch_ids: Collection[int], warehouse_id: int) -> set[int]:
        """Which of ``batch_ids`` the warehouse holds any of on its shelves (read, not locked).

        Goods awaiting QC (待检) are not on the shelves: an issue takes them only from where
        a line names that location.
        """
        if not batch_ids:
            return set()
        rows = self.connection.execute(
            select(_balance.c.batch_id)
            .join(s.Location, s.Location.id == _balance.c.location_id)
            .where(
                _balance.c.batch_id.in_(sorted(batch_ids)),
                s.Location.warehouse_id == warehouse_id,
                s.Location.kind == LocationKind.INTERNAL.value,
                func.coalesce(s.Location.usage, "") != _QC,
                _balance.c.on_hand > 0,
            )
            .distinct()
        )
        return {int(batch_id) for (batch_id,) in rows}

    def slots(self, item_ids: Sequence[int], warehouse_id: int) -> dict[int, list[StockSlot]]:
        """Stock issues may take of each item (locked on PostgreSQL), with batch expiry."""
        by_item: dict[int, list[StockSlot]] = {item_id: [] for item_id in item_ids}
        rows = self.connection.execute(
            _lock_slots, {"items": sorted(set(item_ids)), "warehouse_id": warehouse_id}
        )
        for row in rows.all():
            by_item[row[0]].append(_slot(row))
        return by_item

    def apply(
        self,
        deltas: Mapping[BalanceKey, Decimal],
        existing: Mapping[BalanceKey, Balance],
        guarded: set[BalanceKey],
    ) -> list[BalanceKey]:
        """Apply net deltas; return the guarded keys whose guard refused (empty on success).

        ``existing`` must hold every guarded key with a negative delta that has a balance.
        """
        decreases, additions = [], []
        self.touched.update((key.item_id, key.location_id) for key in deltas)
        for key in sorted(deltas):
            delta = deltas[key]
            if delta < 0 and key in guarded:
                if key not in existing:
                    return [key]
                decreases.append(
                    {
                        "k_item": key.item_id,
                        "k_location": key.location_id,
                        "k_batch": key.batch_id,
                        "delta": delta,
                        "guard": delta,
                    }
                )
            elif delta != 0:
                additions.append(
                    {
                        "item_id": key.item_id,
                        "location_id": key.location_id,
                        "batch_id": key.batch_id,
                        "on_hand": delta,
                        "reserved": Decimal(0),
                    }
                )
        if decreases and _guarded_decrease.run(self.connection, decreases) != len(decreases):
            return self._refused(decreases, existing)
        self._add.run(self.connection, additions)
        return []

    def _refused(
        self, decreases: list[dict[str, Any]], before: Mapping[BalanceKey, Balance]
    ) -> list[BalanceKey]:
        """The keys whose guarded UPDATE changed nothing: their on-hand is as it was before."""
        keys = [BalanceKey(d["k_item"], d["k_location"], d["k_batch"]) for d in decreases]
        current = self.lock(keys)
        return [key for key in keys if current.get(key) == before.get(key)]

    # reservations (预占) -----------------------------------------------------------------
    def hold(self, totals: Mapping[BalanceKey, Decimal], rows: Sequence[dict[str, Any]]) -> bool:
        """Reserve ``totals`` (guarded: never beyond what is available) and record ``rows``.

        False, with nothing reserved on some keys, when a guard refused: roll back.
        """
        holds = [
            {
                "k_item": key.item_id,
                "k_location": key.location_id,
                "k_batch": key.batch_id,
                "quantity": quantity,
            }
            for key, quantity in sorted(totals.items())
        ]
        if _hold.run(self.connection, holds) != len(holds):
            return False
        self.touched.update((key.item_id, key.location_id) for key in totals)
        _insert_reservation.run(self.connection, rows)
        return True

    def serials_held(self, serial_ids: Sequence[int], document_id: int) -> dict[int, str]:
        """Serials among ``serial_ids`` another document holds: serial id → its number."""
        if not serial_ids:
            return {}
        rows = self.connection.execute(
            select(_reservation.c.serial_id, s.Document.number)
            .join(s.Document, s.Document.id == _reservation.c.document_id)
            .where(
                _reservation.c.serial_id.in_(sorted(set(serial_ids))),
                _reservation.c.document_id != document_id,
            )
        )
        return {int(serial_id): number for serial_id, number in rows}

    def release(self, document_id: int) -> int:
        """Give back everything a document holds; the number of reservations released."""
        self._lock_balances_held(_reservation.c.document_id == document_id)
        held = self.connection.execute(_held_by, {"document_id": document_id}).all()
        if not held:
            return 0
        self.touched.update((int(row[0]), int(row[1])) for row in held)
        _unhold.run(
            self.connection,
            [
                {"k_item": item, "k_location": location, "k_batch": batch, "quantity": quantity}
                for item, location, batch, quantity, _ in held
            ],
        )
        self.connection.execute(_drop_reservations, {"document_id": document_id})
        return sum(int(count) for *_, count in held)

    def release_line(self, line_id: int, quantity: Decimal) -> Decimal:
        """Give back up to ``quantity`` of what one document line holds (a delivery takes it).

        Its oldest reservations go first. Returns how much was held and is given back.
        """
        self._lock_balances_held(_reservation.c.document_line_id == line_id)
        rows = self.connection.execute(
            select(_reservation.c.id, *_held_key, _reservation.c.quantity)
            .where(_reservation.c.document_line_id == line_id)
            .order_by(_reservation.c.id)
            .with_for_update()
        ).all()
        return sum(self._give_back(rows, quantity), ZERO)

    def release_at(self, key: BalanceKey, quantity: Decimal) -> list[tuple[str, Decimal]]:
        """Give back ``quantity`` of what documents hold at one balance, newest holds first.

        Returns (document number, quantity it gave back) for each hold that gave.
        """
        rows = self.connection.execute(
            select(_reservation.c.id, *_held_key, _reservation.c.quantity, s.Document.number)
            .join(s.Document, s.Document.id == _reservation.c.document_id)
            .where(
                _reservation.c.item_id == key.item_id,
                _reservation.c.location_id == key.location_id,
                _reservation.c.batch_id == key.batch_id,
            )
            .order_by(_reservation.c.id.desc())
            .with_for_update(of=_reservation)
        ).all()
        given = self._give_back([row[:5] for row in rows], quantity)
        return [(row.number, amount) for row, amount in zip(rows, given, strict=True) if amount]

    def release_serials(self, serial_ids: Collection[int]) -> list[tuple[str, int, Decimal]]:
        """Give back every hold on ``serial_ids``: (document number, serial id, quantity)."""
        if not serial_ids:
            return []
        which = _reservation.c.serial_id.in_(sorted(serial_ids))
        self._lock_balances_held(which)
        rows = self.connection.execute(
            select(
                _reservation.c.id,
                *_held_key,
                _reservation.c.quantity,
                s.Document.number,
                _reservation.c.serial_id,
            )
            .join(s.Document, s.Document.id == _reservation.c.document_id)
            .where(which)
            .order_by(_reservation.c.id)
            .with_for_update(of=_reservation)
        ).all()
        given = self._give_back([row[:5] for row in rows], sum((row[4] for row in rows), ZERO))
        return [
            (row.number, row.serial_id, amount)
            for row, amount in zip(rows, given, strict=True)
            if amount
        ]

    def _lock_balances_held(self, which: Any) -> None:
        """On PostgreSQL, lock the balances of the reservations ``which`` picks, in key order.

        Balances first, then reservations, as a 盘亏 that gives back holds does: another
        transaction may change these reservations (``release_at``), and what is given back
        must be read after it committed, not before.
        """
        if self._locks_rows:
            keys = self.connection.execute(select(*_held_key).where(which).distinct()).all()
            self.lock([BalanceKey(*key) for key in keys])

    def _give_back(self, rows: Sequence[Any], quantity: Decimal) -> list[Decimal]:
        """What each reservation gave back of ``quantity``, taken from ``rows`` in order.

        ``rows``: (reservation id, item, location, batch, held).
        """
        given = given_in_turn(quantity, [row[4] for row in rows])
        unheld: list[dict[str, Any]] = []
        for (row_id, item, location, batch, held), taken in zip(rows, given, strict=True):
            if not taken:
                continue
            unheld.append(
                {"k_item": item, "k_location": location, "k_batch": batch, "quantity": taken}
            )
            if taken == held:
                self.connection.execute(delete(_reservation).where(_reservation.c.id == row_id))
            else:
                self.connection.execute(
                    update(_reservation)
                    .where(_reservation.c.id == row_id)
                    .values(quantity=held - taken)
                )
        _unhold.run(self.connection, unheld)
        self.touched.update((row["k_item"], row["k_location"]) for row in unheld)
        return given

    def record_changes(self, sequence: int) -> None:
        """The change feed's row for this transaction, if it changed any item's stock.

        It names each item with the warehouse it changed in; locations outside every
        warehouse (a supplier, a customer) are the other side of a move and sell nothing.
        """
        if not self.touched:
            return
        # From the catalog cache: the posting has just read these locations.
        locations = self._catalog.locations_by_id({location for _, location in self.touched})
        changed = sorted(
            {
                (item, warehouse_id)
                for item, location in self.touched
                if (warehouse_id := locations[location].warehouse_id) is not None
            }
        )
        self.touched = set()
        if changed:
            self.connection.execute(
                _record_change, {"sequence": sequence, "item_ids": [list(p) for p in changed]}
            )

    # cost pools -------------------------------------------------------------------------
    def unit_costs(self, item_ids: Collection[int], warehouse_id: int) -> dict[int, Decimal]:
        """Each item's current average cost in a warehouse (for judging a draft's value)."""
        rows = self.connection.execute(
            select(_cost.c.item_id, _cost.c.unit_cost).where(
                _cost.c.item_id.in_(sorted(item_ids)),
                _cost.c.warehouse_id == warehouse_id,
                _cost.c.in_transit.is_(False),
            )
        )
        return {int(item_id): unit_cost for item_id, unit_cost in rows}

    def lock_pools(self, keys: Sequence[PoolKey]) -> dict[PoolKey, CostPool]:
        if not keys:
            return {}
        wanted = set(keys)
        rows = self.connection.execute(
            _lock_pools,
            {
                "items": sorted({k[0] for k in wanted}),
                "warehouses": sorted({k[1] for k in wanted}),
                "in_transit": sorted({k[2] for k in wanted}),
            },
        )
        found: dict[PoolKey, CostPool] = {
            (item_id, warehouse_id, bool(in_transit)): CostPool(quantity, value, unit_cost)
            for item_id, warehouse_id, in_transit, quantity, value, unit_cost in rows.all()
        }
        return {key: pool for key, pool in found.items() if key in wanted}

    def save_pools(
        self, pools: Mapping[PoolKey, CostPool], existing: Mapping[PoolKey, CostPool]
    ) -> None:
        changed = [(k, p) for k, p in sorted(pools.items()) if existing.get(k) != p]
        updates = [
            {
                "k_item": k[0],
                "k_warehouse": k[1],
                "k_transit": k[2],
                "quantity": p.quantity,
                "value": p.value,
                "unit_cost": p.unit_cost,
            }
            for k, p in changed
            if k in existing
        ]
        inserts = [
            {
                "item_id": k[0],
                "warehouse_id": k[1],
                "in_transit": k[2],
                "quantity": p.quantity,
                "value": p.value,
                "unit_cost": p.unit_cost,
            }
            for k, p in changed
            if k not in existing
        ]
        _set_pool.run(self.connection, updates)
        _insert_pool.run(self.connection, inserts)


def slots_query() -> Select[Any]:
    """Balances with available stock at a warehouse's internal locations, for FEFO.

    Bind ``items`` (a list of item ids) and ``warehouse_id``.
    """
    return (
        select(
            _balance.c.item_id,
            _balance.c.batch_id,
            (_balance.c.on_hand - _balance.c.reserved).label("available"),
            s.Batch.batch_no,
            s.Batch.expiry_date,
            s.Location.id,
            s.Location.code,
            s.Location.name,
            s.Location.kind,
            s.Location.warehouse_id,
            s.Location.usage,
            s.Warehouse.allow_negative_stock,
            s.Warehouse.code,
        )
        .join(s.Location, s.Location.id == _balance.c.location_id)
        .join(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
        .outerjoin(s.Batch, s.Batch.id == _balance.c.batch_id)
        .where(
            _balance.c.item_id.in_(bindparam("items", expanding=True)),
            s.Location.warehouse_id == bindparam("warehouse_id"),
            s.Location.kind == LocationKind.INTERNAL.value,
            _balance.c.on_hand - _balance.c.reserved > 0,
        )
        .order_by(_balance.c.item_id, _balance.c.id)
    )


SLOTS = slots_query()
_QC = LocationUsage.QC.value
_lock_slots = SLOTS.with_for_update(of=_balance)


def _slot(row: Any) -> StockSlot:
    # Unpacked by position: an issue reads a row per batch and location of every item.
    (
        _,
        batch_id,
        available,
        batch_no,
        expiry,
        location_id,
        code,
        name,
        kind,
        warehouse_id,
        usage,
        negative,
        warehouse,
    ) = row
    location = _location_of(
        location_id, code, name, kind, warehouse_id, bool(negative), warehouse, usage == _QC
    )
    return StockSlot(location, batch_id, batch_no, expiry, available)


def read_slots(
    connection: Connection, query: Select[Any], params: dict[str, Any]
) -> list[StockSlot]:
    return [_slot(row) for row in connection.execute(query, params)]
