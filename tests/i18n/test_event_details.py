"""The audit log's details as a person reads them, in both languages."""

from __future__ import annotations

import json

import pytest

from jxc.i18n.messages import event_details_text, event_subject


def details(payload: dict[str, object], locale: str = "zh_CN") -> str:
    return event_details_text(json.dumps(payload, ensure_ascii=False), locale)


def test_count_lines_show_where_how_many_and_which_units_without_trailing_zeros():
    payload = {
        "mode": "set",
        "lines": [
            {
                "item": "DJ-002",
                "location": "A-01",
                "quantity": "2.000000",
                "batch": None,
                "serials": ["SN1", "SN2"],
                "unit": None,
            },
            {
                "item": "QQ-003",
                "location": "STOCK",
                "quantity": "8.500000",
                "batch": "20260804",
                "serials": [],
                "unit": "箱",
            },
        ],
    }

    assert details(payload) == (
        "录入方式 覆盖 · 单据明细 DJ-002@A-01 ×2 SN1、SN2、QQ-003@STOCK ×8.5 箱 20260804"
    )
    assert details(payload, "en") == (
        "Count mode Replaced the count · Document lines "
        "DJ-002@A-01 ×2 SN1, SN2, QQ-003@STOCK ×8.5 箱 20260804"
    )


@pytest.mark.parametrize(
    ("payload", "said"),
    [
        ({"max_quantity": "140.000000", "reorder_point": "1"}, "最高库存 140 · 再订货点 1"),
        ({"usage": "storage", "code": "A-01"}, "用途 存储区 · 编码 A-01"),
        ({"channel_kind": "online"}, "渠道类型 网店"),
        # The user's own names as keys: each kept beside its value.
        (
            {"barcodes": {"6980091652200": "个"}, "units": {"箱": "100"}},
            "条码 6980091652200=个 · 单位换算 箱=100",
        ),
        # A record keeps showing its values only.
        ({"grants": [{"role": "admin", "warehouse": None}]}, "角色 管理员"),
        ({"from": "Asia/Shanghai", "to": "Etc/UTC"}, "Asia/Shanghai → Etc/UTC"),
        ({"from": None, "to": "Etc/UTC"}, "— → Etc/UTC"),
    ],
)
def test_fields_are_named_and_valued_in_words(payload, said):
    assert details(payload) == said


def test_a_code_that_only_looks_like_a_decimal_is_shown_as_typed():
    assert details({"code": "1.50"}) == "编码 1.50"


@pytest.mark.parametrize(
    ("kind", "subject", "said"),
    [
        ("workflow", "receipt", "入库单"),
        ("company", "timezone", "公司时区"),
        ("catalog", "base", "基础资料（计量单位、系统库位）"),
        ("item", "DP-003", "DP-003"),
    ],
)
def test_what_an_event_is_about_is_named_in_words(kind, subject, said):
    assert event_subject(kind, subject, "zh_CN") == said


def test_a_counterpart_place_is_named_not_coded():
    assert details({"counterpart": "CUSTOMER"}) == "往来库位 客户"
