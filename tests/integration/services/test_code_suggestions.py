"""An unknown item or warehouse code is answered with the code the user likely meant."""

from __future__ import annotations

from decimal import Decimal

from jxc.domain.errors import Invalid, NotFound
from jxc.i18n.messages import translate
from jxc.services import catalog, documents
from tests.builders import a_warehouse, an_item, refused


def test_a_code_in_the_wrong_case_or_a_name_for_a_code_is_answered_with_the_code(app):
    a_warehouse(app, "SH01")
    an_item(app, "DP-003", name="电机 0.75kW")
    an_item(app, "nope-1")
    lines = [
        {"item": "dp-003", "quantity": "1"},
        {"item": "电机 0.75kW", "quantity": "1"},
        {"item": "nope", "quantity": "1"},  # nothing like it: no guess
    ]

    with refused(app, Invalid) as caught:
        documents.create(
            app.uow(), "tester", {"document_type": "receipt", "warehouse": "sh01", "lines": lines}
        )

    said = {item.pointer: item.params.get("did_you_mean") for item in caught.value.items}
    assert said == {
        "/warehouse": None,  # a warehouse one may not see is unknown to them, and stays so
        "/lines/1/item": "DP-003",
        "/lines/2/item": "DP-003",
        "/lines/3/item": None,
    }
    first = caught.value.items[1]
    assert translate(first.code, "zh_CN", **first.params) == "商品 dp-003 不存在（是否指 DP-003？）"
    assert translate(first.code, "en", **first.params) == (
        "Item dp-003 does not exist (did you mean DP-003?)"
    )


def test_no_guess_where_two_codes_differ_only_in_case(app):
    a_warehouse(app, "WH1")
    an_item(app, "Ab-1")
    an_item(app, "AB-1")

    with refused(app, NotFound) as caught:
        catalog.add_unit_conversion(app.uow(), "tester", "ab-1", "箱", Decimal(12))

    assert caught.value.code == "item.unknown"
    assert "did_you_mean" not in caught.value.params


def test_a_full_width_code_typed_by_an_input_method_is_answered_too(app):
    a_warehouse(app, "WH1")
    an_item(app, "DP-003")

    with refused(app, Invalid) as caught:
        documents.create(
            app.uow(),
            "tester",
            {
                "document_type": "receipt",
                "warehouse": "WH1",
                "lines": [{"item": "ｄｐ－００３", "quantity": "1"}],
            },
        )

    assert caught.value.params["did_you_mean"] == "DP-003"
