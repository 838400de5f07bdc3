"""Ledger moves and the posting plan: what a posting writes, as pure data.

A move takes a quantity of one item (and batch/serial) from one location to another;
posting turns valued moves into immutable ledger entries and balance deltas. A
reversal is the exact mirror of the entries it reverses: same quantities and values,
from and to swapped (invariant 4: posted is final, corrected only by 红冲).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from jxc.domain.locations import Location, LocationKind
from jxc.domain.stock import BalanceKey, Demand

PoolKey = tuple[int, int, bool]  # item, warehouse, in transit


def pool_key(item_id: int, location: Location) -> PoolKey | None:
    if not location.is_owned or location.warehouse_id is None:
        return None
    return (item_id, location.warehouse_id, location.kind is LocationKind.TRANSIT)


class Move(NamedTuple):
    """A tuple: posting makes one or more per line and reads them several times over."""

    line_id: int
    line_no: int
    item_id: int
    item_code: str
    from_location: Location
    to_location: Location
    quantity: Decimal
    batch_id: int = 0
    batch_no: str | None = None
    serial_id: int | None = None
    unit_cost: Decimal | None = None  # given cost of stock coming in from outside
    value: Decimal | None = None  # a fixed value (transit receipt, reversal)


class ValuedMove(NamedTuple):
    """A move with the value posting gives it (its own fixed value, if it has one)."""

    move: Move
    value: Decimal
    unit_cost: Decimal


class PostedEntry(NamedTuple):
    """A ledger entry as read back, enough to mirror it in a reversal or a transit receipt."""

    line_id: int
    item_id: int
    item_code: str
    from_location: Location
    to_location: Location
    quantity: Decimal
    value: Decimal
    batch_id: int
    batch_no: str | None
    serial_id: int | None


def mirror(entries: Sequence[PostedEntry], line_for: dict[int, tuple[int, int]]) -> list[Move]:
    """Reverse entries newest first, swapping from and to and keeping quantity and value.

    ``line_for`` maps each original line id to the (line id, line number) of the new document.
    """
    return [
        Move(
            line_id=line_for[e.line_id][0],
            line_no=line_for[e.line_id][1],
            item_id=e.item_id,
            item_code=e.item_code,
            from_location=e.to_location,
            to_location=e.from_location,
            quantity=e.quantity,
            batch_id=e.batch_id,
            batch_no=e.batch_no,
            serial_id=e.serial_id,
            value=e.value,
        )
        for e in reversed(entries)
    ]


def balance_key(move: Move, location: Location) -> BalanceKey:
    return BalanceKey(move.item_id, location.id, move.batch_id)


def balance_deltas(moves: Iterable[Move]) -> dict[BalanceKey, Decimal]:
    """Net change of every owned balance the moves touch."""
    deltas: dict[BalanceKey, Decimal] = defaultdict(Decimal)
    for move in moves:
        if move.from_location.is_owned:
            deltas[balance_key(move, move.from_location)] -= move.quantity
        if move.to_location.is_owned:
            deltas[balance_key(move, move.to_location)] += move.quantity
    return dict(deltas)


def holds(
    moves: Sequence[Move], outflow: Mapping[BalanceKey, Decimal]
) -> list[tuple[Move, Decimal]]:
    """What each move holds (预占) of what its balance loses net, ``outflow`` (positive).

    The moves out of a balance hold in order, together no more than it loses: one the
    document also gives back to holds less, one it only passes through (a 红冲 of a
    received transfer, through in transit) holds nothing.
    """
    left = dict(outflow)
    held = []
    for move in moves:
        key = balance_key(move, move.from_location)
        quantity = min(move.quantity, left.get(key, Decimal(0)))
        if quantity > 0:
            left[key] -= quantity
            held.append((move, quantity))
    return held


def demands(moves: Sequence[Move], net: Mapping[BalanceKey, Decimal] | None = None) -> list[Demand]:
    """What the moves take, net, out of each owned balance, with the lines that take it.

    ``net`` is ``balance_deltas(moves)`` where the caller has it already.
    """
    if net is None:
        net = balance_deltas(moves)
    lines: dict[BalanceKey, list[int]] = defaultdict(list)
    first: dict[BalanceKey, Move] = {}
    for move in moves:
        if move.from_location.is_owned:
            key = balance_key(move, move.from_location)
            first.setdefault(key, move)
            if move.line_no not in lines[key]:
                lines[key].append(move.line_no)
    return [
        Demand(key, -net[key], tuple(lines[key]), move.item_code, move.from_location, move.batch_no)
        for key, move in sorted(first.items())
        if net[key] < 0
    ]
