"""Stocktake (盘点): plan, freeze, count blind, recount, approve into 盘盈 / 盘亏.

A stocktake is planned for a warehouse and a scope (locations, a category, a cycle-count
rule). Starting it freezes the book quantity (账面数量) of every balance in scope.
Counters scan what they find; work goes on during the count, so each count also records
the book quantity at the moment it was taken, and the difference posted is
``counted − (book at freeze + what moved since)``. Handing the count in sends every line
whose difference is over the plan's tolerance for a recount by someone else; approving
posts the differences, valued at the current cost.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from jxc.domain.errors import Conflict, Invalid
from jxc.domain.items import Item, TrackingMode
from jxc.domain.quantities import normalized
from jxc.domain.stock import expired

ABC_SHARES = {"A": Decimal("0.8"), "B": Decimal("0.95")}  # cumulative value share; C: the rest


class StocktakeState(StrEnum):
    PLANNED = "planned"  # 已计划: scope chosen, nothing frozen yet
    COUNTING = "counting"  # 盘点中: book frozen, counters scanning
    REVIEWING = "reviewing"  # 复盘: handed in, recounts of lines over tolerance
    # 一级已审: a 盘亏 worth more than issues may lose on one approval waits for a second
    FIRST_APPROVED = "first_approved"
    APPROVED = "approved"  # 已审核: 盘盈 / 盘亏 posted
    CANCELLED = "cancelled"  # 已作废


# Counted, or awaiting the decision on what was counted: the shelves are taken meanwhile.
ACTIVE_STATES = (StocktakeState.COUNTING, StocktakeState.REVIEWING, StocktakeState.FIRST_APPROVED)


class CountMode(StrEnum):
    ADD = "add"  # a scan adds what it read (a scanner's double read is one request)
    SET = "set"  # a typed total replaces what was counted


@dataclass(frozen=True)
class Scope:
    """What a stocktake counts: every item in the warehouse unless narrowed."""

    locations: tuple[str, ...] = ()  # location codes, each with the locations below it
    category: str | None = None
    abc_class: str | None = None  # cycle count: A, B or C by stock value
    not_counted_days: int | None = None  # cycle count: items not counted in N days
    # Resolved when it starts: counting is refused outside them (None: every item).
    location_ids: frozenset[int] = frozenset()
    item_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class StocktakeHeader:
    id: int
    number: str
    warehouse_id: int
    state: StocktakeState
    blind: bool
    tolerance_percent: Decimal
    scope: Scope
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    gain_document_id: int | None = None
    loss_document_id: int | None = None


@dataclass(frozen=True)
class CountLine:
    """One (item, location, batch) of a stocktake with its counts."""

    id: int
    item_id: int
    location_id: int
    batch_id: int
    book_quantity: Decimal | None  # at the freeze (None: kept from a blind counter)
    counted: Decimal | None = None
    counted_by: str | None = None
    book_at_count: Decimal | None = None  # book when counted: the freeze plus the moves since
    needs_recount: bool = False
    recounted: Decimal | None = None
    recounted_by: str | None = None
    book_at_recount: Decimal | None = None
    counted_at: datetime | None = None
    recounted_at: datetime | None = None

    @property
    def awaits_recount(self) -> bool:
        """Sent for a recount that nobody has taken yet."""
        return self.needs_recount and self.recounted is None

    @property
    def final(self) -> tuple[Decimal, Decimal] | None:
        """(counted, book then) that approval posts, or None while it still waits."""
        if self.needs_recount:
            if self.recounted is None or self.book_at_recount is None:
                return None
            return self.recounted, self.book_at_recount
        if self.counted is None or self.book_at_count is None:
            return None
        return self.counted, self.book_at_count

    @property
    def difference(self) -> Decimal | None:
        final = self.final
        return None if final is None else final[0] - final[1]

    @property
    def final_pass(self) -> tuple[bool, datetime | None]:
        """Which count approval takes (True: the recount), and when it was last taken."""
        if self.needs_recount:
            return True, self.recounted_at
        return False, self.counted_at


@dataclass(frozen=True)
class CountedSerial:
    line_id: int
    item_id: int
    recount: bool  # counted on the recount (复盘), not on the first count
    serial_no: str
    location_id: int
    counted_at: datetime


@dataclass(frozen=True)
class Difference:
    """What approval posts for one line: goods found (盘盈) and goods missing (盘亏)."""

    found: Decimal = Decimal(0)
    missing: Decimal = Decimal(0)
    found_serials: tuple[str, ...] = ()
    missing_serials: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.found or self.missing)


@dataclass(frozen=True)
class Notice:
    """What the approver should know of a line before approving: a warning, not a refusal."""

    code: str
    params: Mapping[str, str]


def expired_batch_notice(
    batch: str | None, expiry: date | None, counted: Decimal | None, today: date
) -> Notice | None:
    """Goods of an expired batch found on the shelf: to set aside, not to sell."""
    if batch is None or expiry is None or not counted or not expired(expiry, today):
        return None
    return Notice("stocktake.found_batch_expired", {"batch": batch, "expiry": expiry.isoformat()})


def quantity_difference(line: CountLine) -> Difference:
    difference = line.difference or Decimal(0)
    return Difference(found=max(difference, Decimal(0)), missing=max(-difference, Decimal(0)))


def serial_difference(
    counted: Collection[str], booked: Collection[str], moved_since_count: Collection[str]
) -> Difference:
    """A serial-tracked line's difference, unit by unit.

    Found: serials counted that the books do not place here; missing: serials the books
    place here that nobody counted. Two units swapped are one found and one missing,
    though the quantities agree. A serial a document moved after the count is that
    document's business: the count saw the shelf before it.
    """
    found = sorted(set(counted) - set(booked) - set(moved_since_count))
    missing = sorted(set(booked) - set(counted) - set(moved_since_count))
    return Difference(Decimal(len(found)), Decimal(len(missing)), tuple(found), tuple(missing))


def check_serials_counted(item: Item, quantity: Decimal, serials: Sequence[str]) -> None:
    """A serial-tracked item is counted unit by unit: one serial for each unit found.

    Raises:
        Invalid: serial.not_tracked, stocktake.serials_needed, serial.count_mismatch,
            serial.duplicated.
    """
    if item.tracking is not TrackingMode.SERIAL:
        if serials:
            raise Invalid("serial.not_tracked", {"item": item.code})
        return
    if quantity and not serials:
        raise Invalid("stocktake.serials_needed", {"item": item.code})
    if quantity != len(serials):
        raise Invalid(
            "serial.count_mismatch",
            {"item": item.code, "expected": str(normalized(quantity)), "given": len(serials)},
        )
    twice = sorted({serial for serial in serials if serials.count(serial) > 1})
    if twice:
        raise Invalid("serial.duplicated", {"serials": ", ".join(twice)})


def check_state(header: StocktakeHeader, *allowed: StocktakeState) -> None:
    if header.state not in allowed:
        raise Conflict(
            "stocktake.wrong_state",
            {
                "number": header.number,
                "state": header.state.value,
                "states": [state.value for state in allowed],
            },
        )


def counted_base(item: Item, quantity: Decimal, unit: str | None) -> Decimal:
    """A count in the base unit: nothing found (0) is a count, a negative one is not.

    Raises:
        Invalid: stocktake.count_negative, and what converting the unit raises.
    """
    if not quantity.is_finite() or quantity < 0:
        raise Invalid("stocktake.count_negative", {"quantity": str(quantity), "item": item.code})
    if quantity == 0:
        item.unit_named(unit)  # an unknown unit is refused even for nothing
        return Decimal(0)
    return item.to_base(quantity, unit)


def over_tolerance(book: Decimal, counted: Decimal, percent: Decimal) -> bool:
    """Whether a count differs from the book by more than ``percent`` of it.

    Any difference on a line the book says is empty is over: there is nothing to be a
    percentage of, and finding goods where none should be is worth a second look.
    """
    difference = abs(counted - book)
    if difference == 0:
        return False
    if book <= 0:
        return True
    return difference * 100 > book * percent


def after_count(previous: Decimal | None, mode: CountMode, quantity: Decimal) -> Decimal:
    """A line's count (or recount) after one more count of ``quantity``."""
    if mode is CountMode.ADD and previous is not None:
        return previous + quantity
    return quantity


def check_recounter(line: CountLine, actor: str) -> None:
    """A recount is someone else's: the first counter would find what they found before."""
    if line.counted_by == actor:
        raise Conflict("stocktake.same_counter", {"user": actor})


def check_no_overlap(
    number: str,
    location_ids: set[int],
    item_ids: set[int] | None,
    active: Iterable[StocktakeHeader],
) -> None:
    """One shelf is counted by one stocktake at a time.

    Two approving the same difference would post it twice.
    """
    for other in active:
        shared = location_ids & other.scope.location_ids
        items_meet = (
            item_ids is None or other.scope.item_ids is None or item_ids & other.scope.item_ids
        )
        if shared and items_meet:
            raise Conflict("stocktake.overlaps", {"number": number, "other": other.number})


def check_ready(header: StocktakeHeader, waiting: Iterable[str], for_recount: bool = False) -> None:
    """Refuse what lines still wait for, naming each one.

    Handing in waits for every count; approval waits for every recount (复盘).
    """
    missing = list(waiting)
    if missing:
        shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
        raise Conflict(
            "stocktake.lines_awaiting_recount" if for_recount else "stocktake.lines_not_counted",
            {"number": header.number, "count": len(missing), "lines": shown},
        )


def abc_classes(values: Mapping[int, Decimal]) -> dict[int, str]:
    """ABC classes by stock value: A holds the first 80 % of the value, B the next 15 %.

    Items are ranked by value, the largest first; an item is in the class its running
    total reaches *before* it is added, so the most valuable item is always A.
    """
    total = sum(values.values(), Decimal(0))
    classes: dict[int, str] = {}
    running = Decimal(0)
    for item_id, value in sorted(values.items(), key=lambda pair: (-pair[1], pair[0])):
        share = running / total if total > 0 else Decimal(1)
        classes[item_id] = next((name for name, limit in ABC_SHARES.items() if share < limit), "C")
        running += value
    return classes
