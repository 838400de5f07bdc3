"""The lists a buyer, a seller and a QC clerk work from, each showing exactly its documents.

在途订单: approved orders not finished, with what was ordered, done and still open. 待检:
purchase receipts whose goods still wait in QC (what left QC counted off the oldest first).
退货: purchase and sales returns with what they return against. Scoped users see their
warehouses only.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.documents import DocumentType
from jxc.queries import order_lists
from jxc.queries.order_lists import ListFilter
from jxc.services import catalog, documents, orders, partners
from tests.builders import a_purchase_order, a_user, a_warehouse, an_item, create, receive


@pytest.fixture
def shop(app):
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    an_item(app, "螺丝", units={"箱": "100"})
    an_item(app, "杯子")
    receive(app, "WH1", {"item": "杯子", "quantity": "10", "unit_cost": "4"})
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    a_user(app, "clerk2", "warehouse_clerk", "WH2")
    return app


def a_sales_order(app, quantity, then="approve"):
    return documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_order",
            "warehouse": "WH1",
            "partner": "C1",
            "lines": [{"item": "杯子", "quantity": quantity, "unit_price": "10"}],
        },
        then=then,
    ).number


def received(app, order, quantity):
    return create(app, "receipt", "WH1", {"item": "螺丝", "quantity": quantity}, source=order)


def test_orders_in_progress_are_the_approved_unfinished_ones_with_their_quantities(shop):
    partly = a_purchase_order(shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "2", "unit": "箱"})
    received(shop, partly, "150")
    untouched = a_purchase_order(shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "30"})
    a_purchase_order(shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "5"}, then=None)
    finished = a_purchase_order(shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "5"})
    received(shop, finished, "5")
    closed = a_purchase_order(shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "5"})
    documents.act(shop.uow(), "tester", closed, "close", reason="供应商缺货")
    elsewhere = a_purchase_order(shop, "WH2", "SUP1", {"item": "螺丝", "quantity": "7"})
    sold = a_sales_order(shop, "6")
    a_sales_order(shop, "1", then=None)  # a draft: not on its way yet

    everything = orders.in_progress(shop.uow(), "tester", ListFilter())
    sales = orders.in_progress(
        shop.uow(), "tester", ListFilter(document_type=DocumentType.SALES_ORDER)
    )
    scoped = orders.in_progress(shop.uow(), "clerk2", ListFilter())

    assert [(r.number, r.ordered, r.done, r.open, r.progress) for r in everything] == [
        (partly, Decimal(200), Decimal(150), Decimal(50), "partially_done"),
        (untouched, Decimal(30), Decimal(0), Decimal(30), "open"),
        (elsewhere, Decimal(7), Decimal(0), Decimal(7), "open"),
        (sold, Decimal(6), Decimal(0), Decimal(6), "open"),
    ]
    assert [r.number for r in sales] == [sold]
    assert [r.number for r in scoped] == [elsewhere]
    page = orders.in_progress(shop.uow(), "tester", ListFilter(limit=2, offset=1))
    assert [r.number for r in page] == [untouched, elsewhere]


def test_an_order_of_goods_in_several_units_shows_no_sum_of_their_quantities(shop):
    an_item(shop, "胶水", base_unit="kg")
    alike = a_purchase_order(
        shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "3"}, {"item": "杯子", "quantity": "2"}
    )
    mixed = a_purchase_order(
        shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "3"}, {"item": "胶水", "quantity": "2.5"}
    )

    found = {r.number: r for r in orders.in_progress(shop.uow(), "tester", ListFilter())}

    assert (found[alike].ordered, found[alike].open, found[alike].unit) == (5, 5, "个")
    assert (found[mixed].ordered, found[mixed].done, found[mixed].open) == (None, None, None)
    assert found[mixed].unit is None
    assert found[mixed].progress == "open"


def test_a_receipt_waits_for_qc_until_its_goods_are_put_away_or_sent_back(shop):
    catalog.add_location(
        shop.uow(), "tester", {"warehouse": "WH1", "code": "QC", "name": "待检区", "usage": "qc"}
    )
    catalog.add_location(shop.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "货架"})
    order = a_purchase_order(shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "300"})
    first = received(shop, order, "100").number
    second = received(shop, order, "50").number
    create(shop, "receipt", "WH1", {"item": "螺丝", "quantity": "9", "unit_cost": "1"})

    def waiting(**narrowed):
        with shop.reader() as connection:
            rows = order_lists.awaiting_qc(connection, ListFilter(**narrowed))
        return [(r.number, r.order, r.received, r.waiting) for r in rows]

    assert waiting() == [
        (first, order, Decimal(100), Decimal(100)),
        (second, order, Decimal(50), Decimal(50)),
    ]
    create(
        shop,
        "putaway",
        "WH1",
        {"item": "螺丝", "quantity": "120", "location": "QC", "to_location": "A-01"},
    )
    create(
        shop,
        "purchase_return",
        "WH1",
        {"item": "螺丝", "quantity": "10", "location": "QC"},
        source=second,
    )

    # 120 accepted: the first receipt's 100 and 20 of the second; 10 of it rejected.
    assert waiting() == [(second, order, Decimal(50), Decimal(20))]
    assert waiting(visible={"WH2"}) == []


def test_returns_name_what_they_return_against(shop):
    order = a_purchase_order(shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "20"})
    receipt = received(shop, order, "20").number
    sent_back = create(
        shop, "purchase_return", "WH1", {"item": "螺丝", "quantity": "3"}, source=receipt
    ).number
    sold = a_sales_order(shop, "5")
    delivery = orders.push_down(shop.uow(), "tester", sold, then="ship").number
    came_back = orders.push_down(shop.uow(), "tester", delivery, then="post").number

    with shop.reader() as connection:
        every = order_lists.returns(connection, ListFilter())
        sales = order_lists.returns(connection, ListFilter(document_type=DocumentType.SALES_RETURN))
        scoped = order_lists.returns(connection, ListFilter(visible={"WH2"}))

    assert [(r.number, r.kind, r.returns, r.quantity) for r in every] == [
        (came_back, "sales_return", delivery, Decimal(5)),
        (sent_back, "purchase_return", receipt, Decimal(3)),
    ]
    assert [r.number for r in sales] == [came_back]
    assert scoped == []


def test_a_return_of_several_items_shows_no_sum_of_their_quantities(shop):
    an_item(shop, "垫圈")
    order = a_purchase_order(
        shop, "WH1", "SUP1", {"item": "螺丝", "quantity": "20"}, {"item": "垫圈", "quantity": "5"}
    )
    receipt = documents.create(
        shop.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH1",
            "source": order,
            "lines": [{"item": "螺丝", "quantity": "20"}, {"item": "垫圈", "quantity": "5"}],
        },
        post=True,
    ).number
    create(
        shop,
        "purchase_return",
        "WH1",
        {"item": "螺丝", "quantity": "3"},
        {"item": "垫圈", "quantity": "1"},
        source=receipt,
    )

    with shop.reader() as connection:
        (row,) = order_lists.returns(connection, ListFilter())

    assert row.quantity is None  # 3 screws and 1 washer are not 4 of anything
