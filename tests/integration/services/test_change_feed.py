"""The change feed (变更流): what a shop integration polls for what changed since its cursor.

Every posting and every reservation of an item is numbered in commit order, so a poller
that keeps its cursor sees each item's last change, and one committed late is never left
behind a cursor already passed, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, select

from jxc.db.schema import Item, StockChange
from jxc.domain.errors import Invalid, NotFound
from jxc.queries import partners as partner_queries
from jxc.services import documents, partners
from tests.builders import a_warehouse, an_item, receive


@pytest.fixture
def shop(app):
    a_warehouse(app, "WH1")
    a_warehouse(app, "WH9")
    for code in ("杯子", "壶", "盘子"):
        an_item(app, code)
    partners.add(
        app.uow(),
        "tester",
        {
            "code": "TMALL",
            "name": "天猫",
            "kind": "channel",
            "channel_kind": "online",
            "warehouses": ["WH1"],
            "safety_buffer": "1",
        },
    )
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户", "kind": "customer"})
    return app


def changes(app, since=0, channel="TMALL"):
    with app.reader() as connection:
        return partner_queries.channel_changes(connection, channel, since)


def test_a_receipt_and_a_reservation_each_move_the_item_on_in_the_feed(shop):
    assert changes(shop).rows == []
    receive(shop, "WH1", {"item": "杯子", "quantity": "10"}, {"item": "壶", "quantity": "2"})

    first = changes(shop)
    assert {(r.item, r.available, r.sellable) for r in first.rows} == {
        ("杯子", Decimal(10), Decimal(9)),
        ("壶", Decimal(2), Decimal(1)),
    }
    assert changes(shop, first.cursor).rows == []

    documents.create(
        shop.uow(),
        "tester",
        {
            "document_type": "sales_order",
            "warehouse": "WH1",
            "partner": "TMALL",
            "lines": [{"item": "杯子", "quantity": "4", "unit_price": "9"}],
        },
        then="approve",
    )
    second = changes(shop, first.cursor)
    ((item, sellable, sequence),) = [(r.item, r.sellable, r.sequence) for r in second.rows]
    assert (item, sellable) == ("杯子", Decimal(5))
    assert sequence > first.cursor == min(r.sequence for r in first.rows)
    assert second.cursor == sequence
    assert not second.more


def test_an_unknown_channel_or_a_partner_that_is_not_one_is_refused(shop):
    with pytest.raises(NotFound):
        changes(shop, channel="NOPE")
    with pytest.raises(Invalid):
        changes(shop, channel="C1")


def test_a_poller_racing_the_writers_misses_no_items_last_change(shop):
    items = ("杯子", "壶", "盘子")
    receive(shop, "WH1", *({"item": item, "quantity": "50"} for item in items))
    seen: dict[str, tuple[int, Decimal]] = {}
    cursor = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal cursor
        found = changes(shop, cursor)
        for row in found.rows:
            if row.sequence >= seen.get(row.item, (0, Decimal(0)))[0]:
                seen[row.item] = (row.sequence, row.sellable)
        cursor = found.cursor

    def poller() -> None:
        while not done.is_set():
            poll()

    def writer(index: int) -> None:
        rng = random.Random(index)
        for _ in range(12):
            item = rng.choice(items)
            kind = rng.choice(["receipt", "issue"])
            documents.create(
                shop.uow(),
                "tester",
                {
                    "document_type": kind,
                    "warehouse": "WH1",
                    "lines": [{"item": item, "quantity": "1"}],
                },
                post=True,
            )

    watcher = threading.Thread(target=poller)
    watcher.start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(writer, range(4)))
    done.set()
    watcher.join()
    poll()  # the shop's next sync after the rush

    with shop.reader() as connection:
        now = {r.item: r.sellable for r in partner_queries.channel_stock(connection, "TMALL")}
    assert {item: sellable for item, (_, sellable) in seen.items()} == now


def test_each_row_names_the_warehouse_that_changed_with_its_own_and_the_channels_figures(shop):
    a_warehouse(shop, "WH2")
    partners.add(
        shop.uow(),
        "tester",
        {
            "code": "JD",
            "name": "京东",
            "kind": "channel",
            "channel_kind": "online",
            "warehouses": ["WH1", "WH2"],
            "safety_buffer": "2",
        },
    )
    receive(shop, "WH1", {"item": "杯子", "quantity": "10"}, {"item": "壶", "quantity": "3"})
    first = changes(shop, channel="JD")
    receive(shop, "WH2", {"item": "杯子", "quantity": "4"})
    receive(shop, "WH9", {"item": "壶", "quantity": "5"})  # JD does not sell from WH9

    second = changes(shop, first.cursor, channel="JD")

    assert {(r.item, r.warehouse, r.warehouse_available) for r in first.rows} == {
        ("杯子", "WH1", Decimal(10)),
        ("壶", "WH1", Decimal(3)),
    }
    ((row),) = second.rows
    assert (row.item, row.warehouse, row.warehouse_available) == ("杯子", "WH2", Decimal(4))
    assert (row.available, row.sellable) == (Decimal(14), Decimal(12))
    assert row.sequence > max(r.sequence for r in first.rows)


def test_a_change_logged_before_the_feed_named_warehouses_shows_in_each_of_them(shop):
    receive(shop, "WH1", {"item": "杯子", "quantity": "10"})
    with shop.engine.begin() as connection:
        connection.execute(delete(StockChange))
        item_id = connection.execute(select(Item.id).where(Item.code == "杯子")).scalar_one()
        connection.execute(insert(StockChange).values(sequence=1, item_ids=[item_id]))

    ((row),) = changes(shop).rows

    assert (row.item, row.warehouse, row.warehouse_available, row.sequence) == (
        "杯子",
        "WH1",
        Decimal(10),
        1,
    )
