"""盘点 rules with no database: tolerance, and serial-tracked goods counted unit by unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc.domain.errors import Invalid
from jxc.domain.items import Item, TrackingMode
from jxc.domain.quantities import Unit
from jxc.domain.stocktakes import check_serials_counted, over_tolerance, serial_difference

SET = Unit("台", "台", 0)
MOTOR = Item(1, "电机", "三相电机", SET, tracking=TrackingMode.SERIAL)
SCREW = Item(2, "螺丝", "螺丝 M3", Unit("个", "个", 0))


def test_two_units_swapped_are_one_found_and_one_missing_though_the_quantities_agree():
    difference = serial_difference(["SN1", "SN2", "SN4"], ["SN1", "SN2", "SN3"], [])
    assert (difference.found, difference.missing) == (Decimal(1), Decimal(1))
    assert (difference.found_serials, difference.missing_serials) == (("SN4",), ("SN3",))
    assert difference


def test_a_unit_a_document_moved_after_the_count_is_no_difference():
    sold_after_its_scan = serial_difference(["SN1", "SN2"], ["SN2"], ["SN1"])
    received_after_the_count = serial_difference(["SN1"], ["SN1", "SN9"], ["SN9"])
    assert not sold_after_its_scan
    assert not received_after_the_count


@given(
    counted=st.sets(st.sampled_from([f"SN{n}" for n in range(8)])),
    booked=st.sets(st.sampled_from([f"SN{n}" for n in range(8)])),
)
def test_posting_the_difference_leaves_the_books_holding_what_was_counted(counted, booked):
    difference = serial_difference(sorted(counted), sorted(booked), [])
    after = (booked - set(difference.missing_serials)) | set(difference.found_serials)
    assert after == counted
    assert difference.found - difference.missing == len(counted) - len(booked)


def test_a_serial_tracked_count_names_one_serial_per_unit():
    check_serials_counted(MOTOR, Decimal(2), ("SN1", "SN2"))
    check_serials_counted(MOTOR, Decimal(0), ())  # nothing found
    check_serials_counted(SCREW, Decimal(5), ())
    for quantity, serials, code in (
        (Decimal(2), (), "stocktake.serials_needed"),
        (Decimal(2), ("SN1",), "serial.count_mismatch"),
        (Decimal(2), ("SN1", "SN1"), "serial.duplicated"),
    ):
        with pytest.raises(Invalid) as caught:
            check_serials_counted(MOTOR, quantity, serials)
        assert caught.value.code == code
    with pytest.raises(Invalid) as caught:
        check_serials_counted(SCREW, Decimal(1), ("X1",))
    assert caught.value.code == "serial.not_tracked"


def test_any_find_on_an_empty_book_is_over_the_tolerance():
    assert over_tolerance(Decimal(0), Decimal(1), Decimal(100))
    assert not over_tolerance(Decimal(100), Decimal(96), Decimal(5))
    assert over_tolerance(Decimal(100), Decimal(94), Decimal(5))
