"""Document rules: posting steps by state, reversibility, numbers, batch dates, line checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jxc.domain.documents import (
    BatchSpec,
    DocumentHeader,
    DocumentType,
    PostingStep,
    batch_dates,
    check_line_tracking,
    check_line_unit_cost,
    check_receivable,
    check_reversible,
    format_number,
    posting_step,
)
from jxc.domain.errors import Conflict, ErrorCollector, ErrorItem, Invalid, InvalidInput
from jxc.domain.items import Item, TrackingMode
from jxc.domain.quantities import Unit
from jxc.i18n.messages import translate

BOTTLE = Unit("瓶", "瓶", 0)
MILK = Item(1, "MILK-1L", "牛奶 1L", BOTTLE, TrackingMode.BATCH, shelf_life_days=30)
YOGURT = Item(2, "YOGURT", "酸奶", BOTTLE, TrackingMode.BATCH)
PHONE = Item(3, "PHONE-X1", "手机 X1", Unit("台", "台", 0), TrackingMode.SERIAL)
SCREW = Item(4, "螺丝-M3", "螺丝 M3", Unit("个", "个", 0))


def header(kind=DocumentType.RECEIPT, ledger="none", number="RK202603150001"):
    """A document whose ledger holds nothing, its shipment, its posting or its reversal."""
    return DocumentHeader(
        id=1,
        number=number,
        document_type=kind,
        state="some_state",
        business_date=date(2026, 3, 15),
        warehouse_id=1,
        to_warehouse_id=2 if kind is DocumentType.TRANSFER else None,
        reverses_document_id=None,
        shipped=ledger in ("shipped", "received", "reversed") and kind is DocumentType.TRANSFER,
        posted=ledger in ("posted", "received", "reversed"),
        reversed=ledger == "reversed",
    )


# posting steps --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [DocumentType.RECEIPT, DocumentType.ISSUE])
def test_an_unposted_receipt_or_issue_is_posted_in_one_step(kind):
    assert posting_step(header(kind)) is PostingStep.POST


def test_an_unposted_transfer_is_shipped_into_transit():
    assert posting_step(header(DocumentType.TRANSFER)) is PostingStep.SHIP


@pytest.mark.parametrize(
    ("kind", "ledger"),
    [
        (DocumentType.RECEIPT, "posted"),
        (DocumentType.RECEIPT, "reversed"),
        (DocumentType.TRANSFER, "shipped"),
        (DocumentType.TRANSFER, "received"),
    ],
)
def test_a_posted_shipped_or_reversed_document_cannot_be_posted_again(kind, ledger):
    with pytest.raises(Conflict) as refused:
        posting_step(header(kind, ledger))

    assert refused.value.code == "document.already_posted"
    assert refused.value.params == {"number": "RK202603150001"}


def test_only_a_transfer_in_transit_can_be_received():
    check_receivable(header(DocumentType.TRANSFER, "shipped"))
    for ledger in ("none", "received", "reversed"):
        with pytest.raises(Conflict) as refused:
            check_receivable(header(DocumentType.TRANSFER, ledger, "DB202603150001"))

        assert refused.value.code == "document.not_in_transit"
        assert refused.value.params == {"number": "DB202603150001", "state": "some_state"}


# reversal -------------------------------------------------------------------------------


def test_posted_and_shipped_documents_can_be_reversed():
    check_reversible(header(ledger="posted"))
    check_reversible(header(DocumentType.TRANSFER, "shipped"))


def test_a_document_not_yet_posted_cannot_be_reversed():
    with pytest.raises(Conflict) as refused:
        check_reversible(header())

    assert refused.value.code == "document.not_posted"
    assert refused.value.params == {"number": "RK202603150001", "state": "some_state"}
    approved = translate(refused.value.code, "zh_CN", number="RK202603150001", state="approved")
    assert approved == (
        "单据 RK202603150001 当前为「已审核」，尚未过账："
        "只有已过账的单据可以红冲；未过账的单据请按流程驳回、反审核或作废"
    )


def test_a_document_is_reversed_only_once():
    with pytest.raises(Conflict) as refused:
        check_reversible(header(ledger="reversed"))

    assert refused.value.code == "document.already_reversed"


def test_a_reversal_cannot_itself_be_reversed():
    reversal = header(DocumentType.REVERSAL, "posted", "HC202603150001")

    with pytest.raises(Conflict) as refused:
        check_reversible(reversal)

    assert refused.value.code == "document.reversal_not_reversible"
    assert refused.value.params == {"number": "HC202603150001"}


# numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        (DocumentType.RECEIPT, "RK202603150007"),
        (DocumentType.ISSUE, "CK202603150007"),
        (DocumentType.TRANSFER, "DB202603150007"),
        (DocumentType.REVERSAL, "HC202603150007"),
    ],
)
def test_a_document_number_is_its_prefix_the_day_and_a_four_digit_sequence(kind, number):
    assert format_number(kind, date(2026, 3, 15), 7) == number


def test_only_receipts_and_sales_returns_bring_stock_in():
    assert [k for k in DocumentType if k.brings_stock_in] == [
        DocumentType.RECEIPT,
        DocumentType.SALES_RETURN,
    ]


def test_orders_move_nothing_and_what_is_made_from_them_names_its_source():
    assert [k for k in DocumentType if k.is_order] == [
        DocumentType.SALES_ORDER,
        DocumentType.PURCHASE_ORDER,
    ]
    assert {k: k.source_type for k in DocumentType if k.source_type} == {
        DocumentType.RECEIPT: DocumentType.PURCHASE_ORDER,
        DocumentType.SALES_DELIVERY: DocumentType.SALES_ORDER,
        DocumentType.SALES_RETURN: DocumentType.SALES_DELIVERY,
        DocumentType.PURCHASE_RETURN: DocumentType.RECEIPT,
    }
    assert [k for k in DocumentType if k.source_type and not k.needs_source] == [
        DocumentType.RECEIPT  # 其他入库 needs no order
    ]


# batch dates ----------------------------------------------------------------------------


def test_the_expiry_follows_from_the_production_date_and_the_shelf_life():
    dates = batch_dates(MILK, BatchSpec("B-0315", date(2026, 3, 15), None))

    assert dates == (date(2026, 3, 15), date(2026, 4, 14))


def test_the_production_date_follows_from_the_expiry_and_the_shelf_life():
    dates = batch_dates(MILK, BatchSpec("B-0315", None, date(2026, 4, 14)))

    assert dates == (date(2026, 3, 15), date(2026, 4, 14))


def test_given_dates_win_over_the_shelf_life():
    dates = batch_dates(MILK, BatchSpec("B-0315", date(2026, 3, 15), date(2026, 3, 20)))

    assert dates == (date(2026, 3, 15), date(2026, 3, 20))


def test_a_batch_without_any_date_needs_one_where_the_shelf_life_gives_the_other():
    with pytest.raises(Invalid) as refused:
        batch_dates(MILK, BatchSpec("B-0315", None, None))

    assert refused.value.code == "batch.date_required"
    assert refused.value.params == {"item": "MILK-1L", "batch": "B-0315"}
    assert translate(refused.value.code, "zh_CN", **refused.value.params) == (
        "商品 MILK-1L 的批次 B-0315 需要生产日期或有效期至"
    )


def test_a_batch_without_any_date_needs_both_where_there_is_no_shelf_life():
    with pytest.raises(Invalid) as refused:
        batch_dates(YOGURT, BatchSpec("Y-01", None, None))

    assert refused.value.code == "batch.dates_required"


def test_a_batch_with_only_its_expiry_needs_its_production_date_without_a_shelf_life():
    with pytest.raises(Invalid) as refused:
        batch_dates(YOGURT, BatchSpec("Y-01", None, date(2026, 4, 1)))

    assert refused.value.code == "batch.production_date_required"


def test_an_item_without_shelf_life_needs_the_expiry_date_given():
    with pytest.raises(Invalid) as refused:
        batch_dates(YOGURT, BatchSpec("Y-01", date(2026, 3, 15), None))

    assert refused.value.code == "batch.expiry_date_required"
    assert refused.value.params == {"item": "YOGURT", "batch": "Y-01"}


def test_a_batch_cannot_expire_before_it_is_produced():
    with pytest.raises(Invalid) as refused:
        batch_dates(YOGURT, BatchSpec("Y-01", date(2026, 3, 15), date(2026, 3, 14)))

    assert refused.value.code == "batch.expiry_before_production"
    assert refused.value.params == {
        "batch": "Y-01",
        "production_date": "2026-03-15",
        "expiry_date": "2026-03-14",
    }


def test_a_batch_may_expire_on_the_day_it_is_produced():
    day = date(2026, 3, 15)

    assert batch_dates(YOGURT, BatchSpec("Y-01", day, day)) == (day, day)


# line checks ----------------------------------------------------------------------------


def line_problems(item, quantity, batch=None, serials=(), kind=DocumentType.RECEIPT):
    errors = ErrorCollector()
    check_line_tracking(item, Decimal(quantity), batch, tuple(serials), kind, "/lines/2", errors)
    return [(e.pointer, e.code, dict(e.params)) for e in errors.items]


def test_a_received_batch_item_needs_a_batch_number():
    assert line_problems(MILK, "6") == [("/lines/2/batch", "batch.required", {"item": "MILK-1L"})]


def test_an_issued_batch_item_may_leave_the_batch_to_fefo():
    assert line_problems(MILK, "6", kind=DocumentType.ISSUE) == []
    assert line_problems(MILK, "6", kind=DocumentType.TRANSFER) == []


def test_an_untracked_item_refuses_a_batch_number():
    assert line_problems(SCREW, "6", batch="B-1") == [
        ("/lines/2/batch", "batch.not_tracked", {"item": "螺丝-M3"})
    ]


def test_a_serial_item_needs_its_serial_numbers():
    assert line_problems(PHONE, "1") == [
        ("/lines/2/serials", "serial.required", {"item": "PHONE-X1"})
    ]


def test_a_serial_item_needs_one_serial_per_unit():
    assert line_problems(PHONE, "3", serials=["SN-001", "SN-002"]) == [
        (
            "/lines/2/serials",
            "serial.count_mismatch",
            {"item": "PHONE-X1", "expected": "3", "given": 2},
        )
    ]


def test_a_serial_given_twice_on_a_line_is_named_once():
    problems = line_problems(PHONE, "3", serials=["SN-001", "SN-002", "SN-001"])

    assert problems == [("/lines/2/serials", "serial.duplicated", {"serials": "SN-001"})]


def test_serials_on_an_untracked_item_are_refused():
    assert line_problems(SCREW, "1", serials=["SN-001"]) == [
        ("/lines/2/serials", "serial.not_tracked", {"item": "螺丝-M3"})
    ]


def test_a_complete_serial_line_has_no_problem():
    assert line_problems(PHONE, "2", serials=["SN-001", "SN-002"]) == []


def test_a_unit_cost_belongs_on_receipts_only():
    errors = ErrorCollector()

    check_line_unit_cost(Decimal("3.50"), DocumentType.ISSUE, "/lines/1", errors)
    check_line_unit_cost(Decimal("-1"), DocumentType.RECEIPT, "/lines/2", errors)
    check_line_unit_cost(None, DocumentType.ISSUE, "/lines/3", errors)
    check_line_unit_cost(Decimal("3.50"), DocumentType.RECEIPT, "/lines/4", errors)

    assert [(e.pointer, e.code) for e in errors.items] == [
        ("/lines/1/unit_cost", "unit_cost.only_on_receipts"),
        ("/lines/2/unit_cost", "unit_cost.negative"),
    ]


# collecting errors -----------------------------------------------------------------------


def test_one_problem_is_raised_as_itself_with_its_pointer():
    errors = ErrorCollector()
    errors.add("/lines/1/item", "item.unknown", item="螺丝-M9")

    with pytest.raises(Invalid) as refused:
        errors.raise_if_any()

    assert type(refused.value) is Invalid
    assert refused.value.code == "item.unknown"
    assert refused.value.params == {"item": "螺丝-M9", "pointer": "/lines/1/item"}
    assert refused.value.items == (ErrorItem("/lines/1/item", "item.unknown", {"item": "螺丝-M9"}),)


def test_several_problems_are_raised_together_in_the_order_found():
    errors = ErrorCollector()
    errors.add("/lines/1/item", "item.unknown", item="螺丝-M9")
    errors.add("/lines/2/quantity", "quantity.not_positive", quantity="0")

    with pytest.raises(InvalidInput) as refused:
        errors.raise_if_any()

    assert refused.value.code == "input.invalid"
    assert refused.value.params == {"count": 2}
    assert [i.pointer for i in refused.value.items] == ["/lines/1/item", "/lines/2/quantity"]


def test_no_problem_raises_nothing():
    ErrorCollector().raise_if_any()


def test_an_error_with_items_is_nested_under_the_pointer_it_is_extended_with():
    errors = ErrorCollector()
    inner = InvalidInput([ErrorItem("/quantity", "quantity.not_positive", {"quantity": "0"})])

    errors.extend(inner, "/lines/3")
    errors.extend(Invalid("unit.not_convertible", {"unit": "吨"}), "/lines/4/unit")

    assert [(e.pointer, e.code) for e in errors.items] == [
        ("/lines/3/quantity", "quantity.not_positive"),
        ("/lines/4/unit", "unit.not_convertible"),
    ]
