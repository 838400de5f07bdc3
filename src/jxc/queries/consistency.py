"""`jxc check`: recompute stock from the ledger and compare it with what is cached.

Checks invariant 2 (balances = ledger, quantity and value), the double-entry rule (per
item, the sum over all locations is zero), invariant 3 (no negative available stock
where not allowed), that what each balance has reserved is what documents hold (预占),
and that each serial is where its last movement put it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select, union_all

from jxc.db import schema as s
from jxc.domain.locations import OWNED_KINDS, LocationKind
from jxc.domain.periods import Period
from jxc.domain.quantities import ZERO, normalized

_entry = s.StockLedgerEntry


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckReport:
    ledger_rows: int
    balances: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _names(
    connection: Connection,
) -> tuple[dict[int, str], dict[int, tuple[str, str, str | None, bool]]]:
    items = {r.id: r.code for r in connection.execute(select(s.Item.id, s.Item.code))}
    locations = {
        r.id: (r.code, r.kind, r.warehouse, bool(r.allow_negative_stock))
        for r in connection.execute(
            select(
                s.Location.id,
                s.Location.code,
                s.Location.kind,
                s.Warehouse.code.label("warehouse"),
                s.Warehouse.allow_negative_stock,
            ).outerjoin(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
        )
    }
    return items, locations


def ledger_sums(
    connection: Connection, after: date | None = None, through: date | None = None
) -> dict[tuple[int, int, int], tuple[Decimal, Decimal]]:
    """(item, location, batch) → (quantity, value) summed from every entry in and out.

    Only entries dated after ``after`` and up to ``through`` count, where those are given.
    """
    dated = [
        condition
        for condition in (
            _entry.business_date > after if after else None,
            _entry.business_date <= through if through else None,
        )
        if condition is not None
    ]
    moves_in = (
        select(
            _entry.item_id,
            _entry.to_location_id.label("location_id"),
            _entry.batch_id,
            func.sum(_entry.quantity).label("quantity"),
            func.sum(_entry.value).label("value"),
        )
        .where(*dated)
        # Location first: grouped item first, SQLite walks the ledger through its item
        # index, one random read per entry, rather than reading it in one pass.
        .group_by(_entry.to_location_id, _entry.item_id, _entry.batch_id)
    )
    moves_out = (
        select(
            _entry.item_id,
            _entry.from_location_id.label("location_id"),
            _entry.batch_id,
            (-func.sum(_entry.quantity)).label("quantity"),
            (-func.sum(_entry.value)).label("value"),
        )
        .where(*dated)
        .group_by(_entry.from_location_id, _entry.item_id, _entry.batch_id)
    )
    sums: dict[tuple[int, int, int], tuple[Decimal, Decimal]] = defaultdict(
        lambda: (Decimal(0), Decimal(0))
    )
    for row in connection.execute(union_all(moves_in, moves_out)):
        key = (row.item_id, row.location_id, row.batch_id)
        quantity, value = sums[key]
        sums[key] = (quantity + row.quantity, value + row.value)
    return sums


def check(connection: Connection) -> CheckReport:
    items, locations = _names(connection)
    ledger = ledger_sums(connection)
    ledger_rows = connection.execute(select(func.count()).select_from(_entry)).scalar_one()
    balances = {
        (r.item_id, r.location_id, r.batch_id): (r.on_hand, r.reserved)
        for r in connection.execute(select(s.StockBalance))
    }
    held: dict[tuple[int, int, int], Decimal] = {
        (r.item_id, r.location_id, r.batch_id): r.quantity
        for r in connection.execute(
            select(
                s.StockReservation.item_id,
                s.StockReservation.location_id,
                s.StockReservation.batch_id,
                func.sum(s.StockReservation.quantity).label("quantity"),
            ).group_by(
                s.StockReservation.item_id,
                s.StockReservation.location_id,
                s.StockReservation.batch_id,
            )
        )
    }
    problems: list[Problem] = []
    batches = {r.id: r.batch_no for r in connection.execute(select(s.Batch.id, s.Batch.batch_no))}

    def where(location_id: int, batch_id: int | None = None) -> str:
        """As stock refusals name a place: SH01/STOCK, and its batch after a slash."""
        code, _, warehouse, _ = locations[location_id]
        place = f"{warehouse}/{code}" if warehouse else code
        return f"{place}/{batches[batch_id]}" if batch_id in batches else place

    per_item: dict[int, Decimal] = defaultdict(Decimal)
    for key in sorted(set(ledger) | set(balances) | set(held)):
        item_id, location_id, batch_id = key
        from_ledger = ledger.get(key, (Decimal(0), Decimal(0)))[0]
        kind = locations[location_id][1]
        if kind not in OWNED_KINDS:
            per_item[item_id] += from_ledger
            continue
        on_hand, reserved = balances.get(key, (Decimal(0), Decimal(0)))
        per_item[item_id] += on_hand
        params = {"item": items[item_id], "location": where(location_id, batch_id)}
        if on_hand != from_ledger:
            problems.append(
                Problem(
                    "check.balance_mismatch",
                    {**params, "cached": _shown(on_hand), "ledger": _shown(from_ledger)},
                )
            )
        allow_negative = locations[location_id][3] and kind == LocationKind.INTERNAL.value
        if not allow_negative and on_hand - reserved < 0:
            problems.append(
                Problem(
                    "check.negative_available", {**params, "available": _shown(on_hand - reserved)}
                )
            )
        if reserved != held.get(key, Decimal(0)):
            problems.append(
                Problem(
                    "check.reserved_mismatch",
                    {
                        **params,
                        "reserved": str(normalized(reserved)),
                        "reservations": str(normalized(held.get(key, Decimal(0)))),
                    },
                )
            )
        if reserved < 0 or (reserved > on_hand and not allow_negative):
            problems.append(
                Problem(
                    "check.reserved_invalid",
                    {**params, "reserved": _shown(reserved), "on_hand": _shown(on_hand)},
                )
            )
    for item_id, total in sorted(per_item.items()):
        if total != 0:
            problems.append(
                Problem("check.item_not_balanced", {"item": items[item_id], "sum": _shown(total)})
            )
    problems.extend(_pool_problems(connection, ledger, items, locations))
    problems.extend(_serial_problems(connection, items))
    owned = {location_id for location_id, place in locations.items() if place[1] in OWNED_KINDS}
    problems.extend(_snapshot_problems(connection, items, owned, where))
    return CheckReport(ledger_rows, len(balances), problems)


def _pool_problems(
    connection: Connection,
    ledger: dict[tuple[int, int, int], tuple[Decimal, Decimal]],
    items: dict[int, str],
    locations: dict[int, tuple[str, str, str | None, bool]],
) -> list[Problem]:
    """Cost pools hold exactly the quantity and the value of their entries.

    Read from the ledger alone: a balance edited behind the application's back is the
    balance's problem, not its pool's too.
    """
    warehouses = {
        r.id: (r.warehouse_id, r.code)
        for r in connection.execute(
            select(s.Location.id, s.Location.warehouse_id, s.Warehouse.code).outerjoin(
                s.Warehouse, s.Warehouse.id == s.Location.warehouse_id
            )
        )
    }
    codes = dict(warehouses.values())
    expected: dict[tuple[int, int, bool], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)]
    )
    for (item_id, location_id, _), (quantity, value) in ledger.items():
        kind = locations[location_id][1]
        if kind in OWNED_KINDS:
            pool = expected[
                (item_id, warehouses[location_id][0], kind == LocationKind.TRANSIT.value)
            ]
            pool[0] += quantity
            pool[1] += value
    cached = {
        (r.item_id, r.warehouse_id, bool(r.in_transit)): (r.quantity, r.value)
        for r in connection.execute(select(s.StockCost))
    }
    problems = []
    for key in sorted(set(expected) | set(cached)):
        quantity, value = expected.get(key, [Decimal(0), Decimal(0)])
        have = cached.get(key, (Decimal(0), Decimal(0)))
        if have != (quantity, value) or (quantity == 0 and value != 0):
            problems.append(
                Problem(
                    "check.transit_value_mismatch" if key[2] else "check.value_mismatch",
                    {
                        "item": items[key[0]],
                        "warehouse": codes[key[1]],
                        "cached": f"{_shown(have[0])} / {_shown(have[1])}",
                        "ledger": f"{_shown(quantity)} / {_shown(value)}",
                    },
                )
            )
    return problems


def _shown(number: Decimal) -> str:
    """A figure as a person reads it: 16, not 16.000000."""
    return str(normalized(number))


def _snapshot_problems(
    connection: Connection,
    items: dict[int, str],
    owned: Collection[int],
    where: Callable[[int, int], str],
) -> list[Problem]:
    """Each closed month's snapshot still equals its ledger: nothing was booked into it."""
    problems = []
    for close_id, start in connection.execute(
        select(s.PeriodClose.id, s.PeriodClose.period_start).where(
            s.PeriodClose.reopened_at.is_(None)
        )
    ):
        month = Period.of(start)
        ledger = owned_totals(ledger_sums(connection, through=month.last_day), owned)
        kept = snapshot(connection, close_id)
        for key in sorted(set(ledger) | set(kept)):
            if ledger.get(key) != kept.get(key):
                item_id, location_id, batch_id = key
                problems.append(
                    Problem(
                        "check.snapshot_mismatch",
                        {
                            "period": str(month),
                            "item": items[item_id],
                            "location": where(location_id, batch_id),
                            "snapshot": " / ".join(map(_shown, kept.get(key, (ZERO, ZERO)))),
                            "ledger": " / ".join(map(_shown, ledger.get(key, (ZERO, ZERO)))),
                        },
                    )
                )
    return problems


def owned_totals(
    sums: dict[tuple[int, int, int], tuple[Decimal, Decimal]], owned: Collection[int]
) -> dict[tuple[int, int, int], tuple[Decimal, Decimal]]:
    """``sums`` of the ``owned`` locations only, leaving out the zeros."""
    return {
        key: total
        for key, total in sums.items()
        if key[1] in owned and total != (Decimal(0), Decimal(0))
    }


def snapshot(
    connection: Connection, close_id: int
) -> dict[tuple[int, int, int], tuple[Decimal, Decimal]]:
    rows = connection.execute(
        select(
            s.PeriodSnapshot.item_id,
            s.PeriodSnapshot.location_id,
            s.PeriodSnapshot.batch_id,
            s.PeriodSnapshot.quantity,
            s.PeriodSnapshot.value,
        ).where(s.PeriodSnapshot.period_close_id == close_id)
    )
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}


def _serial_problems(connection: Connection, items: dict[int, str]) -> list[Problem]:
    last = (
        select(_entry.serial_id, func.max(_entry.id).label("last_id"))
        .where(_entry.serial_id.is_not(None))
        .group_by(_entry.serial_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            s.SerialNumber.serial_no,
            s.SerialNumber.item_id,
            s.SerialNumber.location_id,
            _entry.to_location_id,
        )
        .join(last, last.c.serial_id == s.SerialNumber.id)
        .join(_entry, _entry.id == last.c.last_id)
        .where(s.SerialNumber.location_id != _entry.to_location_id)
    )
    return [
        Problem("check.serial_misplaced", {"item": items[r.item_id], "serial": r.serial_no})
        for r in rows
    ]
