"""Purchase to stock, as the SOP reads: 采购订单 → 审核 → 下推 采购入库 → 入库 (部分 / 已完成).

A receipt made from a purchase order is counted on its order lines, costs the order's price
without tax, may go over the order only as far as the item's tolerance allows (超订单入库),
and the last unit completes the order; closing gives up the rest; 红冲 reopens it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.errors import Conflict, InsufficientStock, Invalid
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.queries import partners as partner_queries
from jxc.queries import stock_levels
from jxc.services import catalog, documents, orders, partners
from tests.builders import a_warehouse, an_item, assert_books_balance, receive, refused


@pytest.fixture
def shop(app):
    a_warehouse(app, "WH1")
    a_warehouse(app, "WH2")
    an_item(app, "螺丝", units={"箱": "100"})
    an_item(app, "胶水", tracking="batch", shelf_life_days=365)
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    return app


def purchase(app, *lines, approve=True, **header):
    return documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "purchase_order",
            "warehouse": "WH1",
            "partner": "SUP1",
            "lines": list(lines),
            **header,
        },
        then="approve" if approve else None,
    ).number


def receipt_of(app, number, *lines, post=True):
    return documents.create(
        app.uow(),
        "tester",
        {"document_type": "receipt", "warehouse": "WH1", "source": number, "lines": list(lines)},
        post=post,
    )


def order_lines(app, number):
    with app.reader() as connection:
        return [
            (line.delivered, line.open) for line in order_queries.priced_lines(connection, number)
        ]


def state(app, number):
    with app.reader() as connection:
        return document_queries.document(connection, number)[0].state


def on_hand(app, item="螺丝"):
    with app.reader() as connection:
        return stock_levels.on_hand(connection, item, "WH1").on_hand


BOXES = {"item": "螺丝", "quantity": "2", "unit": "箱", "unit_price": "113", "tax_rate": "13"}


def test_a_partial_receipt_costs_the_order_price_without_tax_and_the_rest_completes_it(shop):
    number = purchase(shop, BOXES)  # 2 箱 of 100 at ¥113 a box with 13% VAT: ¥1 a screw net

    first = receipt_of(shop, number, {"item": "螺丝", "quantity": "150"})

    assert order_lines(shop, number) == [(Decimal(150), Decimal(50))]
    assert state(shop, number) == "approved"
    with shop.reader() as connection:
        _, lines = document_queries.document(connection, first.number)
    assert lines[0].unit_cost == Decimal(1)
    rest = orders.push_down(shop.uow(), "tester", number, then="post")
    assert rest.state == "posted"
    assert state(shop, number) == "done"
    assert on_hand(shop) == Decimal(200)
    with shop.reader() as connection:
        assert order_queries.progress(
            "purchase_order", order_queries.priced_lines(connection, number)
        ) is (order_queries.Progress.DONE)
        assert order_queries.source_of(connection, rest.number) == number
    assert_books_balance(shop)


def test_receiving_over_the_order_is_refused_beyond_the_items_tolerance(shop):
    number = purchase(shop, BOXES)

    with refused(shop, Invalid) as caught:
        receipt_of(shop, number, {"item": "螺丝", "quantity": "201"})
    (item,) = caught.value.items
    assert (item.pointer, item.code, item.params["allowed"]) == (
        "/lines/1/quantity",
        "receipt.over_order",
        "200",
    )

    catalog.set_tolerance(shop.uow(), "tester", "螺丝", "5")
    with refused(shop, Invalid):
        receipt_of(shop, number, {"item": "螺丝", "quantity": "211"})
    receipt_of(shop, number, {"item": "螺丝", "quantity": "210"})

    assert order_lines(shop, number) == [(Decimal(210), Decimal(0))]
    assert state(shop, number) == "done"


def test_two_receipts_that_together_pass_the_tolerance_cannot_both_post(shop):
    number = purchase(shop, BOXES)
    first = receipt_of(shop, number, {"item": "螺丝", "quantity": "120"}, post=False)
    second = receipt_of(shop, number, {"item": "螺丝", "quantity": "120"}, post=False)
    documents.post(shop.uow(), "tester", first.number)

    with refused(shop, Invalid) as caught:
        documents.post(shop.uow(), "tester", second.number)

    assert caught.value.code == "receipt.over_order"
    assert on_hand(shop) == Decimal(120)


def test_a_batch_item_from_an_order_is_counted_in_with_its_batch_before_it_posts(shop):
    number = purchase(shop, {"item": "胶水", "quantity": "10", "unit_price": "8"})
    draft = orders.push_down(shop.uow(), "tester", number)

    with refused(shop, Invalid) as caught:
        documents.post(shop.uow(), "tester", draft.number)
    assert [(i.pointer, i.code) for i in caught.value.items] == [
        ("/lines/1/batch", "batch.required")
    ]

    documents.edit(
        shop.uow(),
        "tester",
        draft.number,
        {
            "lines": [
                {"item": "胶水", "quantity": "10", "batch": "G1", "production_date": "2026-11-01"}
            ]
        },
    )
    documents.post(shop.uow(), "tester", draft.number)
    assert state(shop, number) == "done"
    assert on_hand(shop, "胶水") == Decimal(10)


def test_closing_gives_up_the_rest_and_reversing_a_receipt_reopens_its_quantity(shop):
    number = purchase(shop, BOXES)
    first = receipt_of(shop, number, {"item": "螺丝", "quantity": "50"})

    documents.reverse(shop.uow(), "tester", first.number, post=True)
    assert order_lines(shop, number) == [(Decimal(0), Decimal(200))]

    documents.act(shop.uow(), "tester", number, "close", reason="供应商缺货")
    assert state(shop, number) == "closed"
    with refused(shop, Conflict) as caught:
        orders.push_down(shop.uow(), "tester", number)
    assert caught.value.code == "order.not_open"
    assert_books_balance(shop)


def test_reversing_the_receipt_that_completed_a_purchase_order_opens_it_again(shop):
    number = purchase(shop, BOXES)
    whole = receipt_of(shop, number, {"item": "螺丝", "quantity": "200"})
    assert state(shop, number) == "done"

    documents.reverse(shop.uow(), "tester", whole.number, post=True)

    assert (state(shop, number), order_lines(shop, number)) == ("approved", [(0, 200)])
    receipt_of(shop, number, {"item": "螺丝", "quantity": "200"})
    assert state(shop, number) == "done"
    assert_books_balance(shop)


def test_a_purchase_order_needs_its_supplier_and_a_receipt_its_orders_warehouse(shop):
    with refused(shop, Invalid) as caught:
        purchase(shop, BOXES, partner="C1")
    assert [i.code for i in caught.value.items] == ["partner.wrong_kind"]

    number = purchase(shop, BOXES)
    with refused(shop, Invalid) as caught:
        documents.create(
            shop.uow(),
            "tester",
            {
                "document_type": "receipt",
                "warehouse": "WH2",
                "source": number,
                "lines": [{"item": "螺丝", "quantity": "1"}],
            },
        )
    assert [i.code for i in caught.value.items] == ["order.other_warehouse"]
    with refused(shop, Invalid) as caught:
        documents.create(
            shop.uow(),
            "tester",
            {
                "document_type": "receipt",
                "warehouse": "WH1",
                "source": number,
                "lines": [
                    {
                        "item": "胶水",
                        "quantity": "1",
                        "batch": "G1",
                        "production_date": "2026-11-01",
                    }
                ],
            },
        )
    assert [i.code for i in caught.value.items] == ["order.item_not_ordered"]


def test_a_receipt_without_an_order_is_still_a_plain_receipt(shop):
    plain = documents.create(
        shop.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH1",
            "lines": [{"item": "螺丝", "quantity": "5", "unit_cost": "1"}],
        },
        post=True,
    )

    assert plain.state == "posted"
    with shop.reader() as connection:
        assert order_queries.source_of(connection, plain.number) is None


@pytest.mark.parametrize("percent", ["-1", "101", "0.125", "abc"])
def test_a_tolerance_outside_0_to_100_percent_is_refused(shop, percent):
    with refused(shop, Invalid) as caught:
        catalog.set_tolerance(shop.uow(), "tester", "螺丝", percent)
    assert caught.value.code in ("tolerance.out_of_range", "quantity.not_a_number")


# 采购退货 ------------------------------------------------------------------------------------


def send_back(app, receipt, *lines, post=True):
    return documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "purchase_return",
            "warehouse": "WH1",
            "source": receipt,
            "lines": list(lines),
        },
        post=post,
    )


def test_a_purchase_return_sends_back_no_more_than_was_received_on_the_line(shop):
    number = purchase(shop, BOXES)
    received = receipt_of(shop, number, {"item": "螺丝", "quantity": "150"}).number

    back = send_back(shop, received, {"item": "螺丝", "quantity": "30"})

    assert back.state == "posted"
    assert on_hand(shop) == Decimal(120)
    with refused(shop, Invalid) as caught:
        send_back(shop, received, {"item": "螺丝", "quantity": "121"})
    (item,) = caught.value.items
    assert (item.code, item.params["delivered"], item.params["requested"]) == (
        "return.over_shipped",
        "30",
        "121",
    )
    with refused(shop, Conflict) as caught:  # the return first, or the goods come back twice
        documents.reverse(shop.uow(), "tester", received, post=True)
    assert caught.value.code == "document.made_from_it"
    documents.reverse(shop.uow(), "tester", back.number, post=True)
    send_back(shop, received, {"item": "螺丝", "quantity": "150"})
    assert on_hand(shop) == Decimal(0)
    assert_books_balance(shop)


def test_a_receipt_from_no_supplier_takes_no_purchase_return(shop):
    found = receive(shop, "WH1", {"item": "螺丝", "quantity": "5", "unit_cost": "1"}).number
    assert not orders.can_push_down(shop.uow(), "tester", found)
    before = on_hand(shop)

    with refused(shop, Invalid) as caught:
        send_back(shop, found, {"item": "螺丝", "quantity": "5"})
    with refused(shop, Invalid) as pushed:
        orders.push_down(shop.uow(), "tester", found)

    assert [(item.pointer, item.code) for item in caught.value.items] == [
        ("/source", "return.no_supplier")
    ]
    assert pushed.value.items[0].code == "return.no_supplier"
    assert on_hand(shop) == before


def test_a_purchase_return_takes_back_the_batch_that_came_in_on_the_line(shop):
    glue = {"item": "胶水", "quantity": "4", "unit_cost": "8"}
    receipt = documents.create(
        shop.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH1",
            "partner": "SUP1",
            "lines": [
                {**glue, "batch": "G1", "production_date": "2026-11-01"},
                {**glue, "batch": "G2", "production_date": "2026-11-10"},
            ],
        },
        post=True,
    ).number

    send_back(shop, receipt, {"item": "胶水", "quantity": "1", "source_line": 2})

    with shop.reader() as connection:
        rows = stock_levels.stock_rows(connection, "WH1", item="胶水")
    assert sorted((row.batch, row.on_hand) for row in rows) == [
        ("G1", Decimal(4)),
        ("G2", Decimal(3)),
    ]
    with refused(shop, Invalid) as caught:
        send_back(shop, receipt, {"item": "胶水", "quantity": "1", "source_line": 1, "batch": "G2"})
    assert caught.value.code == "return.batch_not_shipped"


# 待检 and 上架 -----------------------------------------------------------------------------


def test_goods_bought_wait_in_qc_unsold_until_put_away_and_a_rejected_part_goes_back(shop):
    catalog.add_location(
        shop.uow(), "tester", {"warehouse": "WH1", "code": "QC", "name": "待检区", "usage": "qc"}
    )
    catalog.add_location(shop.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "货架"})
    partners.add(
        shop.uow(),
        "tester",
        {
            "code": "SHOP",
            "name": "网店",
            "kind": "channel",
            "channel_kind": "online",
            "warehouses": ["WH1"],
        },
    )
    number = purchase(shop, BOXES)
    received = receipt_of(shop, number, {"item": "螺丝", "quantity": "200"}).number

    def where():
        with shop.reader() as connection:
            rows = stock_levels.stock_rows(connection, "WH1", item="螺丝")
            sellable = partner_queries.channel_stock(connection, "SHOP", item="螺丝")
        return {r.location: r.on_hand for r in rows}, [r.sellable for r in sellable]

    assert where() == ({"QC": Decimal(200)}, [])  # 待检: not for sale yet
    with refused(shop, InsufficientStock):  # nor picked for an order
        documents.create(
            shop.uow(),
            "tester",
            {
                "document_type": "issue",
                "warehouse": "WH1",
                "lines": [{"item": "螺丝", "quantity": "1"}],
            },
            post=True,
        )

    accepted = documents.create(
        shop.uow(),
        "tester",
        {
            "document_type": "putaway",
            "warehouse": "WH1",
            "lines": [{"item": "螺丝", "quantity": "180", "location": "QC", "to_location": "A-01"}],
        },
        post=True,
    )
    send_back(shop, received, {"item": "螺丝", "quantity": "20", "location": "QC"})

    assert accepted.entries == 1
    assert where() == ({"A-01": Decimal(180)}, [Decimal(180)])  # QC is empty now
    assert_books_balance(shop)


def test_a_serial_awaiting_qc_goes_out_only_from_a_line_naming_qc_or_back_to_its_supplier(shop):
    qc_and_a_shelf(shop)
    an_item(shop, "水泵", tracking="serial", base_unit="台")
    bought = purchase(shop, {"item": "水泵", "quantity": "3", "unit_price": "900"})
    pumps = {"item": "水泵", "quantity": "3", "serials": ["P1", "P2", "P3"]}
    received = receipt_of(shop, bought, pumps).number  # into QC
    sold = {"document_type": "issue", "warehouse": "WH1", "note": "样机"}

    with refused(shop, Invalid) as uninspected:
        documents.create(
            shop.uow(),
            "tester",
            {**sold, "lines": [{"item": "水泵", "quantity": "1", "serials": ["P1"]}]},
        )
    named = {"item": "水泵", "quantity": "1", "serials": ["P2"], "location": "QC"}
    documents.create(shop.uow(), "tester", {**sold, "lines": [named]}, post=True)
    send_back(shop, received, {"item": "水泵", "quantity": "1", "serials": ["P3"]})

    assert (uninspected.value.code, uninspected.value.params["location"]) == (
        "serial.awaiting_qc",
        "WH1/QC",
    )
    assert on_hand(shop, "水泵") == Decimal(1)  # P1, still in QC
    assert_books_balance(shop)


def qc_and_a_shelf(app):
    catalog.add_location(
        app.uow(), "tester", {"warehouse": "WH1", "code": "QC", "name": "待检区", "usage": "qc"}
    )
    catalog.add_location(app.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "货架"})


def put_away(app, quantity):
    """Screws from 待检 to the shelf A-01, accepted."""
    line = {"item": "螺丝", "quantity": quantity, "location": "QC", "to_location": "A-01"}
    documents.create(
        app.uow(),
        "tester",
        {"document_type": "putaway", "warehouse": "WH1", "lines": [line]},
        post=True,
    )


def test_a_purchase_return_naming_no_location_sends_back_from_qc_before_the_shelves(shop):
    """As 扫码采购退货 makes it: rejected goods wait in 待检, the good ones were put away."""
    qc_and_a_shelf(shop)
    received = receipt_of(shop, purchase(shop, BOXES), {"item": "螺丝", "quantity": "200"}).number
    put_away(shop, "190")

    def where():
        with shop.reader() as connection:
            rows = stock_levels.stock_rows(connection, "WH1", item="螺丝")
        return {r.location: r.on_hand for r in rows if r.on_hand}

    send_back(shop, received, {"item": "螺丝", "quantity": "4"})
    assert where() == {"QC": Decimal(6), "A-01": Decimal(190)}
    send_back(shop, received, {"item": "螺丝", "quantity": "8"})  # 6 in QC, 2 off the shelf
    assert where() == {"A-01": Decimal(188)}
    assert_books_balance(shop)


def test_a_purchase_return_leaves_in_qc_what_a_later_receipt_brought_there(shop):
    """The first receipt was put away whole; the second waits in 待检: not the first's."""
    qc_and_a_shelf(shop)
    first = receipt_of(shop, purchase(shop, BOXES), {"item": "螺丝", "quantity": "200"}).number
    put_away(shop, "200")
    receipt_of(shop, purchase(shop, BOXES), {"item": "螺丝", "quantity": "50"})

    send_back(shop, first, {"item": "螺丝", "quantity": "2"})  # defects found on the shelf

    with shop.reader() as connection:
        rows = stock_levels.stock_rows(connection, "WH1", item="螺丝")
    assert {r.location: r.on_hand for r in rows if r.on_hand} == {
        "A-01": Decimal(198),
        "QC": Decimal(50),
    }


def test_a_put_away_needs_both_locations_and_two_different_ones(shop):
    catalog.add_location(shop.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "货架"})
    receive(shop, "WH1", {"item": "螺丝", "quantity": "5"})

    with refused(shop, Invalid) as caught:
        documents.create(
            shop.uow(),
            "tester",
            {
                "document_type": "putaway",
                "warehouse": "WH1",
                "lines": [
                    {"item": "螺丝", "quantity": "1"},
                    {"item": "螺丝", "quantity": "1", "location": "A-01", "to_location": "A-01"},
                    {"item": "螺丝", "quantity": "1", "location": "A-01", "to_location": "Z-99"},
                ],
            },
        )

    assert [(i.pointer, i.code) for i in caught.value.items] == [
        ("/lines/1/location", "putaway.location_required"),
        ("/lines/1/to_location", "putaway.to_location_required"),
        ("/lines/2/to_location", "putaway.same_location"),
        ("/lines/3/to_location", "location.unknown"),
    ]
    assert caught.value.items[3].params == {"location": "Z-99", "warehouse": "WH1"}


def test_a_purchase_order_without_its_supplier_is_refused(shop):
    with refused(shop, Invalid) as caught:
        purchase(shop, BOXES, partner=None)

    assert [(i.pointer, i.code) for i in caught.value.items] == [
        ("/partner", "order.partner_required")
    ]
