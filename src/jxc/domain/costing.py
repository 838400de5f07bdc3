"""Moving weighted average (移动加权平均) valuation per item and warehouse.

Each ledger entry carries its value, so the value of stock at any date is a sum of
entries. Issues take value from the pool at its current average (the last unit out
takes exactly what is left, so a pool never keeps value without quantity); moves with
a fixed value (a transfer's receiving leg, a reversal) carry it unchanged, which is
why a reversal restores value exactly.

A move with a fixed value that empties its pool while value remains (a reversal of a
receipt whose units were partly issued at the average) settles that rest the same way,
by a zero-quantity cost adjustment to the variance location.

Where negative stock is allowed, units issued into the negative went out at the last
average, a guess. When stock comes in and fills that hole, the difference between the
guess and the incoming cost for the filled units is settled at once by a cost
adjustment (成本调整): a zero-quantity entry that moves the difference from the pool to
the variance location (库存损益), so a pool back at zero holds no value and stock value
stays a sum of entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import NamedTuple

from jxc.domain.ledger import Move, PoolKey, ValuedMove, pool_key
from jxc.domain.locations import Location
from jxc.domain.quantities import ZERO, round_money, round_unit_cost


class CostPool(NamedTuple):
    """A tuple: posting reads, compares and replaces one per line."""

    quantity: Decimal = ZERO
    value: Decimal = ZERO
    unit_cost: Decimal = ZERO

    def issue_value(self, quantity: Decimal) -> Decimal:
        if self.quantity > 0 and quantity == self.quantity:
            return self.value
        if self.quantity > 0 and quantity < self.quantity:
            return round_money(self.value * quantity / self.quantity)
        # Negative stock allowed: what the pool holds, and the rest at the last average.
        held = max(self.quantity, ZERO)
        return (self.value if held > 0 else ZERO) + round_money((quantity - held) * self.unit_cost)

    def moved(self, quantity: Decimal, value: Decimal) -> CostPool:
        new_quantity, new_value = self.quantity + quantity, self.value + value
        if new_quantity > 0:
            unit_cost = round_unit_cost(new_value / new_quantity)
        elif quantity > 0:  # still at or below zero: the latest cost is the best guess
            unit_cost = round_unit_cost(value / quantity)
        else:
            unit_cost = self.unit_cost
        return CostPool(new_quantity, new_value, unit_cost)


def hole_variance(pool: CostPool, quantity: Decimal, value: Decimal) -> Decimal:
    """What the filled part of a negative pool's hole was under- (>0) or over-costed by."""
    if pool.quantity >= 0 or quantity <= 0:  # no hole, or an adjustment being reversed
        return ZERO
    filled = min(quantity, -pool.quantity)
    incoming = value if filled == quantity else round_money(value * filled / quantity)
    issued = (
        -pool.value
        if filled == -pool.quantity
        else round_money(pool.value * filled / pool.quantity)
    )
    return incoming - issued


def value_moves(
    moves: Iterable[Move], pools: Mapping[PoolKey, CostPool], variance_location: Location
) -> tuple[list[ValuedMove], dict[PoolKey, CostPool]]:
    """Value each move in order and return the pools as they stand after all of them.

    A move that fills a negative pool is followed by its cost adjustment, if any.
    """
    current = dict(pools)
    valued: list[ValuedMove] = []
    for move in moves:
        source = pool_key(move.item_id, move.from_location)
        target = pool_key(move.item_id, move.to_location)
        if move.value is not None:
            value = move.value
        elif source is not None:
            value = current.get(source, CostPool()).issue_value(move.quantity)
        elif move.unit_cost is not None:
            value = round_money(move.quantity * move.unit_cost)
        else:
            value = (
                round_money(move.quantity * current.get(target, CostPool()).unit_cost)
                if target
                else ZERO
            )
        unit_cost = round_unit_cost(value / move.quantity) if move.quantity else ZERO
        valued.append(ValuedMove(move, value, unit_cost))
        if source is not None:
            left = current.get(source, CostPool()).moved(-move.quantity, -value)
            current[source] = left
            if move.value is not None and left.quantity == 0 and left.value:
                # A fixed value (a reversal, a transfer's arrival) emptied the pool but left
                # value behind: that rest is settled at once, so no pool keeps value
                # without quantity.
                adjustment = move._replace(
                    to_location=variance_location,
                    quantity=ZERO,
                    serial_id=None,
                    unit_cost=None,
                    value=left.value,
                )
                current[source] = left.moved(ZERO, -left.value)
                valued.append(ValuedMove(adjustment, left.value, ZERO))
        if target is not None:
            before = current.get(target, CostPool())
            current[target] = before.moved(move.quantity, value)
            variance = hole_variance(before, move.quantity, value)
            if variance:
                adjustment = move._replace(
                    from_location=move.to_location,
                    to_location=variance_location,
                    quantity=ZERO,
                    serial_id=None,
                    unit_cost=None,
                    value=variance,
                )
                current[target] = current[target].moved(ZERO, -variance)
                valued.append(ValuedMove(adjustment, variance, ZERO))
    return valued, current
