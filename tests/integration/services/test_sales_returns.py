"""Sales returns (销售退货): back from a shipped delivery, at the cost it went out at.

A return names its delivery (or is pushed down from it), brings back no more than each
line shipped, and only the batches and serials that line took out; its 红冲 makes the
quantity returnable again; the delivery's 毛利 counts returns off both amount and cost.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

from jxc.domain.errors import Conflict, DomainError, Invalid
from jxc.i18n.messages import translate
from jxc.queries import orders as order_queries
from jxc.queries import stock_levels
from jxc.services import documents, fulfilment, orders, partners
from tests.builders import (
    a_sales_order,
    a_warehouse,
    an_item,
    assert_books_balance,
    receive,
    refused,
)


@pytest.fixture
def shipped(app):
    """5 cups at ¥4 and 3 of batch M1 milk at ¥20, sold and shipped to C1."""
    a_warehouse(app, "WH1")
    an_item(app, "杯子")
    an_item(app, "奶粉", tracking="batch", shelf_life_days=720)
    receive(
        app,
        "WH1",
        {"item": "杯子", "quantity": "10", "unit_cost": "4"},
        {
            "item": "奶粉",
            "quantity": "3",
            "unit_cost": "20",
            "batch": "M1",
            "expiry_date": "2097-12-31",
        },
        {
            "item": "奶粉",
            "quantity": "4",
            "unit_cost": "30",
            "batch": "M2",
            "expiry_date": "2098-06-30",
        },
    )
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    order = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_order",
            "warehouse": "WH1",
            "partner": "C1",
            "lines": [
                {"item": "杯子", "quantity": "5", "unit_price": "10"},
                {"item": "奶粉", "quantity": "3", "unit_price": "50"},
            ],
        },
        then="approve",
    ).number
    delivery = orders.push_down(app.uow(), "tester", order, then="ship").number
    return app, delivery


def give_back(app, delivery, *lines, post=True):
    return documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_return",
            "warehouse": "WH1",
            "source": delivery,
            "lines": list(lines),
        },
        post=post,
    )


def stock(app, item):
    with app.reader() as connection:
        return stock_levels.on_hand(connection, item, "WH1").on_hand


def lines_of(app, number):
    with app.reader() as connection:
        return order_queries.priced_lines(connection, number)


def test_a_return_comes_back_at_the_cost_it_went_out_at_and_takes_it_off_the_profit(shipped):
    app, delivery = shipped
    cups, milk = lines_of(app, delivery)
    assert (cups.amount, cups.cost, cups.gross_profit) == (Decimal(50), Decimal(20), Decimal(30))

    returned = give_back(
        app, delivery, {"item": "杯子", "quantity": "2"}, {"item": "奶粉", "quantity": "1"}
    )

    assert returned.state == "posted"
    assert (stock(app, "杯子"), stock(app, "奶粉")) == (Decimal(7), Decimal(5))
    back = lines_of(app, returned.number)
    assert [(line.source_line, line.amount) for line in back] == [
        (1, Decimal(20)),
        (2, Decimal(50)),
    ]
    cups, milk = lines_of(app, delivery)
    assert (cups.returned, cups.gross_profit) == (Decimal(2), Decimal(18))  # 30 − (20 − 8)
    # Milk costs the moving average of both batches, 180/7 a tin: 77.14 out, 25.71 back.
    assert (milk.cost, milk.returned, milk.gross_profit) == (
        Decimal("77.14"),
        Decimal(1),
        Decimal("48.57"),  # (150 − 50) − (77.14 − 25.71)
    )
    with app.reader() as connection:
        from sqlalchemy import select

        from jxc.db import schema as s

        batch = connection.execute(
            select(s.Batch.batch_no)
            .join(s.StockLedgerEntry, s.StockLedgerEntry.batch_id == s.Batch.id)
            .join(s.Document, s.Document.id == s.StockLedgerEntry.document_id)
            .where(s.Document.number == returned.number)
        ).scalar_one()
    assert batch == "M1"  # the one batch the delivery line took out
    assert_books_balance(app)


def test_returning_more_than_was_shipped_is_refused_and_a_reversal_makes_it_returnable(shipped):
    app, delivery = shipped
    first = give_back(app, delivery, {"item": "杯子", "quantity": "4"})

    with refused(app, Invalid) as caught:
        give_back(app, delivery, {"item": "杯子", "quantity": "2"})
    (item,) = caught.value.items
    assert (item.code, item.params["delivered"], item.params["requested"]) == (
        "return.over_shipped",
        "4",
        "2",
    )

    documents.reverse(app.uow(), "tester", first.number, post=True)
    give_back(app, delivery, {"item": "杯子", "quantity": "5"})
    assert stock(app, "杯子") == Decimal(10)
    assert_books_balance(app)


def test_returns_on_their_way_count_against_what_may_still_come_back(shipped):
    app, delivery = shipped  # 5 cups went out
    give_back(app, delivery, {"item": "杯子", "quantity": "1"})
    waiting = give_back(app, delivery, {"item": "杯子", "quantity": "3"}, post=False).number

    with refused(app, Invalid) as caught:
        give_back(app, delivery, {"item": "杯子", "quantity": "2"}, post=False)
    (item,) = caught.value.items
    assert item.code == "return.over_shipped_pending"
    assert (item.params["delivered"], item.params["pending"], item.params["documents"]) == (
        "1",
        "3",
        waiting,
    )
    # the return waiting is edited without its own lines counting against it
    documents.edit(app.uow(), "tester", waiting, {"lines": [{"item": "杯子", "quantity": "4"}]})

    def cups_back(quantity):
        lines = [{"item": "杯子", "quantity": quantity}]
        return {
            "document_type": "sales_return",
            "warehouse": "WH1",
            "source": delivery,
            "lines": lines,
        }

    documents.check(app.uow(), "tester", cups_back("4"), editing=waiting)
    with refused(app, Invalid):  # checked as a new return, the 4 waiting are in the way
        documents.check(app.uow(), "tester", cups_back("1"))
    documents.act(app.uow(), "tester", waiting, "void")
    give_back(app, delivery, {"item": "杯子", "quantity": "4"})  # voided: not on its way
    assert stock(app, "杯子") == Decimal(10)


def test_the_delivery_is_found_as_typed_with_spaces_or_in_lower_case(shipped):
    app, delivery = shipped

    returned = give_back(app, f" {delivery.lower()} ", {"item": "杯子", "quantity": "1"})

    with app.reader() as connection:
        assert order_queries.source_of(connection, returned.number) == delivery


def test_of_each_batch_no_more_comes_back_than_went_out(shipped):
    app, _ = shipped
    both = two_batches_shipped(app)
    waiting = give_back(app, both, {"item": "奶粉", "quantity": "1", "batch": "M3"}, post=False)

    with refused(app, Invalid) as on_the_way:  # the line may take 2 more, batch M3 none
        give_back(app, both, {"item": "奶粉", "quantity": "1", "batch": "M3"})
    documents.act(app.uow(), "tester", waiting.number, "void")
    give_back(app, both, {"item": "奶粉", "quantity": "1", "batch": "M3"})
    with refused(app, Invalid) as posted:
        give_back(app, both, {"item": "奶粉", "quantity": "1", "batch": "M3"})
    give_back(app, both, {"item": "奶粉", "quantity": "2", "batch": "M2"})

    for caught in (on_the_way, posted):
        (item,) = caught.value.items
        assert (item.code, item.params["shipped"], item.params["returned"]) == (
            "return.over_shipped_batch",
            "1",
            "1",
        )
    assert_books_balance(app)


def test_a_delivery_is_reversed_only_once_its_returns_are_reversed_themselves(shipped):
    app, delivery = shipped
    returned = give_back(app, delivery, {"item": "杯子", "quantity": "2"})
    with refused(app, Conflict) as caught:
        documents.reverse(app.uow(), "tester", delivery, post=True)
    assert (caught.value.code, caught.value.params["documents"]) == (
        "document.made_from_it",
        returned.number,
    )

    documents.reverse(app.uow(), "tester", returned.number, post=True)
    documents.reverse(app.uow(), "tester", delivery, post=True)

    assert stock(app, "杯子") == Decimal(10)
    assert_books_balance(app)


def test_a_return_made_while_the_deliverys_reversal_waits_keeps_that_reversal_from_posting(
    shipped,
):
    """Else the cups would come back twice: by the return and by the 红冲."""
    app, delivery = shipped
    reversal = documents.reverse(app.uow(), "tester", delivery).number  # a draft
    returned = give_back(app, delivery, {"item": "杯子", "quantity": "5"})
    before = stock(app, "杯子")

    with refused(app, Conflict) as caught:
        documents.act(app.uow(), "tester", reversal, "post")

    assert (caught.value.code, caught.value.params["documents"]) == (
        "document.made_from_it",
        returned.number,
    )
    assert stock(app, "杯子") == before == Decimal(10)
    assert_books_balance(app)


def test_a_return_racing_the_deliverys_reversal_brings_the_goods_back_once(shipped, monkeypatch):
    """The 红冲 pauses after finding no return; a return posted meanwhile waits for it."""
    app, delivery = shipped
    reversal = documents.reverse(app.uow(), "tester", delivery).number
    checked, found_none = documents._check_nothing_returned, threading.Event()

    def found_none_then_pause(uow, original):
        checked(uow, original)
        found_none.set()
        time.sleep(0.5)  # the return comes in here

    monkeypatch.setattr(documents, "_check_nothing_returned", found_none_then_pause)
    outcomes: dict[str, str] = {}

    def reverse() -> None:
        outcomes["reversal"] = documents.act(app.uow(), "tester", reversal, "post").state

    def give_all_back() -> None:
        assert found_none.wait(10)
        try:
            give_back(app, delivery, {"item": "杯子", "quantity": "5"})
            outcomes["return"] = "posted"
        except DomainError as refusal:  # made or posted only once the 红冲 is in
            outcomes["return"] = refusal.code

    racers = [threading.Thread(target=reverse), threading.Thread(target=give_all_back)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)

    assert outcomes["reversal"] == "posted"
    assert outcomes["return"] in ("order.not_open", "return.delivery_not_shipped"), outcomes
    assert stock(app, "杯子") == Decimal(10)  # the 5 shipped came back once
    assert_books_balance(app)


def two_batches_shipped(app):
    """A delivery of 3 milk that took 1 of batch M3 and 2 of M2 (FEFO)."""
    receive(
        app,
        "WH1",
        {
            "item": "奶粉",
            "quantity": "1",
            "unit_cost": "30",
            "batch": "M3",
            "expiry_date": "2097-01-31",
        },
    )
    order = a_sales_order(app, "WH1", "C1", {"item": "奶粉", "quantity": "3"})
    return orders.push_down(app.uow(), "tester", order, then="ship").number


def test_the_lines_of_one_return_add_up_per_batch(shipped):
    app, _ = shipped
    both = two_batches_shipped(app)
    twice = ({"item": "奶粉", "quantity": "1", "batch": "M3"},) * 2

    with refused(app, Invalid) as caught:
        give_back(app, both, *twice)

    assert [(i.pointer, i.code, i.params["requested"]) for i in caught.value.items] == [
        ("/lines/1/quantity", "return.over_shipped_batch", "2")
    ]


def test_two_returns_of_one_batch_racing_bring_back_only_what_went_out(shipped, monkeypatch):
    """Both pass the check when made (neither sees the other); posting takes turns."""
    app, _ = shipped
    both = two_batches_shipped(app)
    looked, first = fulfilment.on_their_way, threading.Event()

    def look_then_pause(*args, **kwargs):
        found = looked(*args, **kwargs)
        if not first.is_set():
            first.set()
            time.sleep(0.5)  # the other return is made and posted here
        return found

    monkeypatch.setattr(fulfilment, "on_their_way", look_then_pause)
    outcomes: list[str] = []

    def give_one_back() -> None:
        try:
            give_back(app, both, {"item": "奶粉", "quantity": "1", "batch": "M3"})
            outcomes.append("posted")
        except DomainError as refusal:
            outcomes.append(refusal.code if not refusal.items else refusal.items[0].code)

    racers = [threading.Thread(target=give_one_back) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)

    assert sorted(outcomes) == ["posted", "return.over_shipped_batch"], outcomes
    with app.reader() as connection:
        rows = stock_levels.stock_rows(connection, "WH1", item="奶粉")
    assert {r.batch: r.on_hand for r in rows}["M3"] == Decimal(1)  # the one that went out
    assert_books_balance(app)


def test_a_return_of_a_batch_the_delivery_did_not_take_out_is_refused(shipped):
    app, delivery = shipped

    with refused(app, Invalid) as caught:
        give_back(app, delivery, {"item": "奶粉", "quantity": "1", "batch": "M2"})

    assert [(i.pointer, i.code) for i in caught.value.items] == [
        ("/lines/1/batch", "return.batch_not_shipped")
    ]


def test_a_return_needs_a_shipped_delivery_and_the_delivery_keeps_its_returns(shipped):
    app, delivery = shipped
    with refused(app, Invalid) as caught:
        documents.create(
            app.uow(),
            "tester",
            {
                "document_type": "sales_return",
                "warehouse": "WH1",
                "lines": [{"item": "杯子", "quantity": "1"}],
            },
        )
    assert [i.code for i in caught.value.items] == ["order.required"]
    with refused(app, Invalid) as caught:
        give_back(app, "XSCK000", {"item": "杯子", "quantity": "1"})
    assert [i.code for i in caught.value.items] == ["order.unknown"]
    a_receipt = receive(app, "WH1", {"item": "杯子", "quantity": "1", "unit_cost": "1"}).number
    with refused(app, Invalid) as caught:
        give_back(app, a_receipt, {"item": "杯子", "quantity": "1"})
    (wrong,) = caught.value.items
    assert translate(wrong.code, "zh_CN", **wrong.params) == f"{a_receipt} 是入库单，不是销售出库单"

    give_back(app, delivery, {"item": "杯子", "quantity": "1"})
    with refused(app, Conflict) as caught:
        documents.reverse(app.uow(), "tester", delivery, post=True)
    assert caught.value.code == "document.made_from_it"


def test_push_down_makes_a_return_of_everything_shipped(shipped):
    app, delivery = shipped

    made = orders.push_down(app.uow(), "tester", delivery, then="post")

    assert made.lines == 2
    assert (stock(app, "杯子"), stock(app, "奶粉")) == (Decimal(10), Decimal(7))
    with pytest.raises(Conflict) as caught:
        orders.push_down(app.uow(), "tester", delivery)
    assert caught.value.code == "order.nothing_open"


def test_a_line_returned_whole_has_no_profit_left_whatever_its_returns_round_to(shipped):
    """Two tins at ¥120 with 13% tax are 212.39 without it; each returned alone is 106.19."""
    app, _ = shipped
    tins = {"item": "杯子", "quantity": "2", "unit_price": "120", "tax_rate": "13"}
    order = a_sales_order(app, "WH1", "C1", tins)
    delivery = orders.push_down(app.uow(), "tester", order, then="ship").number
    first = give_back(app, delivery, {"item": "杯子", "quantity": "1"})
    (sold,) = lines_of(app, delivery)
    assert (sold.amount, lines_of(app, first.number)[0].amount) == (
        Decimal("212.39"),
        Decimal("106.19"),
    )
    assert sold.gross_profit == Decimal("106.20") - Decimal(4)  # one tin still sold

    give_back(app, delivery, {"item": "杯子", "quantity": "1"})

    (sold,) = lines_of(app, delivery)
    assert (sold.returned, sold.gross_profit, sold.gross_margin) == (2, 0, None)
