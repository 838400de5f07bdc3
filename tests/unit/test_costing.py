"""Moving weighted average (移动加权平均): issues take value in proportion, fixed values carry."""

from __future__ import annotations

from decimal import Decimal

from jxc.domain.costing import CostPool, value_moves
from jxc.domain.ledger import Move
from jxc.domain.locations import Location, LocationKind

SUPPLIER = Location(1, "SUPPLIER", "SUPPLIER", LocationKind.SUPPLIER, None)
CUSTOMER = Location(2, "CUSTOMER", "CUSTOMER", LocationKind.CUSTOMER, None)
VARIANCE = Location(3, "INVENTORY-LOSS", "库存损益", LocationKind.INVENTORY_LOSS, None)
WH1_STOCK = Location(10, "STOCK", "库存", LocationKind.INTERNAL, 1)
WH2_TRANSIT = Location(21, "TRANSIT", "在途", LocationKind.TRANSIT, 2)
WH2_STOCK = Location(20, "STOCK", "库存", LocationKind.INTERNAL, 2)
SCREW = 7
WH1_POOL = (SCREW, 1, False)


def move(source, target, quantity, unit_cost=None, value=None, line_no=1):
    return Move(
        line_id=line_no,
        line_no=line_no,
        item_id=SCREW,
        item_code="螺丝-M3",
        from_location=source,
        to_location=target,
        quantity=Decimal(quantity),
        unit_cost=None if unit_cost is None else Decimal(unit_cost),
        value=None if value is None else Decimal(value),
    )


def pool(quantity, value, unit_cost="0"):
    return CostPool(Decimal(quantity), Decimal(value), Decimal(unit_cost))


# one pool ------------------------------------------------------------------------------


def test_an_issue_takes_value_in_proportion_rounded_to_cents():
    assert pool("7", "80.00").issue_value(Decimal(2)) == Decimal("22.86")


def test_the_last_units_out_take_all_the_remaining_value():
    # 3 units worth 10.00: 3.33 each would leave a cent behind; the last ones take it.
    thirds = pool("3", "10.00", "3.333333")

    assert thirds.issue_value(Decimal(1)) == Decimal("3.33")
    assert thirds.issue_value(Decimal(3)) == Decimal("10.00")


def test_issuing_a_pool_in_pieces_takes_exactly_its_value():
    current, taken = pool("3", "10.00", "3.333333"), Decimal(0)
    for quantity in (1, 1, 1):
        value = current.issue_value(Decimal(quantity))
        taken += value
        current = current.moved(-Decimal(quantity), -value)

    assert taken == Decimal("10.00")
    assert (current.quantity, current.value) == (0, 0)


def test_issuing_past_zero_takes_the_pool_and_the_rest_at_the_last_average():
    assert pool("2", "8.00", "4").issue_value(Decimal(5)) == Decimal("20.00")
    assert pool("0", "0", "4").issue_value(Decimal(2)) == Decimal("8.00")


def test_a_move_into_a_pool_recomputes_the_average_to_six_decimals():
    moved = pool("3", "30.00", "10").moved(Decimal(4), Decimal("50.00"))

    assert moved == CostPool(Decimal(7), Decimal("80.00"), Decimal("11.428571"))


def test_an_emptied_pool_keeps_its_last_average():
    emptied = pool("7", "80.00", "11.428571").moved(Decimal(-7), Decimal("-80.00"))

    assert emptied == CostPool(Decimal(0), Decimal(0), Decimal("11.428571"))


# a sequence of moves ---------------------------------------------------------------------


def test_two_receipts_at_different_costs_then_a_partial_issue():
    moves = [
        move(SUPPLIER, WH1_STOCK, "10", unit_cost="3.00", line_no=1),
        move(SUPPLIER, WH1_STOCK, "20", unit_cost="4.50", line_no=2),
        move(WH1_STOCK, CUSTOMER, "7", line_no=3),
    ]

    valued, pools = value_moves(moves, {}, VARIANCE)

    assert [v.value for v in valued] == [Decimal("30.00"), Decimal("90.00"), Decimal("28.00")]
    assert [v.unit_cost for v in valued] == [Decimal("3"), Decimal("4.5"), Decimal(4)]
    assert pools[WH1_POOL] == CostPool(Decimal(23), Decimal("92.00"), Decimal(4))


def test_a_receipt_cost_is_rounded_to_cents_per_line():
    valued, _ = value_moves([move(SUPPLIER, WH1_STOCK, "3", unit_cost="0.333333")], {}, VARIANCE)

    assert valued[0].value == Decimal("1.00")
    assert valued[0].unit_cost == Decimal("0.333333")


def test_a_receipt_without_a_cost_comes_in_at_the_current_average():
    before = {WH1_POOL: pool("4", "10.00", "2.5")}

    valued, pools = value_moves([move(SUPPLIER, WH1_STOCK, "2")], before, VARIANCE)

    assert valued[0].value == Decimal("5.00")
    assert pools[WH1_POOL] == CostPool(Decimal(6), Decimal("15.00"), Decimal("2.5"))


def test_a_fixed_value_is_carried_unchanged_whatever_the_average():
    before = {WH1_POOL: pool("10", "40.00", "4")}

    valued, pools = value_moves([move(WH1_STOCK, CUSTOMER, "5", value="35.00")], before, VARIANCE)

    assert valued[0].value == Decimal("35.00")
    assert valued[0].unit_cost == Decimal(7)
    assert pools[WH1_POOL] == CostPool(Decimal(5), Decimal("5.00"), Decimal(1))


def test_stock_in_transit_is_valued_in_its_own_pool():
    before = {WH1_POOL: pool("10", "45.00", "4.5")}

    valued, pools = value_moves(
        [
            move(WH1_STOCK, WH2_TRANSIT, "4", line_no=1),
            move(WH2_TRANSIT, WH2_STOCK, "4", value="18.00", line_no=1),
        ],
        before,
        VARIANCE,
    )

    assert [v.value for v in valued] == [Decimal("18.00"), Decimal("18.00")]
    assert pools[WH1_POOL] == CostPool(Decimal(6), Decimal("27.00"), Decimal("4.5"))
    assert pools[(SCREW, 2, True)] == CostPool(Decimal(0), Decimal(0), Decimal("4.5"))
    assert pools[(SCREW, 2, False)] == CostPool(Decimal(4), Decimal("18.00"), Decimal("4.5"))


def test_moves_between_virtual_locations_touch_no_pool():
    valued, pools = value_moves([move(SUPPLIER, CUSTOMER, "3", unit_cost="2")], {}, VARIANCE)

    assert valued[0].value == Decimal("6.00")
    assert pools == {}


def test_the_pools_given_are_not_changed_in_place():
    before = {WH1_POOL: pool("10", "40.00", "4")}

    value_moves([move(WH1_STOCK, CUSTOMER, "5")], before, VARIANCE)

    assert before == {WH1_POOL: pool("10", "40.00", "4")}


def test_a_fixed_value_that_empties_a_pool_settles_what_is_left_in_a_cost_adjustment():
    # Two phones came in at 0.75 and 0.00; one left at the average 0.38. Reversing the
    # free one takes its own 0.00 out: the 0.37 left with no phone goes to 库存损益.
    before = {WH1_POOL: pool("1", "0.37", "0.37")}

    valued, pools = value_moves([move(WH1_STOCK, SUPPLIER, "1", value="0.00")], before, VARIANCE)

    reversal, adjustment = valued
    assert reversal.value == Decimal("0.00")
    assert (adjustment.move.from_location, adjustment.move.to_location) == (WH1_STOCK, VARIANCE)
    assert (adjustment.move.quantity, adjustment.value) == (0, Decimal("0.37"))
    assert pools[WH1_POOL].quantity == 0
    assert pools[WH1_POOL].value == 0


def test_a_fixed_value_that_leaves_stock_behind_needs_no_adjustment():
    before = {WH1_POOL: pool("2", "0.75", "0.375")}

    valued, pools = value_moves([move(WH1_STOCK, SUPPLIER, "1", value="0.75")], before, VARIANCE)

    assert len(valued) == 1
    assert pools[WH1_POOL] == CostPool(Decimal(1), Decimal("0.00"), Decimal(0))


def test_filling_a_negative_pool_to_zero_settles_the_guess_in_a_cost_adjustment():
    # 5 went out at a guessed 2.00 each; they are replaced at 3.00: 5.00 under-costed.
    before = {WH1_POOL: pool("-5", "-10.00", "2")}

    valued, pools = value_moves(
        [move(SUPPLIER, WH1_STOCK, "5", unit_cost="3.00")], before, VARIANCE
    )

    receipt, adjustment = valued
    assert receipt.value == Decimal("15.00")
    assert (adjustment.move.from_location, adjustment.move.to_location) == (WH1_STOCK, VARIANCE)
    assert (adjustment.move.quantity, adjustment.value) == (0, Decimal("5.00"))
    assert pools[WH1_POOL] == CostPool(Decimal(0), Decimal(0), Decimal(3))


def test_overfilling_a_negative_pool_leaves_the_new_units_at_the_incoming_cost():
    before = {WH1_POOL: pool("-5", "-10.00", "2")}

    valued, pools = value_moves(
        [move(SUPPLIER, WH1_STOCK, "10", unit_cost="3.00")], before, VARIANCE
    )

    assert [v.value for v in valued] == [Decimal("30.00"), Decimal("5.00")]
    assert pools[WH1_POOL] == CostPool(Decimal(5), Decimal("15.00"), Decimal(3))


def test_partly_filling_a_negative_pool_keeps_the_rest_of_the_hole_at_its_cost():
    before = {WH1_POOL: pool("-10", "-20.00", "2")}

    valued, pools = value_moves(
        [move(SUPPLIER, WH1_STOCK, "4", unit_cost="1.50")], before, VARIANCE
    )

    # Over-costed by 4 × 0.50: the adjustment brings 2.00 back into the pool.
    assert [v.value for v in valued] == [Decimal("6.00"), Decimal("-2.00")]
    assert pools[WH1_POOL].quantity == -6
    assert pools[WH1_POOL].value == Decimal("-12.00")


def test_filling_a_hole_at_the_cost_it_went_out_needs_no_adjustment():
    before = {WH1_POOL: pool("-5", "-10.00", "2")}

    valued, pools = value_moves(
        [move(SUPPLIER, WH1_STOCK, "5", unit_cost="2.00")], before, VARIANCE
    )

    assert len(valued) == 1
    assert pools[WH1_POOL] == CostPool(Decimal(0), Decimal(0), Decimal(2))
