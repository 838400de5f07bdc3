"""Channels racing for the last units, on SQLite and PostgreSQL, in real processes and threads.

Three shops (spawned processes, each its own App) approve one-unit sales orders of random
hot items until every item is refused them: each item ends with exactly as many approved
orders as it had units, and nothing is reserved beyond what is on hand. Threads shipping
two deliveries of one order at once deliver no more than was ordered.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from jxc.bootstrap import build
from jxc.config import Settings
from jxc.db import schema as s
from jxc.domain.errors import DomainError, InsufficientStock
from jxc.queries import orders as order_queries
from jxc.queries import stock_levels
from jxc.services import documents, orders, partners
from tests.builders import a_warehouse, an_item, assert_books_balance, receive

CHANNELS = ("TMALL", "JD", "DOUYIN")
ITEMS = 6
UNITS = 3
TIMEOUT = 180


def order_until_sold_out(
    database_url: str, warehouse: str, channel: str, items: list[str], start: Any, results: Any
) -> None:
    """A shop's process: approve 1-unit orders of random items until each is refused."""
    try:
        app = build(Settings(database_url=database_url, user="tester"))
        rng = random.Random(channel)
        wanted, approved = list(items), []
        try:
            start.wait(timeout=TIMEOUT)
            while wanted:
                item = rng.choice(wanted)
                try:
                    documents.create(
                        app.uow(),
                        "tester",
                        {
                            "document_type": "sales_order",
                            "warehouse": warehouse,
                            "partner": channel,
                            "lines": [{"item": item, "quantity": "1", "unit_price": "9.9"}],
                        },
                        then="approve",
                    )
                    approved.append(item)
                except InsufficientStock:
                    wanted.remove(item)
        finally:
            app.dispose()
        results.put(("approved", approved))
    except BaseException:
        results.put(("crashed", traceback.format_exc()))


def test_three_shops_racing_for_the_last_units_of_hot_items_never_oversell(app, database_url):
    warehouse = a_warehouse(app)
    items = [an_item(app).code for _ in range(ITEMS)]
    receive(app, warehouse, *({"item": item, "quantity": str(UNITS)} for item in items))
    for channel in CHANNELS:
        partners.add(
            app.uow(),
            "tester",
            {
                "code": channel,
                "name": channel,
                "kind": "channel",
                "channel_kind": "online",
                "warehouses": [warehouse],
            },
        )
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(CHANNELS))
    results = context.Queue()
    shops = [
        context.Process(
            target=order_until_sold_out,
            args=(database_url, warehouse, channel, items, start, results),
        )
        for channel in CHANNELS
    ]
    for shop in shops:
        shop.start()
    try:
        reports = [results.get(timeout=TIMEOUT) for _ in shops]
    except queue.Empty:
        reports = []
    finally:
        for shop in shops:
            shop.join(timeout=30)
            if shop.is_alive():
                shop.kill()

    assert len(reports) == len(CHANNELS), "every shop reported back"
    crashed = [detail for kind, detail in reports if kind == "crashed"]
    assert not crashed, "\n".join(crashed)
    approved = Counter(item for _, items_approved in reports for item in items_approved)
    assert approved == dict.fromkeys(items, UNITS)
    with app.reader() as connection:
        levels = [stock_levels.on_hand(connection, item, warehouse) for item in items]
        assert stock_levels.over_reserved(connection) == 0
    assert {(level.on_hand, level.reserved) for level in levels} == {
        (Decimal(UNITS), Decimal(UNITS))
    }
    assert_books_balance(app)


def test_two_deliveries_of_one_order_shipping_at_once_deliver_no_more_than_was_ordered(app):
    warehouse = a_warehouse(app)
    item = an_item(app).code
    receive(app, warehouse, {"item": item, "quantity": "10"})
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户", "kind": "customer"})
    number = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_order",
            "warehouse": warehouse,
            "partner": "C1",
            "lines": [{"item": item, "quantity": "4", "unit_price": "1"}],
        },
        then="approve",
    ).number
    by_hand = {  # a second delivery of all 4, made by hand while the first is a draft
        "document_type": "sales_delivery",
        "warehouse": warehouse,
        "source": number,
        "lines": [{"item": item, "quantity": "4", "source_line": 1}],
    }
    drafts = [
        orders.push_down(app.uow(), "tester", number).number,
        documents.create(app.uow(), "tester", by_hand).number,
    ]
    start = threading.Barrier(len(drafts))

    def ship(delivery: str) -> str | DomainError:
        start.wait(timeout=TIMEOUT)
        try:
            return documents.act(app.uow(), "tester", delivery, "ship").state
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
        outcomes = list(pool.map(ship, drafts))

    assert sorted(map(str, outcomes))[-1] == "shipped"
    assert [o for o in outcomes if o == "shipped"] == ["shipped"]
    (refusal,) = [o for o in outcomes if isinstance(o, DomainError)]
    # Whichever it met first: the order done, or its line delivered in full meanwhile.
    assert refusal.code in ("order.not_open", "delivery.over_order")
    with app.reader() as connection:
        (line,) = order_queries.priced_lines(connection, number)
        level = stock_levels.on_hand(connection, item, warehouse)
    assert (line.delivered, level.on_hand, level.reserved) == (Decimal(4), Decimal(6), 0)
    assert_books_balance(app)


def test_two_deliveries_of_different_lines_shipping_at_once_complete_the_order(app):
    warehouse = a_warehouse(app)
    cups, pots = an_item(app).code, an_item(app).code
    receive(app, warehouse, {"item": cups, "quantity": "5"}, {"item": pots, "quantity": "5"})
    partners.add(app.uow(), "tester", {"code": "C2", "name": "客户", "kind": "customer"})
    number = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_order",
            "warehouse": warehouse,
            "partner": "C2",
            "lines": [
                {"item": cups, "quantity": "2", "unit_price": "1"},
                {"item": pots, "quantity": "3", "unit_price": "1"},
            ],
        },
        then="approve",
    ).number
    drafts = [
        documents.create(
            app.uow(),
            "tester",
            {
                "document_type": "sales_delivery",
                "warehouse": warehouse,
                "source": number,
                "lines": [{"item": item, "quantity": quantity}],
            },
        ).number
        for item, quantity in ((cups, "2"), (pots, "3"))
    ]
    start = threading.Barrier(len(drafts))

    def ship(delivery: str) -> str:
        start.wait(timeout=TIMEOUT)
        return documents.act(app.uow(), "tester", delivery, "ship").state

    with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
        assert list(pool.map(ship, drafts)) == ["shipped", "shipped"]

    with app.reader() as connection:
        state = connection.execute(
            select(s.Document.state).where(s.Document.number == number)
        ).scalar_one()
    assert state == "done"  # whichever shipped last saw the other's units delivered
    assert_books_balance(app)
