"""Scanning into a document: a code names an item, its unit and what it carries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jxc.domain.documents import DocumentType
from jxc.domain.errors import Invalid, NotFound
from jxc.services import catalog
from tests.builders import a_warehouse, an_item, receive, refused


@pytest.fixture
def shelf(app):
    an_item(app, "螺丝-M3", units={"箱": "100"})
    an_item(app, "奶粉", tracking="batch", shelf_life_days=720)
    an_item(app, "手机", tracking="serial", base_unit="台")
    catalog.add_barcode(app.uow(), "tester", "螺丝-M3", "6901234567892")
    catalog.add_barcode(app.uow(), "tester", "螺丝-M3", "6901234567885", "箱")
    catalog.add_barcode(app.uow(), "tester", "奶粉", "6909876543212")
    catalog.add_barcode(app.uow(), "tester", "手机", "6900000000014")
    return app


def scan(app, code):
    return catalog.scan(app.uow(), "tester", code)


def test_a_barcode_names_its_item_and_unit(shelf):
    each, box = scan(shelf, "6901234567892"), scan(shelf, "6901234567885")

    assert (each.item, each.unit, each.quantity) == ("螺丝-M3", "个", Decimal(1))
    assert (box.item, box.unit) == ("螺丝-M3", "箱")


def test_an_item_code_typed_in_works_like_its_barcode(shelf):
    assert scan(shelf, "螺丝-M3").item == "螺丝-M3"


def test_an_item_code_typed_in_lower_case_finds_its_item(shelf):
    an_item(shelf, "ZC-006")

    assert scan(shelf, "zc-006").item == "ZC-006"


def test_the_serial_number_of_a_unit_in_stock_is_scanned_alone_as_that_unit(shelf):
    a_warehouse(shelf, "WH1")
    receive(
        shelf, "WH1", {"item": "手机", "quantity": "1", "serials": ["IMEI-7"], "unit_cost": "9"}
    )

    unit = catalog.scan(shelf.uow(), "tester", "IMEI-7", DocumentType.ISSUE)

    assert (unit.item, unit.unit, unit.quantity, unit.serial) == (
        "手机",
        "台",
        Decimal(1),
        "IMEI-7",
    )
    typed = catalog.scan(shelf.uow(), "tester", "imei-7", DocumentType.ISSUE)
    assert (typed.item, typed.serial) == ("手机", "IMEI-7")  # typed in lower case
    with refused(shelf, NotFound):
        scan(shelf, "IMEI-8")  # a serial JXC has never seen is no code


def test_full_width_is_read_as_half_width_and_a_code_stored_in_full_width_as_itself(shelf):
    an_item(shelf, "杯子（大）")
    catalog.add_barcode(shelf.uow(), "tester", "杯子（大）", "ＡＢ－１２３")

    assert scan(shelf, "６９０１２３４５６７８９２").item == "螺丝-M3"
    assert scan(shelf, "杯子（大）").item == "杯子（大）"
    assert scan(shelf, "ＡＢ－１２３").item == "杯子（大）"


def test_a_gs1_code_brings_the_batch_expiry_serial_and_count(shelf):
    milk = scan(shelf, "(01)06909876543212(10)B2611(17)271231(30)6")
    phone = scan(shelf, "(01)06900000000014(21)IMEI-1")

    assert (milk.item, milk.batch, milk.expiry_date, milk.quantity) == (
        "奶粉",
        "B2611",
        date(2027, 12, 31),
        Decimal(6),
    )
    assert (phone.item, phone.serial) == ("手机", "IMEI-1")


@pytest.mark.parametrize(
    ("code", "error", "expected"),
    [
        ("6999999999995", NotFound, "barcode.unknown"),
        ("6909876543212", Invalid, "batch.required"),
        ("6900000000014", Invalid, "scan.serial_needed"),
        ("(01)06909876543219", Invalid, "barcode.gs1_check_digit"),
        ("(01)06901234567892(10)B1", Invalid, "batch.not_tracked"),
        ("(01)06901234567892(21)S1", Invalid, "serial.not_tracked"),
    ],
)
def test_a_scan_that_cannot_make_a_line_is_refused_at_once(shelf, code, error, expected):
    with pytest.raises(error) as refused:
        scan(shelf, code)

    assert refused.value.code == expected


def test_an_expiry_typed_beside_a_label_carrying_its_batch_but_no_expiry_goes_with_it(shelf):
    typed = catalog.Beside(expiry_date=date(2028, 5, 31))

    found = catalog.scan(shelf.uow(), "tester", "(01)06909876543212(10)NEW1", beside=typed)
    labelled = catalog.scan(
        shelf.uow(), "tester", "(01)06909876543212(17)280630(10)NEW1", beside=typed
    )

    assert (found.batch, found.expiry_date) == ("NEW1", date(2028, 5, 31))
    assert labelled.expiry_date == date(2028, 6, 30)  # the label's own wins
