"""Counters scanning the same shelf at once, an approval racing a cancel, and a 盘亏 taking
back an order's hold while the order is closed, in real threads on SQLite and PostgreSQL:
no scan is lost or counted twice, exactly one of the two finishes the stocktake (the other
is refused, nothing posted twice or half), and what is reserved stays the sum of the holds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from jxc.domain.errors import DomainError
from jxc.queries import stock_levels
from jxc.services import documents, partners, stocktakes
from tests.builders import (
    a_sales_order,
    a_user,
    a_warehouse,
    an_item,
    assert_books_balance,
    receive,
)

COUNTERS = 6
SCANS = 5
ROUNDS = 6


def test_counters_scanning_one_shelf_at_once_lose_no_scan(app):
    warehouse, item = a_warehouse(app), an_item(app).code
    receive(app, warehouse, {"item": item, "quantity": "100", "unit_cost": "1"})
    for index in range(COUNTERS):
        a_user(app, f"counter{index}", "warehouse_clerk")
    number = stocktakes.plan(app.uow(), "tester", {"warehouse": warehouse}).number
    stocktakes.start(app.uow(), "tester", number)

    def scan_all(index: int) -> None:
        for scan in range(SCANS):
            for _ in range(2):  # every scan read twice by the scanner
                stocktakes.count(
                    app.uow(),
                    f"counter{index}",
                    number,
                    {"mode": "add", "lines": [{"item": item, "quantity": "1"}]},
                    request_id=f"{number}:{index}:{scan}",
                )

    with ThreadPoolExecutor(max_workers=COUNTERS) as pool:
        list(pool.map(scan_all, range(COUNTERS)))

    (line,) = stocktakes.view(app.uow(), "tester", number).lines
    assert line.line.counted == COUNTERS * SCANS


def test_an_approval_racing_a_cancel_finishes_the_stocktake_once(app):
    warehouse, item = a_warehouse(app), an_item(app).code
    receive(app, warehouse, {"item": item, "quantity": "10", "unit_cost": "1"})
    a_user(app, "counter", "warehouse_clerk")
    a_user(app, "boss", "warehouse_manager")
    number = stocktakes.plan(
        app.uow(), "boss", {"warehouse": warehouse, "tolerance_percent": "100"}
    ).number
    stocktakes.start(app.uow(), "boss", number)
    stocktakes.count(app.uow(), "counter", number, {"lines": [{"item": item, "quantity": "8"}]})
    stocktakes.hand_in(app.uow(), "counter", number)

    def approve() -> str:
        try:
            return stocktakes.approve(app.uow(), "boss", number).state
        except DomainError as error:
            return error.code

    def cancel() -> str:
        try:
            return stocktakes.cancel(app.uow(), "boss", number, "改期").state
        except DomainError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(lambda step: step(), (approve, cancel)))

    # One of them wins; the other finds the stocktake already finished.
    assert outcomes in (
        ["approved", "stocktake.wrong_state"],
        ["cancelled", "stocktake.wrong_state"],
    )
    with app.reader() as connection:
        on_hand = stock_levels.on_hand(connection, item, warehouse).on_hand
    assert on_hand == (Decimal(8) if "approved" in outcomes else Decimal(10))
    assert_books_balance(app)


def test_a_loss_taking_back_a_hold_while_its_order_closes_leaves_reserved_the_sum_of_holds(app):
    a_user(app, "counter", "warehouse_clerk")
    a_user(app, "boss", "warehouse_manager")
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    for _ in range(ROUNDS):  # a warehouse of its own each round: one item counted
        warehouse, item = a_warehouse(app), an_item(app).code
        receive(app, warehouse, {"item": item, "quantity": "10", "unit_cost": "1"})
        order = a_sales_order(app, warehouse, "C1", {"item": item, "quantity": "8"})
        plan = {"warehouse": warehouse, "tolerance_percent": "100"}
        number = stocktakes.plan(app.uow(), "boss", plan).number
        stocktakes.start(app.uow(), "boss", number)
        counted = {"lines": [{"item": item, "quantity": "4"}]}  # 6 gone, 4 of them held
        stocktakes.count(app.uow(), "counter", number, counted)
        stocktakes.hand_in(app.uow(), "counter", number)

        def approve(number: str = number) -> None:
            stocktakes.approve(app.uow(), "boss", number)

        def close(order: str = order) -> None:
            documents.act(app.uow(), "tester", order, "close", reason="客户取消")

        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [pool.submit(approve), pool.submit(close)]:
                done.result()

        with app.reader() as connection:
            level = stock_levels.on_hand(connection, item, warehouse)
        assert (level.on_hand, level.reserved) == (Decimal(4), Decimal(0))
    assert_books_balance(app)
