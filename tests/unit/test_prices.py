"""Prices (单价, 税率, 折扣, 价税合计), 拣货/复核 comparison and shop order files: pure rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc.domain.errors import ErrorCollector
from jxc.domain.picking import (
    Counted,
    check_complete,
    check_scanned,
    picked_per_row,
    shortfall,
)
from jxc.domain.prices import LinePrice, amounts, check_price, gross_profit
from jxc.domain.shop_orders import ShopMapping, orders_in

CENT = Decimal("0.01")


def test_a_price_with_tax_splits_the_tax_out_and_one_without_adds_it():
    inclusive = amounts(Decimal(3), LinePrice(Decimal("11.30"), Decimal(13)))
    exclusive = amounts(Decimal(3), LinePrice(Decimal(10), Decimal(13), includes_tax=False))

    assert (inclusive.amount, inclusive.tax, inclusive.amount_incl_tax) == (
        Decimal("30.00"),
        Decimal("3.90"),
        Decimal("33.90"),
    )
    assert (exclusive.amount, exclusive.tax, exclusive.amount_incl_tax) == (
        Decimal("30.00"),
        Decimal("3.90"),
        Decimal("33.90"),
    )


@given(
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3),
    price=st.decimals(min_value=Decimal(0), max_value=Decimal(100_000), places=4),
    tax=st.sampled_from([Decimal(0), Decimal(6), Decimal(9), Decimal(13), Decimal("0.5")]),
    discount=st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2),
    includes_tax=st.booleans(),
)
def test_a_lines_money_always_adds_up_to_the_cent(quantity, price, tax, discount, includes_tax):
    money = amounts(quantity, LinePrice(price, tax, discount, includes_tax))

    assert money.amount + money.tax == money.amount_incl_tax
    for value in (money.discount, money.amount, money.tax, money.amount_incl_tax):
        assert value == value.quantize(CENT)
        assert value >= 0


@pytest.mark.parametrize(
    ("price", "codes"),
    [
        (LinePrice(Decimal(-1)), ["price.negative"]),
        (LinePrice(Decimal("1.00001")), ["price.too_precise"]),
        (LinePrice(Decimal(10) ** 10), ["price.too_large"]),
        (LinePrice(Decimal(1), Decimal(101)), ["rate.out_of_range"]),
        (LinePrice(Decimal(1), Decimal(0), Decimal("5.555")), ["rate.too_precise"]),
        (LinePrice(Decimal("9.9999"), Decimal(13), Decimal(100)), []),
    ],
)
def test_prices_and_rates_outside_their_bounds_are_named(price, codes):
    errors = ErrorCollector()

    check_price(price, "/lines/1", errors)

    assert [item.code for item in errors.items] == codes


def test_gross_margin_is_a_percentage_of_the_amount_and_none_without_revenue():
    assert gross_profit(Decimal(50), Decimal(20)) == (Decimal(30), Decimal("60.00"))
    assert gross_profit(Decimal(0), Decimal(5)) == (Decimal(-5), None)


PICKED = [Counted("杯子", None, Decimal(2)), Counted("壶", "B1", Decimal(3))]


def test_picking_takes_any_batch_but_never_more_than_the_delivery():
    ok = check_scanned(PICKED, [Counted("壶", "B9", Decimal(3))], by_batch=False)
    over = check_scanned(PICKED, [Counted("壶", "B9", Decimal(4))], by_batch=False)

    assert ok.items == []
    assert [item.code for item in over.items] == ["scan.too_many"]


def test_the_check_wants_the_same_batches_and_counts_and_names_what_is_missing():
    wrong = check_scanned(PICKED, [Counted("壶", "B2", Decimal(1))], by_batch=True)
    missing = check_complete(PICKED, [Counted("杯子", None, Decimal(2))])
    complete = check_complete(PICKED, list(PICKED))

    assert [(i.code, i.params["batches"]) for i in wrong.items] == [("scan.wrong_batch", "B1")]
    assert [(i.code, i.params["item"]) for i in missing.items] == [("scan.missing", "壶")]
    assert complete.items == []


def test_the_check_wants_the_very_serials_picked_and_names_those_not_found():
    picked = [Counted("手机", None, Decimal(2), ("SN1", "SN2"))]
    one = Decimal(1)

    wrong = check_scanned(picked, [Counted("手机", None, one, ("SN9",))], by_batch=True)
    right = check_scanned(picked, [Counted("手机", None, one, ("SN2",))], by_batch=True)
    twice = check_complete(picked, [Counted("手机", None, one, ("SN1",))] * 2)

    assert [(i.code, i.params["serial"], i.params["serials"]) for i in wrong.items] == [
        ("scan.serial_not_picked", "SN9", "SN1, SN2")
    ]
    assert right.items == []
    assert [(i.code, i.params["serials"]) for i in twice.items] == [("scan.serials_missing", "SN2")]
    assert (
        check_complete(picked, [Counted("手机", None, one, (n,)) for n in ("SN2", "SN1")]).items
        == []
    )


def test_the_pick_lists_rows_fill_in_their_order_with_their_own_item_and_batch():
    rows = [
        Counted("壶", "B1", Decimal(2)),  # at A-01
        Counted("杯子", None, Decimal(2)),
        Counted("壶", "B1", Decimal(3)),  # the rest of B1, at B-02
        Counted("壶", "B2", Decimal(1)),
    ]
    scanned = [
        Counted("壶", "B1", Decimal(4)),
        Counted("杯子", None, Decimal(1)),
        Counted("壶", "B9", Decimal(1)),  # a batch the list does not name
    ]

    assert picked_per_row(rows, scanned) == [2, 1, 2, 0]
    assert picked_per_row(rows, []) == [0, 0, 0, 0]


SHOP = ShopMapping(
    {"order_number": "单号", "sku": "编码", "quantity": "数量", "unit_price": "单价"},
    {"A": {"杯子": Decimal(1)}, "SET": {"杯子": Decimal(2), "壶": Decimal(1)}},
    Decimal(13),
)


def test_a_bundle_becomes_its_items_with_its_price_shared_by_their_units():
    errors = ErrorCollector()

    orders = orders_in(
        [(2, {"单号": "T1", "编码": "SET", "数量": "2", "单价": "90"})], SHOP, errors
    )

    assert errors.items == []
    assert [(line.item, line.quantity, line.unit_price) for line in orders["T1"]] == [
        ("杯子", Decimal(4), Decimal(30)),
        ("壶", Decimal(2), Decimal(30)),
    ]


def test_a_pick_short_of_the_delivery_names_each_item_it_lacks_whatever_the_batch():
    expected = [Counted("杯子", "B1", Decimal(4)), Counted("杯子", "B2", Decimal(2))]
    expected.append(Counted("壶", None, Decimal(3)))
    scanned = [Counted("杯子", "B2", Decimal(6)), Counted("壶", None, Decimal(1))]

    short = shortfall(expected, scanned).items

    assert [
        (i.code, i.params["item"], i.params["scanned"], i.params["expected"]) for i in short
    ] == [("scan.picked_short", "壶", "1", "3")]
    assert not shortfall(expected, [*scanned, Counted("壶", None, Decimal(2))]).items
