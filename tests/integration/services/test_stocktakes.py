"""盘点 as the warehouse does it: plan → start (freeze) → count blind → hand in → recount →
approve into 盘盈 / 盘亏, while receipts and issues go on during the count.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from jxc.db import schema as s
from jxc.domain.errors import Conflict, Forbidden, InsufficientStock, Invalid, NotFound
from jxc.i18n.messages import translate
from jxc.queries import audit, stock_levels
from jxc.queries import documents as document_queries
from jxc.services import catalog, documents, orders, partners, stocktakes, workflows
from tests.builders import (
    a_sales_order,
    a_user,
    a_warehouse,
    an_item,
    assert_books_balance,
    issue,
    receive,
    refused,
    snapshot,
)


@pytest.fixture
def store(app):
    a_warehouse(app, "WH1")
    catalog.add_location(app.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "A01"})
    catalog.add_location(app.uow(), "tester", {"warehouse": "WH1", "code": "B-01", "name": "B01"})
    an_item(app, "螺丝", category="五金")
    an_item(app, "螺母", category="五金")
    an_item(app, "胶水", category="化工", tracking="batch", shelf_life_days=365)
    receive(app, "WH1", {"item": "螺丝", "quantity": "10", "unit_cost": "2", "location": "A-01"})
    receive(app, "WH1", {"item": "螺母", "quantity": "20", "unit_cost": "0.5", "location": "A-01"})
    receive(
        app,
        "WH1",
        {
            "item": "胶水",
            "quantity": "5",
            "unit_cost": "10",
            "location": "B-01",
            "batch": "G1",
            "production_date": "2026-11-01",
        },
    )
    a_user(app, "counter1", "warehouse_clerk", "WH1")
    a_user(app, "counter2", "warehouse_clerk", "WH1")
    a_user(app, "boss", "warehouse_manager", "WH1")
    return app


def planned(app, **plan):
    number = stocktakes.plan(app.uow(), "boss", {"warehouse": "WH1", **plan}).number
    stocktakes.start(app.uow(), "boss", number)
    return number


def count(app, number, *lines, actor="counter1", mode="set", request_id=None):
    return stocktakes.count(
        app.uow(), actor, number, {"mode": mode, "lines": list(lines)}, request_id=request_id
    )


def on_hand(app, item, location):
    with app.reader() as connection:
        rows = stock_levels.stock_rows(connection, item=item, warehouse="WH1")
    return sum((r.on_hand for r in rows if r.location == location), Decimal(0))


def test_a_blind_count_posts_gains_and_losses_at_the_current_cost(store):
    number = planned(store)
    counter_view = stocktakes.view(store.uow(), "counter1", number)
    assert not counter_view.shows_book
    assert {row.label for row in counter_view.lines} == {"螺丝@A-01", "螺母@A-01", "胶水@B-01/G1"}
    assert all(row.line.book_quantity is None for row in counter_view.lines)
    assert stocktakes.view(store.uow(), "boss", number).shows_book

    count(store, number, {"item": "螺丝", "quantity": "12", "location": "A-01"})
    count(store, number, {"item": "螺母", "quantity": "17", "location": "A-01"})
    count(store, number, {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"})
    handed = stocktakes.hand_in(store.uow(), "counter1", number)
    assert handed.recounts == 2  # both differences are over the default 5 %
    for item, quantity in (("螺丝", "12"), ("螺母", "17")):
        count(
            store,
            number,
            {"item": item, "quantity": quantity, "location": "A-01"},
            actor="counter2",
        )

    result = stocktakes.approve(store.uow(), "boss", number)

    assert result.state == "approved"
    assert on_hand(store, "螺丝", "A-01") == 12
    assert on_hand(store, "螺母", "A-01") == 17
    with store.reader() as connection:
        gain, gain_lines = document_queries.document(connection, result.gain)
        loss, loss_lines = document_queries.document(connection, result.loss)
    assert (gain.document_type, gain.note) == ("receipt", f"盘盈 {number}")
    assert (loss.document_type, loss.note) == ("issue", f"盘亏 {number}")
    assert [(line.item, line.base_quantity, line.unit_cost) for line in gain_lines] == [
        ("螺丝", Decimal(2), Decimal(2))
    ]
    assert [(line.item, line.base_quantity) for line in loss_lines] == [("螺母", Decimal(3))]
    assert_books_balance(store)


def test_moves_during_the_count_are_not_differences(store):
    number = planned(store, tolerance_percent="100")
    issue(store, "WH1", {"item": "螺丝", "quantity": "3", "location": "A-01"})  # before the count
    count(store, number, {"item": "螺丝", "quantity": "6", "location": "A-01"})  # one missing
    receive(store, "WH1", {"item": "螺母", "quantity": "5", "unit_cost": "0.5", "location": "A-01"})
    count(store, number, {"item": "螺母", "quantity": "25", "location": "A-01"})  # all there
    count(store, number, {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"})
    issue(store, "WH1", {"item": "螺母", "quantity": "4", "location": "A-01"})  # after the count
    stocktakes.hand_in(store.uow(), "counter1", number)

    result = stocktakes.approve(store.uow(), "boss", number)

    assert result.gain is None
    assert on_hand(store, "螺丝", "A-01") == 6  # 10 frozen − 3 issued − 1 lost
    assert on_hand(store, "螺母", "A-01") == 21  # the count was right; 4 left after it
    with store.reader() as connection:
        _, lines = document_queries.document(connection, result.loss)
    assert [(line.item, line.base_quantity) for line in lines] == [("螺丝", Decimal(1))]
    assert_books_balance(store)


def test_goods_found_where_the_book_has_none_are_a_gain(store):
    number = planned(store, tolerance_percent="100")
    count(
        store,
        number,
        {"item": "螺丝", "quantity": "10", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"},
        {"item": "螺丝", "quantity": "2", "location": "B-01"},
    )
    stocktakes.hand_in(store.uow(), "counter1", number)
    view = stocktakes.view(store.uow(), "boss", number)
    assert [row.line.recounted is None and row.line.needs_recount for row in view.lines].count(
        True
    ) == 1  # a find on an empty line is always recounted
    count(store, number, {"item": "螺丝", "quantity": "2", "location": "B-01"}, actor="counter2")

    result = stocktakes.approve(store.uow(), "boss", number)

    assert result.loss is None
    assert on_hand(store, "螺丝", "B-01") == 2
    assert_books_balance(store)


def test_goods_of_a_batch_the_books_never_had_are_counted_and_come_in_as_that_batch(store):
    number = planned(store, tolerance_percent="100")
    count(
        store,
        number,
        {"item": "螺丝", "quantity": "10", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"},
        {
            "item": "胶水",
            "quantity": "3",
            "location": "B-01",
            "batch": "G2",
            "expiry_date": "2027-10-01",
        },
    )
    stocktakes.hand_in(store.uow(), "counter1", number)
    # the recount names the batch alone: it is known now
    count(
        store,
        number,
        {"item": "胶水", "quantity": "3", "location": "B-01", "batch": "G2"},
        actor="counter2",
    )

    result = stocktakes.approve(store.uow(), "boss", number)

    assert result.loss is None
    with store.reader() as connection:
        rows = stock_levels.stock_rows(connection, item="胶水", warehouse="WH1")
    assert [(r.batch, r.on_hand, r.expiry_date.isoformat()) for r in rows] == [
        ("G2", 3, "2027-10-01"),  # earliest expiry first
        ("G1", 5, "2027-11-01"),
    ]
    with store.reader() as connection:
        _, gain_lines = document_queries.document(connection, result.gain)
    assert [(line.item, line.batch, line.base_quantity) for line in gain_lines] == [
        ("胶水", "G2", Decimal(3))
    ]
    assert_books_balance(store)


def test_a_batch_the_books_never_had_needs_its_dates_and_goods_found(store):
    number = planned(store)
    before = snapshot(store)

    with refused(store, Invalid) as caught:
        count(
            store,
            number,
            {"item": "胶水", "quantity": "3", "location": "B-01", "batch": "G2"},
            {
                "item": "胶水",
                "quantity": "0",
                "location": "B-01",
                "batch": "G3",
                "expiry_date": "2027-10-01",
            },
            {
                "item": "胶水",
                "quantity": "1",
                "location": "B-01",
                "batch": "G4",
                "production_date": "2026-10-01",
                "expiry_date": "2026-01-01",
            },
            {"item": "螺丝", "quantity": "1", "location": "A-01", "expiry_date": "2027-10-01"},
            {
                "item": "胶水",
                "quantity": "2",
                "location": "B-01",
                "batch": "G5",
                "expiry_date": "2027-10-01",
            },
            {  # goods on the shelf cannot have been made tomorrow
                "item": "胶水",
                "quantity": "1",
                "location": "B-01",
                "batch": "G6",
                "production_date": "2099-01-01",
                "expiry_date": "2099-12-31",
            },
        )

    assert [(item.pointer, item.code) for item in caught.value.items] == [
        ("/lines/1/batch", "batch.date_required"),
        ("/lines/2/batch", "batch.unknown"),
        ("/lines/3/batch", "batch.expiry_before_production"),
        ("/lines/4/batch", "batch.dates_without_batch"),
        ("/lines/6/production_date", "batch.produced_after_date"),
    ]
    assert snapshot(store) == before  # nor was G5, the one good line, created


def test_scans_add_up_and_a_replayed_scan_counts_once(store):
    number = planned(store)
    for request in ("scan-1", "scan-2", "scan-2"):
        count(
            store,
            number,
            {"item": "螺丝", "quantity": "5", "location": "A-01"},
            mode="add",
            request_id=request,
        )
    view = stocktakes.view(store.uow(), "boss", number)
    assert {row.label: row.line.counted for row in view.lines}["螺丝@A-01"] == 10


def test_approval_waits_for_every_line_and_names_the_missing(store):
    number = planned(store)
    count(store, number, {"item": "螺丝", "quantity": "10", "location": "A-01"})
    with refused(store, Conflict) as caught:
        stocktakes.hand_in(store.uow(), "counter1", number)
    assert caught.value.code == "stocktake.lines_not_counted"
    assert caught.value.params["lines"] == "螺母@A-01, 胶水@B-01/G1"

    count(store, number, {"item": "螺母", "quantity": "0", "location": "A-01"})
    count(store, number, {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"})
    stocktakes.hand_in(store.uow(), "counter1", number)
    with refused(store, Conflict) as caught:
        stocktakes.approve(store.uow(), "boss", number)
    assert caught.value.code == "stocktake.lines_awaiting_recount"
    assert caught.value.params["lines"] == "螺母@A-01"


def test_bad_counts_are_refused_whole_and_named(store):
    number = planned(store, category="五金")
    with refused(store, Invalid) as caught:
        count(
            store,
            number,
            {"item": "螺丝", "quantity": "-1", "location": "A-01"},
            {"item": "胶水", "quantity": "1", "location": "B-01", "batch": "G1"},
            {"item": "无此商品", "quantity": "1"},
            {"item": "螺母", "quantity": "1", "location": "Z-99"},
            {"item": "螺母", "quantity": "1", "unit": "箱", "location": "A-01"},
        )
    codes = {(item.pointer, item.code) for item in caught.value.items}
    assert codes == {
        ("/lines/1/quantity", "stocktake.count_negative"),
        ("/lines/2", "stocktake.item_not_in_plan"),
        ("/lines/3/item", "item.unknown"),
        ("/lines/4/location", "location.unknown"),
        ("/lines/5/unit", "unit.not_convertible"),
    }


def test_a_count_with_a_typo_is_refused_naming_the_other_lines_problems_too(store):
    number = planned(store, category="五金")
    with refused(store, Invalid) as caught:
        count(
            store,
            number,
            {"item": "螺丝", "quantity": "1", "location": "A-01"},
            {"item": "螺母", "quantity": "5O", "location": "A-01"},
            {"item": "无此商品", "quantity": "1"},
            {"item": "螺丝", "quantity": "-1", "location": "A-01"},
        )
    assert [(item.pointer, item.code) for item in caught.value.items] == [
        ("/lines/2/quantity", "number.invalid"),
        ("/lines/3/item", "item.unknown"),
        ("/lines/4/quantity", "stocktake.count_negative"),
    ]


def test_a_recount_is_someone_elses(store):
    number = planned(store, tolerance_percent="0")
    count(
        store,
        number,
        {"item": "螺丝", "quantity": "9", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"},
    )
    assert stocktakes.hand_in(store.uow(), "counter1", number).recounts == 1
    with refused(store, Invalid) as caught:
        count(store, number, {"item": "螺丝", "quantity": "9", "location": "A-01"})
    assert caught.value.items[0].code == "stocktake.same_counter"
    with refused(store, Invalid) as caught:
        count(
            store, number, {"item": "螺母", "quantity": "20", "location": "A-01"}, actor="counter2"
        )
    assert caught.value.items[0].code == "stocktake.line_not_for_recount"
    with refused(store, Invalid) as caught:  # the screws, scanned on the wrong shelf
        count(
            store, number, {"item": "螺丝", "quantity": "10", "location": "B-01"}, actor="counter2"
        )
    [wrong_shelf] = caught.value.items
    assert translate(wrong_shelf.code, "zh_CN", **wrong_shelf.params).endswith(
        "；待复盘的是 螺丝@A-01"
    )
    count(store, number, {"item": "螺丝", "quantity": "10", "location": "A-01"}, actor="counter2")

    result = stocktakes.approve(store.uow(), "boss", number)

    assert (result.gain, result.loss) == (None, None)  # the recount found them all


def test_who_may_do_what(store):
    a_user(store, "seller", "sales")
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    with refused(store, Forbidden):
        stocktakes.plan(store.uow(), "counter1", {"warehouse": "WH1"})
    with refused(store, Conflict) as caught:
        count(store, number, {"item": "螺丝", "quantity": "1", "location": "A-01"})
    assert caught.value.code == "stocktake.wrong_state"  # not started: nothing frozen yet
    stocktakes.start(store.uow(), "boss", number)
    with refused(store, Forbidden):
        count(store, number, {"item": "螺丝", "quantity": "1", "location": "A-01"}, actor="seller")
    count(
        store,
        number,
        {"item": "螺丝", "quantity": "10", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"},
        actor="boss",
    )
    stocktakes.hand_in(store.uow(), "boss", number)
    assert stocktakes.awaiting_approval(store.uow(), "boss") == []  # boss counted it
    assert [row.number for row in stocktakes.awaiting_approval(store.uow(), "tester")] == [number]
    assert stocktakes.awaiting_approval(store.uow(), "counter1") == []
    with refused(store, Forbidden):
        stocktakes.approve(store.uow(), "counter1", number)
    with refused(store, Forbidden) as caught:
        stocktakes.approve(store.uow(), "boss", number)
    assert caught.value.code == "stocktake.approver_counted"
    stocktakes.approve(store.uow(), "tester", number)
    with refused(store, Conflict) as caught:
        count(store, number, {"item": "螺丝", "quantity": "1", "location": "A-01"})
    assert caught.value.code == "stocktake.wrong_state"
    with refused(store, NotFound):
        stocktakes.approve(store.uow(), "boss", "PD000")


def test_a_cycle_count_by_abc_class_counts_by_stock_value(store):
    # ¥80 in stock: 胶水 ¥50 starts A, 螺丝 ¥20 starts at 62.5 % (A), 螺母 ¥10 at 87.5 % (B)
    a_class = planned(store, abc_class="A")
    b_class = planned(store, abc_class="B")
    assert {row.item for row in stocktakes.view(store.uow(), "boss", a_class).lines} == {
        "胶水",
        "螺丝",
    }
    assert {row.item for row in stocktakes.view(store.uow(), "boss", b_class).lines} == {"螺母"}
    with refused(store, Invalid) as caught:
        count(store, b_class, {"item": "螺丝", "quantity": "1", "location": "A-01"})
    assert caught.value.items[0].code == "stocktake.item_not_in_plan"


def test_items_counted_lately_are_left_out_of_a_cycle_count(store):
    first = planned(store, category="化工", tolerance_percent="100")
    count(store, first, {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"})
    stocktakes.hand_in(store.uow(), "counter1", first)
    stocktakes.approve(store.uow(), "boss", first)

    number = planned(store, not_counted_days=30)

    assert {row.item for row in stocktakes.view(store.uow(), "boss", number).lines} == {
        "螺丝",
        "螺母",
    }


def test_a_cancelled_stocktake_takes_no_more_counts(store):
    number = planned(store)
    with refused(store, Invalid):
        stocktakes.cancel(store.uow(), "boss", number, " ")
    stocktakes.cancel(store.uow(), "boss", number, "盘点日改期")
    with refused(store, Conflict):
        count(store, number, {"item": "螺丝", "quantity": "1", "location": "A-01"})
    assert [row.state for row in stocktakes.listing(store.uow(), "boss")] == ["cancelled"]


def test_two_stocktakes_may_not_count_one_shelf_at_once(store):
    first = planned(store, category="五金")
    second = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    with refused(store, Conflict) as caught:
        stocktakes.start(store.uow(), "boss", second)
    assert caught.value.code == "stocktake.overlaps"
    assert caught.value.params["other"] == first
    other_items = planned(store, category="化工")  # other items of the same shelves: fine
    assert stocktakes.view(store.uow(), "boss", other_items).stocktake.state == "counting"


def test_a_blind_recounter_sees_neither_the_book_nor_the_first_count(store):
    number = planned(store, tolerance_percent="0")
    count(
        store,
        number,
        {"item": "螺丝", "quantity": "9", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"},
    )
    stocktakes.hand_in(store.uow(), "counter1", number)
    seen = {row.item: row.line for row in stocktakes.view(store.uow(), "counter2", number).lines}
    assert (seen["螺丝"].counted, seen["螺丝"].counted_by, seen["螺丝"].book_quantity) == (
        None,
        None,
        None,
    )
    assert seen["螺丝"].needs_recount
    boss = {row.item: row.line for row in stocktakes.view(store.uow(), "boss", number).lines}
    assert (boss["螺丝"].counted, boss["螺丝"].book_at_count) == (9, 10)


def test_goods_found_of_an_item_without_cost_here_come_in_at_its_average_cost(store):
    a_warehouse(store, "WH2")
    a_user(store, "roamer1", "warehouse_clerk")
    a_user(store, "roamer2", "warehouse_clerk")
    receive(store, "WH2", {"item": "螺丝", "quantity": "4", "unit_cost": "3"})
    number = stocktakes.plan(store.uow(), "tester", {"warehouse": "WH2"}).number
    stocktakes.start(store.uow(), "tester", number)
    stocktakes.count(store.uow(), "roamer1", number, {"lines": [{"item": "螺丝", "quantity": "4"}]})
    # 螺母 was never in WH2: what is found is valued at its cost in WH1 (¥0.5)
    stocktakes.count(store.uow(), "roamer1", number, {"lines": [{"item": "螺母", "quantity": "2"}]})
    stocktakes.hand_in(store.uow(), "roamer1", number)
    stocktakes.count(store.uow(), "roamer2", number, {"lines": [{"item": "螺母", "quantity": "2"}]})
    result = stocktakes.approve(store.uow(), "tester", number)
    with store.reader() as connection:
        _, lines = document_queries.document(connection, result.gain)
    assert [(line.item, line.unit_cost) for line in lines] == [("螺母", Decimal("0.5"))]


@pytest.fixture
def selling(store):
    partners.add(store.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    return store


def sold(app, quantity):
    """An approved sales order for ``quantity`` 螺丝: it holds that much at A-01."""
    return a_sales_order(app, "WH1", "C1", {"item": "螺丝", "quantity": quantity})


def holds(app):
    """What each document holds, by document number."""
    with app.reader() as connection:
        rows = connection.execute(
            select(s.Document.number, func.sum(s.StockReservation.quantity))
            .join(s.Document, s.Document.id == s.StockReservation.document_id)
            .group_by(s.Document.number)
        )
        return {number: Decimal(quantity) for number, quantity in rows}


def counted_and_handed_in(app, screws):
    number = planned(app, tolerance_percent="100")
    count(
        app,
        number,
        {"item": "螺丝", "quantity": screws, "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"},
    )
    stocktakes.hand_in(app.uow(), "counter1", number)
    return number


def test_a_loss_takes_back_what_orders_hold_of_stock_that_is_gone_newest_hold_first(selling):
    older, newer = sold(selling, "5"), sold(selling, "4")  # 9 of the 10 on the shelf held
    number = counted_and_handed_in(selling, "6")  # 4 are gone: 1 was free, 3 were promised

    result = stocktakes.approve(selling.uow(), "boss", number, request_id="approve-1")

    assert on_hand(selling, "螺丝", "A-01") == 6
    assert result.released == [{"document": newer, "line": "螺丝@A-01", "quantity": "3"}]
    assert holds(selling) == {older: Decimal(5), newer: Decimal(1)}
    with selling.reader() as connection:
        level = stock_levels.on_hand(connection, "螺丝", "WH1")
        trail = audit.log(connection, document=newer, action="document.hold_released")
    assert (level.reserved, level.available) == (Decimal(6), Decimal(0))
    assert [(e.actor, e.payload) for e in trail] == [
        ("boss", f'{{"line":"螺丝@A-01","quantity":"3","stocktake":"{number}"}}')
    ]
    assert stocktakes.view(selling.uow(), "boss", number).released == result.released
    replayed = stocktakes.approve(selling.uow(), "boss", number, request_id="approve-1")
    assert replayed == result
    assert holds(selling) == {older: Decimal(5), newer: Decimal(1)}
    assert_books_balance(selling)


def test_a_loss_within_the_free_stock_takes_nothing_back(selling):
    order = sold(selling, "4")
    number = counted_and_handed_in(selling, "7")  # 3 gone, 6 were free

    result = stocktakes.approve(selling.uow(), "boss", number)

    assert result.released == []
    assert holds(selling) == {order: Decimal(4)}
    assert stocktakes.view(selling.uow(), "boss", number).released == []


def test_a_loss_beyond_what_is_on_hand_now_is_refused_and_takes_nothing_back(selling):
    order = sold(selling, "5")
    number = counted_and_handed_in(selling, "2")  # the book said 10: a loss of 8
    # the order ships its 5 after the count: 5 on hand, and the loss of 8 cannot leave
    orders.push_down(selling.uow(), "tester", order, then="ship")
    other = sold(selling, "3")
    before = snapshot(selling)

    with refused(selling, InsufficientStock) as caught:
        stocktakes.approve(selling.uow(), "boss", number)

    assert caught.value.items[0].params["available"] == "5"
    assert snapshot(selling) == before
    assert holds(selling) == {other: Decimal(3)}


@pytest.fixture
def valuable(store):
    """The SOP workflows (an issue over ¥50,000 takes 二级审核) and ¥10,000 motors on A-01.

    An order holds 8 of the 10 motors.
    """
    an_item(store, "电机", category="五金")
    motors = {"item": "电机", "quantity": "10", "unit_cost": "10000", "location": "A-01"}
    receive(store, "WH1", motors)
    partners.add(store.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    store.motor_order = a_sales_order(store, "WH1", "C1", {"item": "电机", "quantity": "8"})
    workflows.use(store.uow(), "tester", "sop")
    a_user(store, "cfo", "finance")
    return store


def counted_motors(app, motors, counter="counter1"):
    number = planned(app, tolerance_percent="100", category="五金")
    count(
        app,
        number,
        {"item": "电机", "quantity": motors, "location": "A-01"},
        {"item": "螺丝", "quantity": "10", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        actor=counter,
    )
    stocktakes.hand_in(app.uow(), counter, number)
    return number


def test_a_loss_worth_more_than_one_approval_may_post_waits_for_finance(valuable):
    number = counted_motors(valuable, "4")  # 6 gone: ¥60,000
    before = snapshot(valuable)

    first = stocktakes.approve(valuable.uow(), "boss", number, request_id="first")

    assert (first.state, first.loss) == ("first_approved", None)
    assert first.second_approval == {
        "value": "60000.00",
        "over": "50000",
        "roles": ["admin", "finance"],
        "difference": "loss",
    }
    after = snapshot(valuable)
    assert (after["on_hand"], after["value"]) == (before["on_hand"], before["value"])
    assert stocktakes.approve(valuable.uow(), "boss", number, request_id="first") == first
    assert not stocktakes.view(valuable.uow(), "boss", number).may_approve
    assert stocktakes.view(valuable.uow(), "cfo", number).may_approve
    with refused(valuable, Forbidden) as caught:
        stocktakes.approve(valuable.uow(), "boss", number)
    assert caught.value.code == "workflow.role_required"

    second = stocktakes.approve(valuable.uow(), "cfo", number)

    assert second.state == "approved"
    assert on_hand(valuable, "电机", "A-01") == 4
    given_back = [{"document": valuable.motor_order, "line": "电机@A-01", "quantity": "4"}]
    assert second.released == given_back
    assert stocktakes.view(valuable.uow(), "boss", number).released == given_back
    assert_books_balance(valuable)


def test_a_gain_worth_more_than_one_approval_may_post_waits_for_finance_too(valuable):
    number = counted_motors(valuable, "16")  # 6 more than the books: ¥60,000 out of nowhere
    before = snapshot(valuable)

    first = stocktakes.approve(valuable.uow(), "boss", number)

    assert (first.state, first.gain) == ("first_approved", None)
    assert first.second_approval == {
        "value": "60000.00",
        "over": "50000",
        "roles": ["admin", "finance"],
        "difference": "gain",
    }
    assert snapshot(valuable)["on_hand"] == before["on_hand"]
    said = translate("label.stocktake_second_approval_gain", "zh_CN", **first.second_approval)
    assert said == "盘盈金额 60000.00 超过 50000，须由管理员、财务二级审核后过账"
    assert stocktakes.approve(valuable.uow(), "cfo", number).state == "approved"
    assert on_hand(valuable, "电机", "A-01") == 16


def awaiting(app, user):
    return [row.number for row in stocktakes.awaiting_approval(app.uow(), user)]


def test_the_first_approver_does_not_give_the_second_approval(valuable):
    a_user(valuable, "chief", "admin")
    a_user(valuable, "sam", "admin")
    number = counted_motors(valuable, "0", counter="sam")
    assert (awaiting(valuable, "chief"), awaiting(valuable, "sam")) == ([number], [])
    stocktakes.approve(valuable.uow(), "chief", number)

    with refused(valuable, Forbidden) as caught:
        stocktakes.approve(valuable.uow(), "chief", number)

    assert caught.value.code == "stocktake.same_approver"
    # finance's to do; not the first approver's, nor that of an admin who counted
    assert [awaiting(valuable, user) for user in ("cfo", "chief", "sam")] == [[number], [], []]
    chiefs_view = stocktakes.view(valuable.uow(), "chief", number)
    assert (chiefs_view.may_approve, chiefs_view.shows_book) == (False, True)
    assert chiefs_view.second_approval == {
        "value": "100000.00",
        "over": "50000",
        "roles": ["admin", "finance"],
        "difference": "loss",
    }
    again = stocktakes.plan(valuable.uow(), "boss", {"warehouse": "WH1"}).number
    with refused(valuable, Conflict) as caught:  # its shelves stay taken meanwhile
        stocktakes.start(valuable.uow(), "boss", again)
    assert caught.value.code == "stocktake.overlaps"
    stocktakes.cancel(valuable.uow(), "boss", number, "重盘")
    assert on_hand(valuable, "电机", "A-01") == 10


def test_a_loss_within_the_limit_posts_on_one_approval(valuable):
    number = counted_motors(valuable, "5")  # ¥50,000: not more than the limit

    result = stocktakes.approve(valuable.uow(), "boss", number)

    assert (result.state, result.second_approval) == ("approved", None)
    assert on_hand(valuable, "电机", "A-01") == 5


def test_whoever_approved_the_count_into_a_loss_does_not_verify_the_loss_too(valuable):
    """The approval posts the 盘亏 as its workflow's 执行 would: its 核对 is someone else's."""
    number = counted_motors(valuable, "5")
    loss = stocktakes.approve(valuable.uow(), "boss", number).loss
    assert loss is not None
    a_user(valuable, "boss2", "warehouse_manager", "WH1")

    with refused(valuable, Forbidden) as caught:
        documents.act(valuable.uow(), "boss", loss, "verify")

    assert [item.code for item in caught.value.items] == ["workflow.same_person"]
    assert documents.act(valuable.uow(), "boss2", loss, "verify").state == "verified"


def test_a_second_approval_begun_is_not_the_first_approvers_when_the_workflow_changes(valuable):
    number = counted_motors(valuable, "4")
    stocktakes.approve(valuable.uow(), "boss", number)
    workflows.use(valuable.uow(), "tester", "simple")  # no 二级审核 any more

    with refused(valuable, Forbidden) as caught:
        stocktakes.approve(valuable.uow(), "boss", number)

    assert caught.value.code == "stocktake.same_approver"
    assert awaiting(valuable, "tester") == [number]  # any approver but the first
    assert stocktakes.approve(valuable.uow(), "tester", number).state == "approved"


def test_a_loss_a_fraction_of_a_cent_over_the_limit_takes_the_second_approval(valuable):
    an_item(valuable, "马达", category="五金")
    workflows.use(valuable.uow(), "tester", "simple")
    # ¥50,000.00 for 3: the average cost is 16,666.666667 a unit
    receive(valuable, "WH1", {"item": "马达", "quantity": "3", "unit_cost": "16666.6667"})
    workflows.use(valuable.uow(), "tester", "sop")
    number = planned(valuable, tolerance_percent="100", category="五金")
    count(
        valuable,
        number,
        {"item": "电机", "quantity": "10", "location": "A-01"},
        {"item": "马达", "quantity": "0"},  # 3 × 16,666.666667 = ¥50,000.000001 gone
        {"item": "螺丝", "quantity": "10", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
    )
    stocktakes.hand_in(valuable.uow(), "counter1", number)

    result = stocktakes.approve(valuable.uow(), "boss", number)

    assert result.state == "first_approved"
    assert result.second_approval["value"] == "50000.00"  # shown to the cent


def test_a_tolerance_not_written_in_digits_is_refused_by_name(store):
    with refused(store, Invalid) as caught:
        stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1", "tolerance_percent": "1e1"})
    assert caught.value.code == "field.not_written_out"
    assert caught.value.params["pointer"] == "/tolerance_percent"


# Serial-tracked goods are counted unit by unit -----------------------------------------


def motors_received(app, location, *serials, warehouse="WH1"):
    line = {"item": "电机", "quantity": str(len(serials)), "unit_cost": "500", "location": location}
    receive(app, warehouse, {**line, "serials": list(serials)})


@pytest.fixture
def motors(store):
    """Three motors booked at A-01 of WH1, one in another warehouse, each by serial."""
    an_item(store, "电机", name="三相电机", tracking="serial", base_unit="台")
    motors_received(store, "A-01", "SN1", "SN2", "SN3")
    a_warehouse(store, "WH2")
    motors_received(store, "STOCK", "SN9", warehouse="WH2")
    return store


def counted_as_booked(app, number, actor="counter1"):
    """The lines other than the motors' counted as the books have them."""
    count(
        app,
        number,
        {"item": "螺丝", "quantity": "10", "location": "A-01"},
        {"item": "螺母", "quantity": "20", "location": "A-01"},
        {"item": "胶水", "quantity": "5", "location": "B-01", "batch": "G1"},
        actor=actor,
    )


def scan_motor(app, number, serial, location="A-01", actor="counter1"):
    return count(
        app,
        number,
        {"item": "电机", "quantity": "1", "location": location, "serials": [serial]},
        actor=actor,
        mode="add",
    )


def serial_places(app, *serials):
    with app.reader() as connection:
        rows = connection.execute(
            select(s.SerialNumber.serial_no, s.Location.code)
            .join(s.Location, s.Location.id == s.SerialNumber.location_id)
            .where(s.SerialNumber.serial_no.in_(serials))
        )
        return dict(rows.all())


def document_serials(app, number):
    with app.reader() as connection:
        _, lines = document_queries.document(connection, number)
    return [(line.location, tuple(line.serials)) for line in lines]


def test_a_serial_scanned_twice_is_one_unit_and_the_second_scan_is_refused(motors):
    number = planned(motors)
    scan_motor(motors, number, "SN1")
    with refused(motors, Invalid) as caught:
        scan_motor(motors, number, "SN1", location="B-01")  # the same unit, read again
    assert (caught.value.code, caught.value.params["location"]) == (
        "stocktake.serial_counted_twice",
        "A-01",
    )
    assert caught.value.items[0].pointer == "/lines/1/serials"
    with refused(motors, Invalid) as caught:
        count(
            motors,
            number,
            {"item": "电机", "quantity": "2", "location": "A-01", "serials": ["SN2", "SN2"]},
            mode="add",
        )
    assert caught.value.code == "serial.duplicated"
    view = stocktakes.view(motors.uow(), "boss", number)
    assert {row.label: row.line.counted for row in view.lines}["电机@A-01"] == 1


def test_serial_goods_need_one_serial_per_unit_counted(motors):
    number = planned(motors)
    with refused(motors, Invalid) as caught:
        count(
            motors,
            number,
            {"item": "电机", "quantity": "3", "location": "A-01"},
            {"item": "电机", "quantity": "2", "location": "B-01", "serials": ["SN1"]},
            {"item": "螺丝", "quantity": "1", "location": "A-01", "serials": ["X1"]},
        )
    assert {(item.pointer, item.code) for item in caught.value.items} == {
        ("/lines/1/serials", "stocktake.serials_needed"),
        ("/lines/2/serials", "serial.count_mismatch"),
        ("/lines/3/serials", "serial.not_tracked"),
    }
    count(motors, number, {"item": "电机", "quantity": "0", "location": "A-01"})  # none found


def test_a_serial_booked_in_another_warehouse_or_at_another_location_is_not_counted_here(
    motors,
):
    motors_received(motors, "B-01", "SN5")
    number = planned(motors, locations=["A-01"])
    with refused(motors, Invalid) as caught:
        count(
            motors,
            number,
            {"item": "电机", "quantity": "2", "location": "A-01", "serials": ["SN9", "SN5"]},
            actor="tester",  # sees both warehouses: told where the books hold SN9
        )
    assert [(item.code, item.params["serial"]) for item in caught.value.items] == [
        ("serial.in_other_warehouse", "SN9"),
        ("stocktake.serial_booked_at", "SN5"),  # outside the count, too
    ]
    assert caught.value.items[0].params["location"] == "WH2/STOCK"
    assert caught.value.items[1].params["location"] == "B-01"
    with refused(motors, Invalid) as caught:
        scan_motor(motors, number, "SN9")  # a clerk of WH1 is not told where WH2 keeps it
    assert caught.value.code == "stocktake.serial_booked_elsewhere"


def test_approval_posts_the_very_units_missing_and_found(motors):
    number = planned(motors)
    counted_as_booked(motors, number)
    for serial in ("SN1", "SN2", "SN4"):  # SN3 is gone; SN4 was never booked in
        scan_motor(motors, number, serial)
    # three units for three booked, but not the same three: counted again before posting
    assert stocktakes.hand_in(motors.uow(), "counter1", number).recounts == 1
    for serial in ("SN4", "SN2", "SN1"):
        scan_motor(motors, number, serial, actor="counter2")
    # the approver sees the very units approval will post; a blind counter does not
    changes = stocktakes.view(motors.uow(), "boss", number).serial_changes
    assert [(c.found_serials, c.missing_serials) for c in changes.values()] == [
        (("SN4",), ("SN3",))
    ]
    assert stocktakes.view(motors.uow(), "counter1", number).serial_changes == {}

    result = stocktakes.approve(motors.uow(), "boss", number)

    assert document_serials(motors, result.loss) == [("A-01", ("SN3",))]
    assert document_serials(motors, result.gain) == [("A-01", ("SN4",))]
    posted = stocktakes.view(motors.uow(), "boss", number).serial_changes  # after, too
    assert [(c.found_serials, c.missing_serials) for c in posted.values()] == [(("SN4",), ("SN3",))]
    assert serial_places(motors, "SN1", "SN2", "SN3", "SN4") == {
        "SN1": "A-01",
        "SN2": "A-01",
        "SN3": "INVENTORY-LOSS",
        "SN4": "A-01",
    }
    assert on_hand(motors, "电机", "A-01") == 3
    assert_books_balance(motors)


def test_a_unit_on_the_wrong_shelf_is_counted_where_the_books_hold_it(motors):
    """Not written off on one shelf and found on another: that would move its value."""
    number = planned(motors)
    with refused(motors, Invalid) as caught:
        scan_motor(motors, number, "SN2", location="B-01")
    assert (caught.value.code, caught.value.params["location"]) == (
        "stocktake.serial_booked_at",
        "A-01",
    )


def test_a_unit_swapped_for_another_takes_nothing_an_order_holds(motors):
    partners.add(motors.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    order = a_sales_order(motors, "WH1", "C1", {"item": "电机", "quantity": "3"})
    number = planned(motors)
    counted_as_booked(motors, number)
    for serial in ("SN1", "SN2", "SN4"):
        scan_motor(motors, number, serial)
    stocktakes.hand_in(motors.uow(), "counter1", number)
    for serial in ("SN1", "SN2", "SN4"):
        scan_motor(motors, number, serial, actor="counter2")

    result = stocktakes.approve(motors.uow(), "boss", number)

    assert result.released == []  # three motors on the shelf, all three still promised
    assert serial_places(motors, "SN3", "SN4") == {"SN3": "INVENTORY-LOSS", "SN4": "A-01"}
    assert on_hand(motors, "电机", "A-01") == 3
    with motors.reader() as connection:
        held = connection.execute(
            select(func.sum(s.StockBalance.reserved))
            .join(s.Item, s.Item.id == s.StockBalance.item_id)
            .where(s.Item.code == "电机")
        ).scalar_one()
    assert held == 3, order


def test_a_unit_sold_after_the_recounter_scanned_it_does_not_come_back(motors):
    number = planned(motors)
    counted_as_booked(motors, number)
    scan_motor(motors, number, "SN1")
    scan_motor(motors, number, "SN2")  # SN3 not found: recount
    assert stocktakes.hand_in(motors.uow(), "counter1", number).recounts == 1
    scan_motor(motors, number, "SN1", actor="counter2")
    issue(motors, "WH1", {"item": "电机", "quantity": "1", "location": "A-01", "serials": ["SN1"]})
    scan_motor(motors, number, "SN2", actor="counter2")  # the line's count is later than the sale
    scan_motor(motors, number, "SN3", actor="counter2")

    result = stocktakes.approve(motors.uow(), "boss", number)

    assert (result.gain, result.loss) == (None, None)
    assert serial_places(motors, "SN1") == {"SN1": "CUSTOMER"}
    assert on_hand(motors, "电机", "A-01") == 2


def test_units_a_document_moves_after_the_count_are_not_differences(motors):
    number = planned(motors)
    counted_as_booked(motors, number)
    for serial in ("SN1", "SN2", "SN3"):
        scan_motor(motors, number, serial)
    issue(motors, "WH1", {"item": "电机", "quantity": "1", "location": "A-01", "serials": ["SN3"]})
    motors_received(motors, "A-01", "SN6")
    stocktakes.hand_in(motors.uow(), "counter1", number)

    result = stocktakes.approve(motors.uow(), "boss", number)

    assert (result.gain, result.loss) == (None, None)
    assert serial_places(motors, "SN3", "SN6") == {"SN3": "CUSTOMER", "SN6": "A-01"}


def test_a_typed_count_replaces_the_serials_counted_before(motors):
    number = planned(motors)
    count(
        motors,
        number,
        {"item": "电机", "quantity": "2", "location": "A-01", "serials": ["SN1", "SN2"]},
    )
    count(motors, number, {"item": "电机", "quantity": "1", "location": "A-01", "serials": ["SN3"]})
    scan_motor(motors, number, "SN1")  # no longer counted: the total replaced it
    view = stocktakes.view(motors.uow(), "boss", number)
    assert {row.label: row.line.counted for row in view.lines}["电机@A-01"] == 2
    assert sorted(next(iter(view.serials.values()))) == ["SN1", "SN3"]


def test_the_recount_counts_each_unit_again(motors):
    number = planned(motors)
    counted_as_booked(motors, number)
    scan_motor(motors, number, "SN1")  # two of three found: over the tolerance
    scan_motor(motors, number, "SN2")
    assert stocktakes.hand_in(motors.uow(), "counter1", number).recounts == 1
    with refused(motors, Invalid) as caught:
        scan_motor(motors, number, "SN1", actor="counter1")
    assert caught.value.code == "stocktake.same_counter"
    for serial in ("SN1", "SN2", "SN3"):  # the recounter finds the third
        scan_motor(motors, number, serial, actor="counter2")

    result = stocktakes.approve(motors.uow(), "boss", number)

    assert (result.gain, result.loss) == (None, None)
    assert serial_places(motors, "SN3") == {"SN3": "A-01"}


def test_serial_lines_counted_before_counts_kept_serials_pass_only_where_they_agree(motors):
    """A count taken before counts kept their serials (a database upgraded mid-count)."""
    number = planned(motors)
    counted_as_booked(motors, number)
    for serial in ("SN1", "SN2", "SN3"):
        scan_motor(motors, number, serial)
    stocktakes.hand_in(motors.uow(), "counter1", number)
    with motors.engine.begin() as connection:
        connection.execute(delete(s.StocktakeSerial))
        connection.execute(
            update(s.StocktakeLine)
            .values(counted=2)
            .where(
                s.StocktakeLine.item_id
                == select(s.Item.id).where(s.Item.code == "电机").scalar_subquery()
            )
        )

    with refused(motors, Conflict) as caught:
        stocktakes.approve(motors.uow(), "boss", number)
    assert caught.value.code == "stocktake.count_serials_again"
    assert caught.value.params["lines"] == "电机@A-01"

    with motors.engine.begin() as connection:
        connection.execute(
            update(s.StocktakeLine)
            .values(counted=3)
            .where(
                s.StocktakeLine.item_id
                == select(s.Item.id).where(s.Item.code == "电机").scalar_subquery()
            )
        )
    result = stocktakes.approve(motors.uow(), "boss", number)
    assert (result.state, result.gain, result.loss) == ("approved", None, None)


def test_a_missing_unit_held_by_an_approved_issue_is_given_back_and_written_off(motors):
    workflows.use(motors.uow(), "tester", "sop")
    a_user(motors, "manager", "warehouse_manager", "WH1")
    line = {"item": "电机", "quantity": "1", "location": "A-01", "serials": ["SN3"]}
    data = {"document_type": "issue", "warehouse": "WH1", "note": "样机", "lines": [line]}
    held = documents.create(motors.uow(), "counter1", data).number
    documents.act(motors.uow(), "counter1", held, "submit")
    documents.act(motors.uow(), "manager", held, "approve")  # SN3 is promised to it
    number = planned(motors)
    counted_as_booked(motors, number)
    scan_motor(motors, number, "SN1")
    scan_motor(motors, number, "SN2")
    stocktakes.hand_in(motors.uow(), "counter1", number)
    scan_motor(motors, number, "SN1", actor="counter2")
    scan_motor(motors, number, "SN2", actor="counter2")

    result = stocktakes.approve(motors.uow(), "boss", number)

    assert result.released == [{"document": held, "line": "电机@A-01 SN3", "quantity": "1"}]
    assert document_serials(motors, result.loss) == [("A-01", ("SN3",))]
    assert serial_places(motors, "SN3") == {"SN3": "INVENTORY-LOSS"}
    with motors.reader() as connection:
        trail = audit.log(connection, document=held, action="document.hold_released")
    assert [json.loads(event.payload)["line"] for event in trail] == ["电机@A-01 SN3"]
    assert_books_balance(motors)


def test_the_approver_is_told_of_a_unit_found_that_the_books_say_was_sold(motors):
    sold = issue(motors, "WH1", {"item": "电机", "quantity": "1", "serials": ["SN3"]}).number
    number = planned(motors)
    for serial in ("SN1", "SN2", "SN3"):  # SN3 is back on the shelf: a return nobody booked
        scan_motor(motors, number, serial)
    counted_as_booked(motors, number)
    assert stocktakes.hand_in(motors.uow(), "counter1", number).recounts == 1
    for serial in ("SN3", "SN2", "SN1"):
        scan_motor(motors, number, serial, actor="counter2")

    view = stocktakes.view(motors.uow(), "boss", number)

    motor_line = next(row.line.id for row in view.lines if row.item == "电机")
    assert view.serial_changes[motor_line].found_serials == ("SN3",)
    [notice] = view.notices[motor_line]
    assert notice.code == "stocktake.found_serial_booked_out"
    assert notice.params["serial"] == "SN3"
    assert notice.params["document"] == sold
    assert notice.params["date"] == motors.today().isoformat()
    assert "SN3" in translate(notice.code, "zh_CN", **notice.params)
    assert not stocktakes.view(motors.uow(), "counter1", number).notices  # blind: no book

    stocktakes.approve(motors.uow(), "boss", number)

    # kept with the approval, though SN3 is in our stock again since
    assert stocktakes.view(motors.uow(), "boss", number).notices == {motor_line: [notice]}


def test_the_approver_is_told_of_goods_of_an_expired_batch_found_on_the_shelf(store):
    old = {"item": "胶水", "quantity": "2", "unit_cost": "10", "location": "B-01"}
    receive(store, "WH1", {**old, "batch": "G0", "production_date": "2024-01-01"})
    number = planned(store)
    counted_as_booked(store, number)
    count(store, number, {"item": "胶水", "quantity": "2", "location": "B-01", "batch": "G0"})

    view = stocktakes.view(store.uow(), "boss", number)

    notices = {row.label: view.notices.get(row.line.id, []) for row in view.lines}
    [notice] = notices["胶水@B-01/G0"]
    assert (notice.code, notice.params) == (
        "stocktake.found_batch_expired",
        {"batch": "G0", "expiry": "2024-12-31"},
    )
    assert notices["胶水@B-01/G1"] == []  # within its shelf life
    assert translate(notice.code, "zh_CN", **notice.params) == (
        "批次 G0 已于 2024-12-31 过期：请隔离存放，不可销售"
    )


def test_a_unit_written_off_before_and_found_is_a_correction_not_a_return(motors):
    lost = {"item": "电机", "quantity": "1", "serials": ["SN3"], "location": "A-01"}
    data = {"document_type": "issue", "warehouse": "WH1", "counterpart": "INVENTORY-LOSS"}
    written_off = documents.create(motors.uow(), "tester", {**data, "lines": [lost]}, post=True)
    number = planned(motors)
    for serial in ("SN1", "SN2", "SN3"):
        scan_motor(motors, number, serial)
    counted_as_booked(motors, number)
    stocktakes.hand_in(motors.uow(), "counter1", number)
    for serial in ("SN3", "SN2", "SN1"):
        scan_motor(motors, number, serial, actor="counter2")

    view = stocktakes.view(motors.uow(), "boss", number)

    [notice] = [n for notices in view.notices.values() for n in notices]
    assert (notice.code, notice.params["document"]) == (
        "stocktake.found_serial_written_off",
        written_off.number,
    )
    assert "本次盘盈会将其重新入账" in translate(notice.code, "zh_CN", **notice.params)
