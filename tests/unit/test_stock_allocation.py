"""Picking: first-expiry-first-out over batches and locations, and availability guards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jxc.domain.locations import Location, LocationKind
from jxc.domain.stock import (
    Balance,
    StockSlot,
    allocate,
    fefo_order,
    given_in_turn,
    holds_in_the_way,
    lowest_since,
    unexpired,
)

STOCK = Location(10, "STOCK", "库存", LocationKind.INTERNAL, 1)
SHELF_A = Location(11, "A-01", "货架 A", LocationKind.INTERNAL, 1)
SHELF_B = Location(12, "B-01", "货架 B", LocationKind.INTERNAL, 1)


def slot(batch_no, expiry, available, batch_id=None, location=STOCK):
    return StockSlot(
        location=location,
        batch_id=batch_id if batch_id is not None else int(batch_no[-1]),
        batch_no=batch_no,
        expiry_date=expiry,
        available=Decimal(available),
    )


MILK_MARCH = slot("MILK-B1", date(2026, 3, 31), "10")
MILK_JANUARY = slot("MILK-B2", date(2026, 1, 31), "4")
MILK_FEBRUARY = slot("MILK-B3", date(2026, 2, 28), "6")


def test_the_batch_expiring_first_is_picked_first():
    ordered = fefo_order([MILK_MARCH, MILK_JANUARY, MILK_FEBRUARY])

    assert [s.batch_no for s in ordered] == ["MILK-B2", "MILK-B3", "MILK-B1"]


def test_batches_without_an_expiry_date_come_last():
    undated = slot("MILK-B0", None, "50", batch_id=0)

    ordered = fefo_order([undated, MILK_MARCH])

    assert [s.batch_no for s in ordered] == ["MILK-B1", "MILK-B0"]


def test_same_expiry_goes_to_the_older_batch_then_the_location_code():
    day = date(2026, 5, 1)
    newer = slot("X-9", day, "1", batch_id=9)
    older_on_b = slot("X-2", day, "1", batch_id=2, location=SHELF_B)
    older_on_a = slot("X-2", day, "1", batch_id=2, location=SHELF_A)

    ordered = fefo_order([newer, older_on_b, older_on_a])

    assert [(s.batch_id, s.location.code) for s in ordered] == [
        (2, "A-01"),
        (2, "B-01"),
        (9, "STOCK"),
    ]


def test_a_line_is_split_across_batches_in_expiry_order():
    picks, missing = allocate(Decimal(7), [MILK_MARCH, MILK_JANUARY, MILK_FEBRUARY])

    assert [(s.batch_no, q) for s, q in picks] == [("MILK-B2", Decimal(4)), ("MILK-B3", Decimal(3))]
    assert missing == 0


def test_an_exact_fit_takes_everything_and_misses_nothing():
    picks, missing = allocate(Decimal(20), [MILK_MARCH, MILK_JANUARY, MILK_FEBRUARY])

    assert sum(q for _, q in picks) == Decimal(20)
    assert len(picks) == 3
    assert missing == 0


def test_what_cannot_be_picked_is_reported_missing():
    picks, missing = allocate(Decimal(25), [MILK_JANUARY, MILK_FEBRUARY])

    assert [q for _, q in picks] == [Decimal(4), Decimal(6)]
    assert missing == Decimal(15)


def test_slots_with_nothing_available_are_skipped():
    empty = slot("MILK-B4", date(2025, 12, 1), "0")

    picks, _ = allocate(Decimal(2), [empty, MILK_FEBRUARY])

    assert [s.batch_no for s, _ in picks] == ["MILK-B3"]


def test_nothing_to_pick_from_means_everything_is_missing():
    assert allocate(Decimal("1.5"), []) == ([], Decimal("1.5"))


def test_available_is_on_hand_less_reserved():
    assert Balance(Decimal(10), Decimal(3)).available == Decimal(7)


def test_internal_and_transit_locations_guard_availability_unless_negative_is_allowed():
    loose = Location(40, "STOCK", "库存", LocationKind.INTERNAL, 4, allow_negative_stock=True)
    transit = Location(41, "TRANSIT", "在途", LocationKind.TRANSIT, 4, allow_negative_stock=True)
    customer = Location(2, "CUSTOMER", "CUSTOMER", LocationKind.CUSTOMER, None)

    assert STOCK.guards_availability
    assert not loose.guards_availability
    assert transit.guards_availability
    assert not customer.guards_availability


def test_only_internal_and_transit_stock_is_ours():
    owned = {kind for kind in LocationKind if kind.is_owned}

    assert owned == {LocationKind.INTERNAL, LocationKind.TRANSIT}


def test_holds_give_back_in_turn_until_the_quantity_is_given():
    held = [Decimal(3), Decimal(5), Decimal(2)]
    assert given_in_turn(Decimal(6), held) == [Decimal(3), Decimal(3), Decimal(0)]
    assert given_in_turn(Decimal(10), held) == held
    assert given_in_turn(Decimal(12), held) == held  # never more than is held
    assert given_in_turn(Decimal(0), held) == [Decimal(0)] * 3


def test_a_loss_takes_back_only_the_held_stock_it_cannot_take_from_the_free():
    shelf = Balance(on_hand=Decimal(10), reserved=Decimal(9))  # 1 free
    assert holds_in_the_way(Decimal(4), shelf) == 3
    assert holds_in_the_way(Decimal("0.5"), shelf) == 0
    assert holds_in_the_way(Decimal(12), shelf) == 9  # the rest is short stock, not a hold
    assert holds_in_the_way(Decimal(4), Balance(Decimal(10), Decimal(0))) == 0


def test_the_lowest_later_stock_is_found_walking_back_from_today():
    later = [(date(2026, 11, 20), Decimal(-8)), (date(2026, 11, 25), Decimal(10))]

    assert lowest_since(Decimal(12), later) == (Decimal(2), date(2026, 11, 20))
    assert lowest_since(Decimal(12), []) == (Decimal(12), None)
    # The business date's own end of day is the lowest: no later day named.
    assert lowest_since(Decimal(5), [(date(2026, 11, 20), Decimal(3))]) == (Decimal(2), None)


def test_batches_past_their_expiry_are_left_to_a_line_that_names_them():
    usable, expired = unexpired([MILK_MARCH, MILK_JANUARY, MILK_FEBRUARY], date(2026, 2, 28))

    assert [s.batch_no for s in usable] == ["MILK-B1", "MILK-B3"]  # February's: its last day
    assert expired == Decimal(4)
    assert unexpired([slot("N-1", None, "5")], date(2099, 1, 1)) == ([slot("N-1", None, "5")], 0)
