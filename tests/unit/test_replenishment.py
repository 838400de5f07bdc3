"""补货 rules: levels read upwards, suggestions fill to the maximum, surplus goes first."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.errors import Invalid
from jxc.domain.replenishment import (
    AlertKind,
    Levels,
    Source,
    check_levels,
    choose_sources,
    position,
    stock_alert,
    suggested_quantity,
    surplus,
)

D = Decimal
SCREWS = Levels(D(10), D(20), D(60))


def test_a_warehouse_above_its_reorder_point_needs_nothing():
    assert suggested_quantity(SCREWS, D(21)) == 0


def test_at_the_reorder_point_it_is_filled_up_to_the_maximum_counting_what_is_coming():
    projected = position(on_hand=D(15), reserved=D(5), on_order=D(10))
    assert projected == D(20)
    assert suggested_quantity(SCREWS, projected) == D(40)


def test_an_alert_is_below_safety_first_then_at_the_reorder_point():
    assert stock_alert(SCREWS, D(9)) is AlertKind.BELOW_SAFETY
    assert stock_alert(SCREWS, D(20)) is AlertKind.AT_REORDER
    assert stock_alert(SCREWS, D(21)) is None


def test_the_largest_surplus_gives_first_and_the_rest_is_bought():
    sources = choose_sources(D(50), {"BJ01": D(10), "GZ01": D(30)})
    assert sources == [Source(D(30), "GZ01"), Source(D(10), "BJ01"), Source(D(10))]


def test_a_surplus_covering_everything_buys_nothing():
    assert choose_sources(D(5), {"BJ01": D(10)}) == [Source(D(5), "BJ01")]


def test_a_warehouse_gives_only_what_is_above_its_own_reorder_point():
    assert surplus(SCREWS, D(35)) == D(15)
    assert surplus(SCREWS, D(12)) == 0
    assert surplus(None, D(100)) == 0


@pytest.mark.parametrize(
    ("levels", "codes"),
    [
        (Levels(D(-1), D(0), D(0)), {"level.negative"}),
        (Levels(D(10), D(5), D(60)), {"level.reorder_below_safety"}),
        (Levels(D(1), D(5), D(4)), {"level.max_below_reorder"}),
    ],
)
def test_levels_that_do_not_read_upwards_are_refused(levels, codes):
    with pytest.raises(Invalid) as caught:
        check_levels(levels)
    assert {item.code for item in caught.value.items} == codes


def test_levels_may_all_be_equal():
    check_levels(Levels(D(5), D(5), D(5)))
