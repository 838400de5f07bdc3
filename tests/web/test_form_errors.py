"""Refusals listed away from their fields say which line of the screen each is on, once."""

from __future__ import annotations

from jxc.domain.errors import ErrorItem, Invalid
from jxc.web.forms import form_errors


def placed(*items: ErrorItem) -> list[str]:
    return form_errors(Invalid("input.invalid", {"count": len(items)}, list(items)), "zh_CN").placed


def test_a_message_naming_its_own_line_is_not_prefixed_again():
    short = ErrorItem(
        "/lines/2",
        "stock.line_short",
        {
            "lines": "2",
            "item": "杯子",
            "location": "WH1",
            "batch": "",
            "requested": "5",
            "available": "3",
        },
    )

    assert placed(short) == ["第 2 行：杯子 在 WH1：需要 5，可用 3"]


def test_a_source_documents_line_numbers_do_not_stand_for_the_screens_line():
    ambiguous = ErrorItem(
        "/lines/3/source_line", "order.source_line_required", {"lines": "1, 2", "item": "杯子"}
    )
    over = ErrorItem(
        "/lines/1/quantity",
        "return.over_shipped",
        {
            "item": "杯子",
            "line": 2,
            "number": "XSCK1",
            "ordered": "6",
            "delivered": "0",
            "requested": "7",
        },
    )

    assert placed(ambiguous, over) == [
        "第 3 行：源单第 1, 2 行都是 杯子：请指明本行对应的源单行",
        "第 1 行：杯子：XSCK1 第 2 行数量 6，已退 0，再退 7 超出",
    ]
