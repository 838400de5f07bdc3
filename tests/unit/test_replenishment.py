"""补货 rules: levels read upwards, suggestions fill to the maximum, surplus goes first."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.errors import Invalid
from jxc.domain.replenishment import (
    AlertKind,
    Levels,
    Source,
    alert_episodes,
    check_levels,
    choose_sources,
    episode_key,
    position,
    stock_alert,
    suggested_quantity,
    surplus,
)

D = Decimal
SCREWS = Levels(D(10), D(20), D(60))


def test_a_warehouse_above_its_reorder_point_needs_nothing():
    assert suggested_quantity(SCREWS, D(21), 0) == 0


def test_at_the_reorder_point_it_is_filled_up_to_the_maximum_counting_what_is_coming():
    projected = position(on_hand=D(15), reserved=D(5), on_order=D(10))
    assert projected == D(20)
    assert suggested_quantity(SCREWS, projected, 0) == D(40)


def test_an_alert_is_below_safety_first_then_at_the_reorder_point():
    assert stock_alert(SCREWS, D(9)) is AlertKind.BELOW_SAFETY
    assert stock_alert(SCREWS, D(20)) is AlertKind.AT_REORDER
    assert stock_alert(SCREWS, D(21)) is None


def test_the_largest_surplus_gives_first_and_the_rest_is_bought():
    sources = choose_sources(D(50), {"BJ01": D(10), "GZ01": D(30)}, 0)
    assert sources == [Source(D(30), "GZ01"), Source(D(10), "BJ01"), Source(D(10))]


def test_a_surplus_covering_everything_buys_nothing():
    assert choose_sources(D(5), {"BJ01": D(10)}, 0) == [Source(D(5), "BJ01")]


def test_a_suggestion_is_rounded_up_to_what_the_base_unit_counts():
    half_boxes = Levels(D(0), D("10.5"), D("12.5"))
    assert suggested_quantity(half_boxes, D("8.8"), 0) == D(4)  # 3.7 个 is never suggested
    assert suggested_quantity(half_boxes, D("8.8"), 1) == D("3.7")
    assert suggested_quantity(half_boxes, D("8.81"), 1) == D("3.7")  # 3.69 kg → 3.7 kg


def test_a_warehouse_gives_whole_units_only_and_the_rest_is_bought():
    sources = choose_sources(D(4), {"BJ01": D("2.5")}, 0)
    assert sources == [Source(D(2), "BJ01"), Source(D(2))]
    assert choose_sources(D(4), {"BJ01": D("0.5")}, 0) == [Source(D(4))]


def test_an_alert_begins_an_episode_when_new_or_back_and_an_open_one_that_is_gone_clears():
    known = {"low:SH:螺丝": (1, True), "low:SH:螺母": (2, False), "low:BJ:螺丝": (1, True)}
    begun, cleared = alert_episodes(["low:SH:螺丝", "low:SH:螺母", "low:GZ:螺丝"], known)
    assert begun == {"low:SH:螺母": 3, "low:GZ:螺丝": 1}
    assert cleared == {"low:BJ:螺丝"}


def test_an_episode_after_the_first_is_marked_in_its_key_which_stays_within_200_characters():
    assert episode_key("stock.alert:low:SH:螺丝", 1) == "stock.alert:low:SH:螺丝"
    assert episode_key("stock.alert:low:SH:螺丝", 2) == "stock.alert:low:SH:螺丝#2"
    long = "k" * 200
    assert episode_key(long, 12) == "k" * 197 + "#12"


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
        (Levels(D(0), D(5), D("1E+30")), {"level.too_large"}),
        (Levels(D(0), D("NaN"), D(5)), {"level.too_large"}),
        (Levels(D("0.0000001"), D(5), D(6)), {"level.too_precise"}),
    ],
)
def test_levels_that_do_not_read_upwards_are_refused(levels, codes):
    with pytest.raises(Invalid) as caught:
        check_levels(levels)
    assert {item.code for item in caught.value.items} == codes


def test_levels_may_all_be_equal():
    check_levels(Levels(D(5), D(5), D(5)))
