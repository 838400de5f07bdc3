"""Moving weighted average (移动加权平均) valuation per item and warehouse.

Each ledger entry carries its value, so the value of stock at any date is a sum of
entries. Issues take value from the pool at its current average (the last unit out
takes exactly what is left, so a pool never keeps value without quantity); moves with
a fixed value (a transfer's receiving leg, a reversal) carry it unchanged, which is
why a reversal restores value exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from jxc.domain.ledger import Move, PoolKey, ValuedMove, pool_key
from jxc.domain.quantities import ZERO, round_money, round_unit_cost


@dataclass(frozen=True)
class CostPool:
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
        unit_cost = (
            round_unit_cost(new_value / new_quantity) if new_quantity > 0 else self.unit_cost
        )
        return CostPool(new_quantity, new_value, unit_cost)


def value_moves(
    moves: Iterable[Move], pools: Mapping[PoolKey, CostPool]
) -> tuple[list[ValuedMove], dict[PoolKey, CostPool]]:
    """Value each move in order and return the pools as they stand after all of them."""
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
        if source is not None:
            current[source] = current.get(source, CostPool()).moved(-move.quantity, -value)
        if target is not None:
            current[target] = current.get(target, CostPool()).moved(move.quantity, value)
        valued.append(
            ValuedMove(replace(move, value=value), round_unit_cost(value / move.quantity))
        )
    return valued, current
