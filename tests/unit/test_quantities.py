"""Exact quantities and money (invariant 6): parse, check, round, print — never float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.errors import Invalid
from jxc.domain.quantities import (
    MAX_QUANTITY,
    Unit,
    check_quantity,
    check_unit_cost,
    decimals_of,
    normalized,
    parse_decimal,
    round_money,
    round_unit_cost,
)

PIECE = Unit("个", "个", 0)
KILOGRAM = Unit("kg", "千克", 3)


# parse_decimal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.5", Decimal("12.5")),
        (" 3 ", Decimal(3)),
        ("1,000", Decimal(1000)),
        ("0.000001", Decimal("0.000001")),
        (7, Decimal(7)),
        (Decimal("2.50"), Decimal("2.50")),
    ],
)
def test_numbers_are_read_exactly_from_text_ints_and_decimals(raw, expected):
    value = parse_decimal(raw)

    assert value == expected
    assert isinstance(value, Decimal)


def test_tenths_read_from_text_add_up_exactly():
    assert parse_decimal("0.1") + parse_decimal("0.2") == parse_decimal("0.3")


def test_a_parsed_decimal_keeps_its_written_precision():
    assert str(parse_decimal("2.50")) == "2.50"


@pytest.mark.parametrize("raw", [0.1, 1.0, True, False])
def test_floats_and_booleans_are_refused_as_inexact(raw):
    with pytest.raises(Invalid) as refused:
        parse_decimal(raw)

    assert refused.value.code == "quantity.not_a_number"
    assert refused.value.params == {"value": str(raw)}


@pytest.mark.parametrize(
    "raw",
    ["abc", "", "1.2.3", "NaN", "Infinity", "-Infinity", "sNaN", "1²", "①", "¹⁰", "1,5", "1,2,3"],
)
def test_text_that_is_not_a_finite_number_is_refused(raw):
    with pytest.raises(Invalid) as refused:
        parse_decimal(raw)

    assert refused.value.code == "quantity.not_a_number"
    assert refused.value.params == {"value": raw}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１２", Decimal(12)),
        ("１２．５", Decimal("12.5")),
        ("１，０００", Decimal(1000)),
        ("12.", 12),
    ],
)
def test_digits_typed_full_width_by_a_chinese_input_method_are_read(raw, expected):
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["1e3", "1E+2", "2.5e-1", "1_000", "١٢", "१२"])
def test_a_number_not_written_in_plain_digits_is_refused_as_such(raw):
    with pytest.raises(Invalid) as refused:
        parse_decimal(raw)

    assert refused.value.code == "number.not_written_out"
    assert refused.value.params == {"value": raw}


def test_the_caller_chooses_the_code_of_a_refused_number():
    with pytest.raises(Invalid) as refused:
        parse_decimal("十二", code="unit_cost.not_a_number")

    assert refused.value.code == "unit_cost.not_a_number"
    assert refused.value.params == {"value": "十二"}


# check_quantity ------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["0", "-1", "-0.001", "0.000"])
def test_zero_and_negative_quantities_are_refused(quantity):
    with pytest.raises(Invalid) as refused:
        check_quantity(Decimal(quantity), KILOGRAM)

    assert refused.value.code == "quantity.not_positive"
    assert refused.value.params == {"quantity": quantity}


def test_a_quantity_above_a_trillion_is_refused_as_absurd():
    with pytest.raises(Invalid) as refused:
        check_quantity(Decimal("1000000000001"), PIECE)

    assert refused.value.code == "quantity.too_large"
    assert refused.value.params == {"quantity": "1000000000001", "maximum": "10^12"}


def test_a_trillion_itself_is_still_a_quantity():
    assert check_quantity(MAX_QUANTITY, PIECE) == Decimal(10) ** 12


def test_a_fraction_of_a_piece_is_refused_as_too_precise():
    with pytest.raises(Invalid) as refused:
        check_quantity(Decimal("1.5"), PIECE)

    assert refused.value.code == "quantity.too_precise"
    assert refused.value.params == {"quantity": "1.5", "unit": "个", "decimals": 0}


def test_kilograms_take_three_decimals_but_not_four():
    assert check_quantity(Decimal("1.234"), KILOGRAM) == Decimal("1.234")
    with pytest.raises(Invalid) as refused:
        check_quantity(Decimal("1.2345"), KILOGRAM)

    assert refused.value.code == "quantity.too_precise"
    assert refused.value.params["decimals"] == 3


def test_trailing_zeros_do_not_count_as_decimals():
    assert check_quantity(Decimal("12.000"), PIECE) == Decimal(12)
    assert check_quantity(Decimal("1E+3"), PIECE) == Decimal(1000)


@pytest.mark.parametrize(
    ("value", "decimals"),
    [("1.500", 1), ("100", 0), ("1E+2", 0), ("0.000001", 6), ("12.345", 3)],
)
def test_decimals_are_counted_without_trailing_zeros(value, decimals):
    assert decimals_of(Decimal(value)) == decimals


# unit cost and money -------------------------------------------------------------------


def test_a_free_unit_cost_is_allowed_but_a_negative_one_is_not():
    assert check_unit_cost(Decimal(0)) == 0
    with pytest.raises(Invalid) as refused:
        check_unit_cost(Decimal("-0.01"))

    assert refused.value.code == "unit_cost.negative"
    assert refused.value.params == {"unit_cost": "-0.01"}


def test_a_unit_cost_above_a_trillion_is_refused():
    with pytest.raises(Invalid) as refused:
        check_unit_cost(Decimal("1000000000000.01"))

    assert refused.value.code == "unit_cost.too_large"


def test_a_unit_cost_takes_six_decimals_but_not_seven():
    assert check_unit_cost(Decimal("0.123456")) == Decimal("0.123456")
    with pytest.raises(Invalid) as refused:
        check_unit_cost(Decimal("0.1234567"))

    assert refused.value.code == "unit_cost.too_precise"
    assert refused.value.params == {"unit_cost": "0.1234567", "decimals": 6}


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.005", "0.01"), ("2.345", "2.35"), ("2.344", "2.34"), ("-0.005", "-0.01"), ("7", "7.00")],
)
def test_money_is_rounded_half_up_to_cents(amount, rounded):
    result = round_money(Decimal(amount))

    assert result == Decimal(rounded)
    assert str(result) == rounded


def test_unit_costs_keep_six_decimals():
    assert str(round_unit_cost(Decimal(80) / Decimal(7))) == "11.428571"
    assert str(round_unit_cost(Decimal("0.0000005"))) == "0.000001"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("12.000", "12"), ("100", "100"), ("1E+2", "100"), ("1.50", "1.5"), ("0.000100", "0.0001")],
)
def test_normalized_numbers_drop_trailing_zeros_without_exponents(value, shown):
    assert str(normalized(Decimal(value))) == shown
