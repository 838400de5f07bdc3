"""The one place that writes stock: turn a document's moves into ledger entries.

``write_posting`` locks the balances and cost pools it touches (in key order), checks
every demand against available stock and refuses the whole posting naming every short
line, values the moves at moving-average cost, applies guarded balance updates, moves
serials guardedly and appends the ledger entries, all in the caller's transaction.
Every later workflow step (receive, ship, stocktake, reversal) posts through it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal

from jxc.db.uow import UnitOfWork
from jxc.domain.costing import value_moves
from jxc.domain.errors import ErrorItem, InsufficientStock
from jxc.domain.ledger import Move, balance_deltas, demands, holds, pool_key
from jxc.domain.locations import VARIANCE_LOCATION
from jxc.domain.periods import check_open
from jxc.domain.quantities import ZERO
from jxc.domain.stock import (
    Balance,
    BalanceKey,
    Demand,
    holds_in_the_way,
    lowest_since,
    short_since,
    shortage_item,
    shortages,
)


def write_posting(
    uow: UnitOfWork,
    document_id: int,
    moves: Sequence[Move],
    actor: str,
    business_date: date,
    placed_serial_ids: frozenset[int] = frozenset(),
) -> int:
    """Post ``moves`` for a document; return the number of ledger entries written.

    ``placed_serial_ids`` are serials the caller has already put at their destination
    (new serials of a receipt); every other serial moves guardedly from its from-location.

    Raises:
        Conflict: period.closed (``business_date`` lies in a closed month).
        InsufficientStock: one item per short (item, location, batch), naming its lines.
    """
    check_open(business_date, uow.periods.latest_closed())
    deltas = balance_deltas(moves)
    balances, moved_later = uow.balances.lock_for_posting(deltas, business_date)
    needed = demands(moves, deltas)
    short = shortages(needed, balances) or _short_since(
        uow, moves, needed, balances, business_date, moved_later
    )
    if short:
        raise InsufficientStock(short)
    pool_keys = {
        key
        for move in moves
        for key in (
            pool_key(move.item_id, move.from_location),
            pool_key(move.item_id, move.to_location),
        )
        if key is not None
    }
    pools = uow.balances.lock_pools(list(pool_keys))
    variance = uow.catalog.locations_by_code(None, [VARIANCE_LOCATION])[VARIANCE_LOCATION]
    valued, new_pools = value_moves(moves, pools, variance)
    guarded = {d.key for d in needed if d.location.guards_availability}
    refused = uow.balances.apply(deltas, balances, guarded)
    if refused:
        raise InsufficientStock(
            [shortage_item(d, _available(balances, d.key)) for d in needed if d.key in refused]
        )
    uow.balances.save_pools(new_pools, pools)
    serial_moves = [
        (m.serial_id, m.from_location.id, m.to_location.id)
        for m in moves
        if m.serial_id is not None and m.serial_id not in placed_serial_ids
    ]
    if not uow.catalog.move_serials(serial_moves):
        raise InsufficientStock(
            [ErrorItem("/lines", "serial.moved_concurrently", {"count": len(serial_moves)})]
        )
    now = uow.clock()
    uow.ledger.append(
        [
            {
                "document_id": document_id,
                "document_line_id": v.move.line_id,
                "item_id": v.move.item_id,
                "batch_id": v.move.batch_id,
                "serial_id": v.move.serial_id,
                "from_location_id": v.move.from_location.id,
                "to_location_id": v.move.to_location.id,
                "quantity": v.move.quantity,
                "unit_cost": v.unit_cost,
                "value": v.value,
                "business_date": business_date,
                "recorded_at": now,
                "created_by": actor,
            }
            for v in valued
        ]
    )
    return len(valued)


def reserve(
    uow: UnitOfWork, document_id: int, moves: Sequence[Move], business_date: date | None
) -> int:
    """预占: hold what ``moves`` would take (the document holds nothing yet).

    The stock stays on hand and leaves no ledger entry; every other document sees it as
    no longer available. Moves from a location that allows negative stock hold nothing
    there (nothing is guarded there to hold against). Returns the reservations made.

    ``business_date``: the day the moves will be posted on, if they are this document's.

    Raises:
        InsufficientStock: naming every short line (someone took the stock meanwhile, or
            a back-dated document wants stock that came in after its date).
    """
    held = [m for m in moves if m.from_location.guards_availability]
    deltas = balance_deltas(held)
    outflow = {key: -delta for key, delta in deltas.items() if delta < 0}
    needed = demands(held, deltas)
    balances = uow.balances.lock(sorted(outflow))
    short = shortages(needed, balances)
    if not short and business_date is not None:
        short = _short_since(uow, held, needed, balances, business_date)
    if short:
        raise InsufficientStock(short)
    now = uow.clock()
    rows = [
        {
            "document_id": document_id,
            "document_line_id": m.line_id,
            "item_id": m.item_id,
            "location_id": m.from_location.id,
            "batch_id": m.batch_id,
            "serial_id": m.serial_id,
            "quantity": quantity,
            "created_at": now,
        }
        for m, quantity in holds(held, outflow)
    ]
    if not uow.balances.hold(outflow, rows):
        raise InsufficientStock(
            [ErrorItem("/lines", "stock.reserved_concurrently", {"count": len(rows)})]
        )
    return len(rows)


def release(uow: UnitOfWork, document_id: int) -> int:
    """Give back all the document holds (反审核, 驳回, or just before it posts)."""
    return uow.balances.release(document_id)


def release_in_the_way(
    uow: UnitOfWork, taken: Mapping[BalanceKey, Decimal]
) -> list[tuple[BalanceKey, str, Decimal]]:
    """Give back, newest first, what documents hold where ``taken`` exceeds availability.

    For a 盘亏: goods a count found missing cannot stay promised to orders, and the books
    must follow the shelf. Only guarded locations are touched (elsewhere stock may go
    negative anyway). Returns (balance, holding document, quantity given back); the
    documents keep the rest of what they hold and take stock again when they ship.
    """
    keys = sorted(taken)
    locations = uow.catalog.locations_by_id({key.location_id for key in keys})
    balances = uow.balances.lock(keys)
    released: list[tuple[BalanceKey, str, Decimal]] = []
    for key in keys:
        balance = balances.get(key)
        if balance is None or not locations[key.location_id].guards_availability:
            continue
        in_the_way = holds_in_the_way(taken[key], balance)
        if in_the_way:
            released += [
                (key, number, quantity)
                for number, quantity in uow.balances.release_at(key, in_the_way)
            ]
    return released


def release_serials(uow: UnitOfWork, serial_ids: Collection[int]) -> list[tuple[str, int, Decimal]]:
    """Give back every hold on these very units (a 盘亏 found them missing).

    Returns (holding document, serial id, quantity given back); the documents keep their
    other holds, and must name other units to go out.
    """
    return uow.balances.release_serials(serial_ids)


def _short_since(
    uow: UnitOfWork,
    moves: Sequence[Move],
    needed: Sequence[Demand],
    balances: Mapping[BalanceKey, Balance],
    business_date: date,
    items_moved_later: set[int] | None = None,
) -> list[ErrorItem]:
    """Back-dated moves that no later day's stock allows.

    Stock received on the 26th cannot have left on the 5th: the 库存状况表 of the 10th
    would show it negative (invariant 3 holds on every day, not only today); nor can a
    serial that moved on the 24th have moved on the 21st. A posting dated today is
    checked too: the ledger may hold a later day all the same (a process whose
    JXC_TIMEZONE is further east, or an older release that allowed tomorrow).

    ``items_moved_later``: the items known to have moved after ``business_date`` (None:
    not known, look); only their later days are read.
    """
    serials = {m.serial_id: m for m in moves if m.serial_id is not None}
    moved_later = uow.ledger.serials_moved_after(serials.keys(), business_date)
    short = [
        ErrorItem(
            f"/lines/{serials[serial].line_no}",
            "serial.moved_later",
            {
                "line": serials[serial].line_no,
                "item": serials[serial].item_code,
                "serial": number,
                "date": day.isoformat(),
                "business_date": business_date.isoformat(),
            },
        )
        for serial, (number, day) in sorted(moved_later.items())
    ]
    guarded = [
        d
        for d in needed
        if d.location.guards_availability
        and (items_moved_later is None or d.key.item_id in items_moved_later)
    ]
    later = uow.ledger.days_after([d.key for d in guarded], business_date)
    for demand in guarded:
        if demand.key not in later:
            continue
        balance = balances.get(demand.key)
        lowest, day = lowest_since(balance.on_hand if balance else ZERO, later[demand.key])
        if lowest < demand.quantity:
            short.append(short_since(demand, business_date, lowest, day))
    return short


def _available(balances: Mapping[BalanceKey, Balance], key: BalanceKey) -> Decimal:
    balance = balances.get(key)
    return balance.available if balance else ZERO
