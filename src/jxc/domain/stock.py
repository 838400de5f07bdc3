"""Availability and picking: on hand − reserved ≥ 0 at guarded locations, FEFO picking.

``shortages`` is the domain's check of invariant 3 before anything is written; the
guarded UPDATE in ``db.repositories.balances`` is the last line of defence when another
transaction got there first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from jxc.domain.errors import DomainError, ErrorItem
from jxc.domain.locations import Location
from jxc.domain.quantities import ZERO, normalized


class BalanceKey(NamedTuple):
    """Lock order and identity of a cached balance: (item, location, batch).

    A tuple, so hashing and ordering (every posting sorts and looks up its keys) run in C.
    """

    item_id: int
    location_id: int
    batch_id: int  # 0 when the item is not batch-tracked


class Stocked:
    """Anything with on hand and reserved: available is what may still be taken."""

    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class Balance(Stocked):
    on_hand: Decimal
    reserved: Decimal


class StockSlot(NamedTuple):
    """Stock that an issue may take: one location and batch, with what is available there.

    A tuple: an issue reads one per batch and location of every item it takes.
    """

    location: Location
    batch_id: int
    batch_no: str | None
    expiry_date: date | None
    available: Decimal

    @property
    def held_back(self) -> bool:
        """Awaiting QC (待检): taken only from where a line names its location."""
        return self.location.held_back

    def expired_on(self, day: date) -> bool:
        """Past its expiry on ``day``: not for sale, taken only where a line names its batch."""
        return expired(self.expiry_date, day)


def expired(expiry: date | None, day: date) -> bool:
    """Whether goods expiring on ``expiry`` are past it on ``day`` (the day itself is good)."""
    return expiry is not None and expiry < day


def fefo_order(slots: Iterable[StockSlot]) -> list[StockSlot]:
    """First-expiry-first-out: earliest expiry first, undated batches last, then oldest batch."""
    return sorted(
        slots,
        key=lambda s: (
            s.expiry_date is None,
            s.expiry_date or date.max,
            s.batch_id,
            s.location.code,
        ),
    )


def unexpired(slots: Iterable[StockSlot], day: date) -> tuple[list[StockSlot], Decimal]:
    """The slots FEFO may take from on ``day``, and how much of expired batches it leaves.

    Goods past their expiry are never picked for a line that names no batch: a 报废 or a
    return of them names the batch it takes.
    """
    usable, expired = [], ZERO
    for slot in slots:
        if slot.expired_on(day):
            expired += max(slot.available, ZERO)
        else:
            usable.append(slot)
    return usable, expired


def allocate(
    quantity: Decimal, slots: Sequence[StockSlot]
) -> tuple[list[tuple[StockSlot, Decimal]], Decimal]:
    """Take ``quantity`` from ``slots`` in FEFO order; return the picks and what is missing."""
    picks: list[tuple[StockSlot, Decimal]] = []
    remaining = quantity
    for slot in fefo_order(slots):
        if remaining <= 0:
            break
        take = min(slot.available, remaining)
        if take > 0:
            picks.append((slot, take))
            remaining -= take
    return picks, remaining


def allocate_held_back_first(
    quantity: Decimal, slots: Sequence[StockSlot]
) -> tuple[list[tuple[StockSlot, Decimal]], Decimal]:
    """A purchase return's take: goods awaiting QC (待检) first, then the shelves, by FEFO.

    What goes back to a supplier is mostly what inspection rejected; good stock on the
    shelves leaves only for what 待检 does not hold.
    """
    picks, missing = allocate(quantity, [slot for slot in slots if slot.held_back])
    more, missing = allocate(missing, [slot for slot in slots if not slot.held_back])
    return picks + more, missing


def given_in_turn(quantity: Decimal, held: Sequence[Decimal]) -> list[Decimal]:
    """What each of ``held`` gives back, in turn, until ``quantity`` is given."""
    given: list[Decimal] = []
    left = quantity
    for amount in held:
        taken = min(amount, max(left, ZERO))
        given.append(taken)
        left -= taken
    return given


def holds_in_the_way(taken: Decimal, balance: Balance) -> Decimal:
    """How much of what documents hold must be given back for ``taken`` to leave.

    A 盘亏 is the shelf's fact, not a request: stock promised to orders that is no longer
    there cannot stay promised. Never more than is held.
    """
    return min(max(taken - balance.available, ZERO), balance.reserved)


class Demand(NamedTuple):
    """What a posting takes from one balance, and which lines ask for it."""

    key: BalanceKey
    quantity: Decimal
    line_numbers: tuple[int, ...]
    item_code: str
    location: Location
    batch_no: str | None


def shortage_item(demand: Demand, available: Decimal) -> ErrorItem:
    """One short balance, naming every line that takes from it."""
    return ErrorItem(
        f"/lines/{demand.line_numbers[0]}",
        "stock.line_short",
        {
            "lines": ", ".join(str(n) for n in demand.line_numbers),
            "item": demand.item_code,
            "location": demand.location.label,
            "batch": f"/{demand.batch_no}" if demand.batch_no else "",
            "requested": str(normalized(demand.quantity)),
            "available": str(normalized(max(available, ZERO))),
        },
    )


def shortages(demands: Iterable[Demand], balances: Mapping[BalanceKey, Balance]) -> list[ErrorItem]:
    """Every demand that would take available stock below zero at a guarded location."""
    short: list[ErrorItem] = []
    for demand in demands:
        if not demand.location.guards_availability:
            continue
        available = balances.get(demand.key, Balance(ZERO, ZERO)).available
        if available < demand.quantity:
            short.append(shortage_item(demand, available))
    return short


def lowest_since(
    on_hand: Decimal, later_days: Sequence[tuple[date, Decimal]]
) -> tuple[Decimal, date | None]:
    """The lowest end-of-day on hand from a business date on, and the day it falls on.

    ``on_hand`` is today's; ``later_days`` is the net movement of each day after the
    business date, oldest first. Walking back from today undoes one day at a time: what
    is left is the stock at the end of the day before. None for the business date itself.
    """
    lowest, lowest_day = on_hand, later_days[-1][0] if later_days else None
    running = on_hand
    for index in range(len(later_days) - 1, -1, -1):
        running -= later_days[index][1]
        if running < lowest:
            lowest, lowest_day = running, later_days[index - 1][0] if index else None
    return lowest, lowest_day


def short_since(
    demand: Demand, business_date: date, lowest: Decimal, day: date | None
) -> ErrorItem:
    """A back-dated demand the stock of a later day could not have met."""
    short = shortage_item(demand, lowest)
    return ErrorItem(
        short.pointer,
        "stock.line_short_since",
        {
            **short.params,
            "date": (day or business_date).isoformat(),
            "business_date": business_date.isoformat(),
        },
    )


@dataclass(frozen=True)
class RefusedLine:
    """One short line of a refused posting or reservation (拒绝超卖), kept for the alerts."""

    lines: str  # the document lines that asked for it ("2, 5")
    item: str
    location: str
    requested: Decimal
    available: Decimal


@dataclass(frozen=True)
class Refusal:
    """Who was refused stock for which document, in which warehouse, and for what."""

    actor: str
    document: str
    document_type: str
    warehouse_id: int
    lines: tuple[RefusedLine, ...]


def refused_lines(error: DomainError) -> list[RefusedLine]:
    """The short lines an error names (``stock.line_short``); none if it names no shortage."""
    return [
        RefusedLine(
            str(item.params["lines"]),
            str(item.params["item"]),
            str(item.params["location"]),
            Decimal(str(item.params["requested"])),
            Decimal(str(item.params["available"])),
        )
        for item in error.items
        if item.code == "stock.line_short"
    ]
