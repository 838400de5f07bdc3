"""Items convert quantities into their base unit exactly (1 箱 = 12 个), or refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.errors import Invalid
from jxc.domain.items import Item, check_conversion_ratio
from jxc.domain.quantities import Unit
from jxc.i18n.messages import translate

PIECE = Unit("个", "个", 0)
BOX = Unit("箱", "箱", 0)
KILOGRAM = Unit("kg", "千克", 3)
BAG = Unit("包", "包", 0)


def screws(box: Unit = BOX) -> Item:
    return Item(1, "螺丝-M3", "螺丝 M3", PIECE, conversions={"箱": (box, Decimal(12))})


def test_a_box_of_screws_is_twelve_pieces():
    assert screws().to_base(Decimal(2), "箱") == Decimal(24)


def test_a_quantity_without_unit_or_in_the_base_unit_is_taken_as_is():
    assert screws().to_base(Decimal(5), None) == Decimal(5)
    assert screws().to_base(Decimal(5), "个") == Decimal(5)


def test_the_base_unit_converts_with_ratio_one():
    assert screws().unit_named("个") == (PIECE, Decimal(1))
    assert screws().unit_named("箱") == (BOX, Decimal(12))


def test_a_unit_the_item_has_no_conversion_for_is_refused_naming_the_known_units():
    with pytest.raises(Invalid) as refused:
        screws().to_base(Decimal(1), "吨")

    assert refused.value.code == "unit.not_convertible"
    assert refused.value.params == {"item": "螺丝-M3", "unit": "吨", "units": "个, 箱"}


def test_a_tenth_of_a_box_is_refused_when_boxes_are_counted_whole():
    with pytest.raises(Invalid) as refused:
        screws().to_base(Decimal("0.1"), "箱")

    assert refused.value.code == "quantity.too_precise"
    assert refused.value.params == {"quantity": "0.1", "unit": "箱", "decimals": 0}


def test_an_inexact_conversion_names_its_figures_without_the_stored_scale():
    """1 盒 = 1.5 个 kept to six places: told as 1.5, not 1.500000."""
    box = Unit("盒", "盒", 0)
    half_pieces = Item(
        1, "螺丝-M3", "螺丝 M3", PIECE, conversions={"盒": (box, Decimal("1.500000"))}
    )

    with pytest.raises(Invalid) as refused:
        half_pieces.to_base(Decimal("1"), "盒")

    assert (refused.value.params["quantity"], refused.value.params["base_quantity"]) == ("1", "1.5")


def test_a_tenth_of_a_box_is_refused_as_inexact_when_it_makes_a_fraction_of_a_piece():
    """0.1 箱 × 12 = 1.2 个, which a base unit of 0 decimals cannot count."""
    divisible_box = Unit("箱", "箱", 1)

    with pytest.raises(Invalid) as refused:
        screws(divisible_box).to_base(Decimal("0.1"), "箱")

    assert refused.value.code == "unit.inexact_conversion"
    assert refused.value.params == {
        "quantity": "0.1",
        "unit": "箱",
        "base_quantity": "1.2",
        "base_unit": "个",
    }


def test_half_a_box_is_exactly_six_pieces_when_boxes_may_be_split():
    assert screws(Unit("箱", "箱", 1)).to_base(Decimal("0.5"), "箱") == Decimal(6)


def test_bags_of_a_quarter_kilogram_add_up_to_exact_kilograms():
    rice = Item(2, "大米-5KG", "大米", KILOGRAM, conversions={"包": (BAG, Decimal("0.25"))})

    assert rice.to_base(Decimal(3), "包") == Decimal("0.75")


def test_a_conversion_past_a_trillion_base_units_is_refused():
    with pytest.raises(Invalid) as refused:
        screws().to_base(Decimal(100_000_000_000), "箱")

    assert refused.value.code == "quantity.too_large_in_base"
    assert translate(refused.value.code, "zh_CN", **refused.value.params) == (
        "100000000000 箱 即 1200000000000 个，超过上限 10^12"
    )


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_zero_or_negative_boxes_are_refused(quantity):
    with pytest.raises(Invalid) as refused:
        screws().to_base(Decimal(quantity), "箱")

    assert refused.value.code == "quantity.not_positive"


@pytest.mark.parametrize("ratio", ["0", "-12"])
def test_a_conversion_ratio_must_be_positive(ratio):
    with pytest.raises(Invalid) as refused:
        check_conversion_ratio(Decimal(ratio), BOX)

    assert refused.value.code == "unit.ratio_not_positive"
    assert refused.value.params == {"unit": "箱", "ratio": ratio}


def test_a_conversion_ratio_takes_at_most_six_decimals():
    assert check_conversion_ratio(Decimal("0.000001"), BAG) == Decimal("0.000001")
    with pytest.raises(Invalid) as refused:
        check_conversion_ratio(Decimal("0.0000001"), BAG)

    assert refused.value.code == "unit.ratio_too_precise"
