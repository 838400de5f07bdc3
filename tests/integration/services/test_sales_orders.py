"""Order to shipment, as the SOP reads: 销售订单 → 审核 (预占) → 下推 销售出库 → 发运.

Approving an order reserves its stock, so every channel sees the same available stock;
each delivery counts against its order line and takes over that much of the reservation;
the last unit completes the order; closing gives the rest back.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.errors import Conflict, ErrorItem, Forbidden, InsufficientStock, Invalid, NotFound
from jxc.i18n.messages import translate
from jxc.queries import audit as audit_queries
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.queries import partners as partner_queries
from jxc.queries import stock_levels
from jxc.services import catalog, deliveries, documents, orders, partners
from tests.builders import (
    a_sales_order,
    a_user,
    a_warehouse,
    an_item,
    assert_books_balance,
    receive,
    refused,
)


@pytest.fixture
def shop(app):
    a_warehouse(app, "WH1")
    a_warehouse(app, "WH2")
    an_item(app, "杯子")
    an_item(app, "壶", tracking="batch", shelf_life_days=365)
    receive(app, "WH1", {"item": "杯子", "quantity": "10", "unit_cost": "4"})
    receive(
        app,
        "WH1",
        {
            "item": "壶",
            "quantity": "3",
            "unit_cost": "20",
            "batch": "B1",
            "production_date": "2026-01-01",
        },
    )
    partners.add(
        app.uow(),
        "tester",
        {
            "code": "TMALL",
            "name": "天猫店",
            "kind": "channel",
            "channel_kind": "online",
            "platform": "天猫",
            "warehouses": ["WH1"],
        },
    )
    partners.add(
        app.uow(),
        "tester",
        {
            "code": "JD",
            "name": "京东店",
            "kind": "channel",
            "channel_kind": "online",
            "platform": "京东",
            "warehouses": ["WH1"],
            "safety_buffer": "1",
        },
    )
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    return app


def order(app, *lines, partner="TMALL", warehouse="WH1", approve=True, **header):
    created = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_order",
            "warehouse": warehouse,
            "partner": partner,
            "lines": list(lines),
            **header,
        },
        then="approve" if approve else None,
    )
    return created.number


def cups(quantity, price="10", **more):
    return {"item": "杯子", "quantity": quantity, "unit_price": price, **more}


def available(app, item="杯子", warehouse="WH1"):
    with app.reader() as connection:
        level = stock_levels.on_hand(connection, item, warehouse)
    return level.on_hand, level.reserved, level.available


def lines_of(app, number):
    with app.reader() as connection:
        return order_queries.priced_lines(connection, number)


def state(app, number):
    with app.reader() as connection:
        return document_queries.document(connection, number)[0].state


def deliver_cups(app, number, quantity, ship=False):
    """A delivery of cups from order line 1 (shipped at once if asked)."""
    return documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_delivery",
            "warehouse": "WH1",
            "source": number,
            "lines": [{"item": "杯子", "quantity": quantity, "source_line": 1}],
        },
        then="ship" if ship else None,
    )


def ship(app, number, **kwargs):
    return orders.push_down(app.uow(), "tester", number, then="ship", **kwargs)


def test_approving_an_order_reserves_its_stock_for_every_channel(shop):
    number = order(shop, cups("4"))

    assert available(shop) == (Decimal(10), Decimal(4), Decimal(6))
    with shop.reader() as connection:
        jd = {row.item: row.sellable for row in partner_queries.channel_stock(connection, "JD")}
    assert jd["杯子"] == Decimal(5)  # 6 available less JD's buffer of 1
    assert state(shop, number) == "approved"
    assert_books_balance(shop)


def test_a_partial_delivery_leaves_the_rest_reserved_and_the_last_one_completes_the_order(shop):
    number = order(shop, cups("6"), {"item": "壶", "quantity": "2", "unit_price": "99"})
    first = deliver_cups(shop, number, "4", ship=True)

    assert first.state == "shipped"
    assert available(shop) == (Decimal(6), Decimal(2), Decimal(4))
    assert [(line.delivered, line.open) for line in lines_of(shop, number)] == [
        (Decimal(4), Decimal(2)),
        (Decimal(0), Decimal(2)),
    ]
    assert (
        order_queries.progress("sales_order", lines_of(shop, number))
        is order_queries.Progress.PARTIALLY_DONE
    )
    assert state(shop, number) == "approved"

    rest = ship(shop, number)  # 下推 takes what is still open: 2 杯子 and 2 壶

    assert rest.lines == 2
    assert state(shop, number) == "done"
    assert (
        order_queries.progress("sales_order", lines_of(shop, number)) is order_queries.Progress.DONE
    )
    assert available(shop) == (Decimal(4), Decimal(0), Decimal(4))
    assert available(shop, "壶") == (Decimal(1), Decimal(0), Decimal(1))
    with shop.reader() as connection:
        assert [d.number for d in order_queries.made_from(connection, number)] == [
            first.number,
            rest.number,
        ]
        assert order_queries.source_of(connection, rest.number) == number
    assert_books_balance(shop)


def test_a_delivery_carries_the_order_price_and_its_gross_profit_comes_from_the_ledger(shop):
    number = order(shop, cups("5", price="11.30", tax_rate="13", discount_rate="10"))
    (ordered,) = lines_of(shop, number)
    # 5 × 11.30 = 56.50, less 10% = 50.85 incl. 13% tax: 5.85 tax, 45.00 without
    assert (ordered.discount, ordered.amount, ordered.tax, ordered.amount_incl_tax) == (
        Decimal("5.65"),
        Decimal("45.00"),
        Decimal("5.85"),
        Decimal("50.85"),
    )

    delivery = ship(shop, number)

    (line,) = lines_of(shop, delivery.number)
    assert line.source_line == 1
    assert line.amount == Decimal("45.00")
    assert line.cost == Decimal("20.00")  # 5 at the average cost of 4
    assert line.gross_profit == Decimal("25.00")
    assert line.gross_margin == Decimal("55.56")


def test_prices_without_tax_add_the_tax_on_top(shop):
    number = order(shop, cups("3", price="2.5", tax_rate="9"), prices_include_tax=False)

    (line,) = lines_of(shop, number)
    assert (line.amount, line.tax, line.amount_incl_tax) == (
        Decimal("7.50"),
        Decimal("0.68"),
        Decimal("8.18"),
    )


def test_closing_an_order_gives_back_what_it_still_holds_and_refuses_more_deliveries(shop):
    number = order(shop, cups("6"))
    deliver_cups(shop, number, "2", ship=True)

    documents.act(shop.uow(), "tester", number, "close", reason="客户取消余量")

    assert state(shop, number) == "closed"
    assert available(shop) == (Decimal(8), Decimal(0), Decimal(8))
    with refused(shop, Conflict) as caught:
        ship(shop, number)
    assert caught.value.code == "order.not_open"
    assert_books_balance(shop)


def test_a_closed_order_refuses_a_delivery_made_before_it_closed(shop):
    number = order(shop, cups("6"))
    draft = orders.push_down(shop.uow(), "tester", number)
    with refused(shop, Invalid) as caught:
        documents.act(shop.uow(), "tester", number, "close", reason="不要了")
    assert caught.value.items[0].code == "workflow.has_downstream"

    documents.act(shop.uow(), "tester", draft.number, "void")
    documents.act(shop.uow(), "tester", number, "close", reason="不要了")

    assert available(shop) == (Decimal(10), Decimal(0), Decimal(10))


def test_an_order_offers_no_step_its_deliveries_hold_up_and_no_completing_by_hand(shop):
    number = order(shop, cups("6"))
    draft = orders.push_down(shop.uow(), "tester", number)

    on_its_way = documents.next_steps(shop.uow(), "tester", number)
    documents.act(shop.uow(), "tester", draft.number, "void")
    deliver_cups(shop, number, "2", ship=True)
    shipped = documents.next_steps(shop.uow(), "tester", number)

    assert "complete" not in on_its_way.open + list(on_its_way.withheld)  # it completes itself
    assert {step: why.code for step, why in on_its_way.withheld.items()} == {
        "unapprove": "workflow.has_downstream",
        "close": "workflow.has_downstream",
    }
    assert on_its_way.withheld["close"].params["documents"] == draft.number
    assert "close" in shipped.open  # a shipped delivery holds up only a step back to the start
    assert list(shipped.withheld) == ["unapprove"]


def test_more_than_is_open_on_the_order_is_refused_naming_the_line(shop):
    number = order(shop, cups("3"))

    with refused(shop, Invalid) as caught:
        deliver_cups(shop, number, "4")

    (item,) = caught.value.items
    assert (item.pointer, item.code) == ("/lines/1/quantity", "delivery.over_order")
    assert item.params["ordered"] == "3"
    assert item.params["requested"] == "4"


def test_two_drafts_that_together_pass_the_order_cannot_both_ship(shop):
    number = order(shop, cups("5"))
    first = deliver_cups(shop, number, "3")
    second = deliver_cups(shop, number, "5")  # by hand: all 5 still open when made
    documents.act(shop.uow(), "tester", first.number, "ship")

    with refused(shop, Invalid) as caught:
        documents.act(shop.uow(), "tester", second.number, "ship")

    (item,) = caught.value.items
    assert (item.code, item.params["delivered"], item.params["requested"]) == (
        "delivery.over_order",
        "3",
        "5",
    )
    assert available(shop) == (Decimal(7), Decimal(2), Decimal(5))
    assert state(shop, number) == "approved"


def test_unapproving_is_refused_once_a_delivery_exists_and_releases_otherwise(shop):
    number = order(shop, cups("2"))
    documents.act(shop.uow(), "tester", number, "unapprove", reason="改数量")
    assert available(shop) == (Decimal(10), Decimal(0), Decimal(10))

    documents.act(shop.uow(), "tester", number, "approve")
    ship(shop, number)
    assert state(shop, number) == "done"


def test_an_order_beyond_the_available_stock_is_not_approved(shop):
    order(shop, cups("7"))

    with refused(shop, InsufficientStock) as caught:
        order(shop, cups("4"), partner="JD")

    assert caught.value.items[0].code == "stock.line_short"
    assert available(shop) == (Decimal(10), Decimal(7), Decimal(3))


def test_reversing_a_delivery_opens_its_quantity_on_the_order_again(shop):
    number = order(shop, cups("6"))
    delivery = deliver_cups(shop, number, "4", ship=True)

    documents.reverse(shop.uow(), "tester", delivery.number, post=True)

    (line,) = lines_of(shop, number)
    assert (line.delivered, line.open) == (Decimal(0), Decimal(6))
    assert available(shop) == (Decimal(10), Decimal(2), Decimal(8))
    assert_books_balance(shop)


def test_reversing_the_delivery_that_completed_an_order_opens_and_holds_it_again(shop):
    number = order(shop, cups("6"))
    deliver_cups(shop, number, "4", ship=True)
    last = deliver_cups(shop, number, "2", ship=True)
    assert (state(shop, number), available(shop)) == ("done", (Decimal(4), 0, Decimal(4)))

    documents.reverse(shop.uow(), "tester", last.number, post=True)

    assert state(shop, number) == "approved"
    assert [(line.delivered, line.open) for line in lines_of(shop, number)] == [(4, 2)]
    assert available(shop) == (Decimal(6), Decimal(2), Decimal(4))  # held for it again
    with shop.reader() as connection:
        events = audit_queries.log(connection, document=number)
    assert (events[-1].action, events[-1].from_state, events[-1].to_state) == (
        "document.reopen",
        "done",
        "approved",
    )
    assert ship(shop, number).state == "shipped"
    assert state(shop, number) == "done"
    assert_books_balance(shop)


def test_an_order_reopened_by_a_reversal_that_cannot_hold_its_stock_is_open_holding_none(
    shop, monkeypatch
):
    """The 红冲 corrects the books all the same; a hold refused halfway leaves nothing."""
    number = order(shop, cups("6"))
    last = deliver_cups(shop, number, "6", ship=True)
    holding = documents.reserve

    def refused_halfway(uow, document_id, moves, business_date):
        holding(uow, document_id, moves, business_date)  # written, then refused
        raise InsufficientStock([ErrorItem("/lines", "stock.reserved_concurrently", {})])

    monkeypatch.setattr(documents, "reserve", refused_halfway)
    documents.reverse(shop.uow(), "tester", last.number, post=True)

    assert state(shop, number) == "approved"
    assert available(shop) == (Decimal(10), Decimal(0), Decimal(10))
    assert_books_balance(shop)


def test_an_order_completes_only_by_its_deliveries(shop):
    number = order(shop, cups("1"))

    with refused(shop, Conflict) as caught:
        documents.act(shop.uow(), "tester", number, "complete")

    assert caught.value.code == "order.completes_by_delivery"


@pytest.mark.parametrize(
    ("line", "pointer", "code"),
    [
        (cups("1", price="-1"), "/lines/1/unit_price", "price.negative"),
        (cups("1", price="1.23456"), "/lines/1/unit_price", "price.too_precise"),
        (cups("1", tax_rate="101"), "/lines/1/tax_rate", "rate.out_of_range"),
        (cups("1", tax_rate="-1"), "/lines/1/tax_rate", "rate.out_of_range"),
        (cups("1", discount_rate="0.125"), "/lines/1/discount_rate", "rate.too_precise"),
        ({"item": "杯子", "quantity": "1"}, "/lines/1/unit_price", "price.required"),
    ],
)
def test_a_bad_price_is_refused_naming_its_field(shop, line, pointer, code):
    with refused(shop, Invalid) as caught:
        order(shop, line)

    assert [(i.pointer, i.code) for i in caught.value.items] == [(pointer, code)]


def test_a_line_without_its_price_is_told_of_its_tax_rate_in_the_same_answer(shop):
    with refused(shop, Invalid) as caught:
        order(shop, {"item": "杯子", "quantity": "1", "tax_rate": "130"})

    assert [(i.pointer, i.code) for i in caught.value.items] == [
        ("/lines/1/unit_price", "price.required"),
        ("/lines/1/tax_rate", "rate.out_of_range"),
    ]


def test_an_order_needs_a_customer_or_channel_that_sells_from_its_warehouse(shop):
    with refused(shop, Invalid) as caught:
        order(shop, cups("1"), partner=None)
    assert [i.code for i in caught.value.items] == ["order.partner_required"]

    with refused(shop, Invalid) as caught:
        order(shop, cups("1"), warehouse="WH2")
    assert [i.code for i in caught.value.items] == ["partner.not_sold_from"]


def test_a_delivery_needs_an_open_order_of_its_warehouse_and_lines_of_it(shop):
    number = order(shop, cups("2"))
    draft = order(shop, cups("1"), approve=False)

    def deliver(**header):
        payload = {
            "document_type": "sales_delivery",
            "warehouse": "WH1",
            "source": number,
            "lines": [{"item": "杯子", "quantity": "1", "source_line": 1}],
            **header,
        }
        with refused(shop, Invalid) as caught:
            documents.create(shop.uow(), "tester", payload)
        return [(i.pointer, i.code) for i in caught.value.items]

    assert deliver(source=None) == [("/source", "order.required")]
    assert deliver(source="XSDD000") == [("/source", "order.unknown")]
    assert deliver(source=draft) == [("/source", "order.not_open")]
    assert deliver(warehouse="WH2") == [("/warehouse", "order.other_warehouse")]
    assert deliver(partner="C1") == [("/partner", "order.other_partner")]
    assert deliver(lines=[{"item": "杯子", "quantity": "1", "source_line": 9}]) == [
        ("/lines/1/source_line", "order.source_line_unknown")
    ]
    assert deliver(lines=[{"item": "壶", "quantity": "1", "source_line": 1}]) == [
        ("/lines/1/item", "order.item_not_on_line")
    ]
    assert deliver(
        lines=[{"item": "杯子", "quantity": "1", "unit_price": "5", "source_line": 1}]
    ) == [("/lines/1/unit_price", "price.not_for_type")]
    with pytest.raises(NotFound):
        orders.push_down(shop.uow(), "tester", "XSDD000")


def test_push_down_with_a_request_id_makes_one_delivery(shop):
    number = order(shop, cups("2"))

    first = orders.push_down(shop.uow(), "tester", number, request_id="pd-1")
    again = orders.push_down(shop.uow(), "tester", number, request_id="pd-1")

    assert again == first
    with shop.reader() as connection:
        assert len(order_queries.made_from(connection, number)) == 1


def delivery_quantities(app, number):
    with app.reader() as connection:
        return [line.quantity for line in document_queries.document(connection, number)[1]]


def test_an_order_entered_late_is_approved_its_delivery_takes_the_stock_on_its_own_day(shop):
    receive(shop, "WH1", {"item": "杯子", "quantity": "5", "unit_cost": "4"})  # today
    number = order(shop, cups("12"), business_date="2026-10-20")  # the order came in October

    assert state(shop, number) == "approved"
    assert ship(shop, number).state == "shipped"


def test_a_second_push_down_takes_only_what_no_delivery_is_on_its_way_for(shop):
    number = order(shop, cups("5"))
    first = deliver_cups(shop, number, "3")

    second = orders.push_down(shop.uow(), "tester", number)
    assert delivery_quantities(shop, second.number) == [Decimal(2)]
    with refused(shop, Conflict) as caught:
        orders.push_down(shop.uow(), "tester", number)
    assert caught.value.code == "order.already_pushed_down"
    assert caught.value.params == {
        "number": number,
        "documents": f"{first.number}, {second.number}",
    }
    assert not orders.can_push_down(shop.uow(), "tester", number)  # no 下推 button then

    documents.act(shop.uow(), "tester", first.number, "void")
    assert orders.can_push_down(shop.uow(), "tester", number)
    third = orders.push_down(shop.uow(), "tester", number)
    assert delivery_quantities(shop, third.number) == [Decimal(3)]


# 拣货 and 复核 by scanning (the SOP workflow) ----------------------------------------------


@pytest.fixture
def floor(sop):
    """The SOP: an approved order of 4 壶 (two batches in stock) and 2 杯子, pushed down."""
    a_warehouse(sop, "WH1")
    an_item(sop, "杯子")
    an_item(sop, "壶", tracking="batch", shelf_life_days=365)
    for user, role in (
        ("sales", "sales"),
        ("boss", "finance"),
        ("manager", "warehouse_manager"),
        ("picker", "warehouse_clerk"),
        ("checker", "warehouse_clerk"),
    ):
        a_user(sop, user, role)
    receipt = documents.create(
        sop.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH1",
            "lines": [
                {"item": "杯子", "quantity": "10", "unit_cost": "4"},
                {
                    "item": "壶",
                    "quantity": "3",
                    "unit_cost": "20",
                    "batch": "B1",
                    "expiry_date": "2027-09-30",
                },
                {
                    "item": "壶",
                    "quantity": "5",
                    "unit_cost": "22",
                    "batch": "B2",
                    "expiry_date": "2027-10-31",
                },
            ],
        },
    ).number
    for step, actor in (("submit", "tester"), ("approve", "manager"), ("execute", "tester")):
        documents.act(sop.uow(), actor, receipt, step)
    partners.add(sop.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    number = documents.create(
        sop.uow(),
        "sales",
        {
            "document_type": "sales_order",
            "warehouse": "WH1",
            "partner": "C1",
            "lines": [cups("2"), {"item": "壶", "quantity": "4", "unit_price": "99"}],
        },
        then="submit",
    ).number
    documents.act(sop.uow(), "boss", number, "approve")
    delivery = orders.push_down(sop.uow(), "picker", number).number
    return sop, number, delivery


def scans(*rows):
    return {
        "scans": [
            {"item": item, "batch": batch, "quantity": quantity} for item, batch, quantity in rows
        ]
    }


def test_picking_by_scan_makes_the_lines_what_was_picked_and_check_finds_the_same(floor):
    app, number, delivery = floor
    picked = scans(("杯子", None, "2"), ("壶", "B1", "3"), ("壶", "B2", "1"))

    deliveries.pick(app.uow(), "picker", delivery, picked)

    with app.reader() as connection:
        _, lines = document_queries.document(connection, delivery)
    assert [(line.item, line.batch, line.quantity) for line in lines] == [
        ("杯子", None, Decimal(2)),
        ("壶", "B1", Decimal(3)),
        ("壶", "B2", Decimal(1)),
    ]
    with refused(app, Forbidden) as caught:  # 复核 by the picker
        deliveries.check(app.uow(), "picker", delivery, picked)
    assert caught.value.code == "workflow.same_person"

    deliveries.check(app.uow(), "checker", delivery, picked)
    documents.act(app.uow(), "picker", delivery, "ship")

    assert state(app, number) == "done"
    assert available(app, "壶") == (Decimal(4), Decimal(0), Decimal(4))
    with app.reader() as connection:
        assert stock_levels.on_hand(connection, "壶", "WH1").on_hand == Decimal(4)
    assert_books_balance(app)


def test_check_catches_a_wrong_batch_a_wrong_item_one_too_many_and_what_is_missing(floor):
    app, _, delivery = floor
    deliveries.pick(app.uow(), "picker", delivery, scans(("杯子", None, "2"), ("壶", "B1", "3")))

    def refusal(*rows, complete=False):
        with refused(app, Invalid) as caught:
            if complete:
                deliveries.check(app.uow(), "checker", delivery, scans(*rows))
            else:
                deliveries.check_scans(app.uow(), "checker", delivery, "check", scans(*rows))
        return [(i.code, i.params.get("item")) for i in caught.value.items] or [
            (caught.value.code, caught.value.params.get("item"))
        ]

    assert refusal(("壶", "B2", "1")) == [("scan.wrong_batch", "壶")]
    assert refusal(("垫片", None, "1")) == [("scan.item_not_on_delivery", "垫片")]
    assert refusal(("杯子", None, "3")) == [("scan.too_many", "杯子")]
    assert refusal(("杯子", None, "2"), complete=True) == [("scan.missing", "壶")]
    deliveries.check_scans(app.uow(), "checker", delivery, "check", scans(("壶", "B1", "2")))


def test_pick_and_check_are_taken_only_by_scanning_by_whatever_name_they_are_asked_for(floor):
    app, number, delivery = floor

    for step in ("pick", "拣货", "复核"):
        with refused(app, Conflict) as caught:
            documents.act(app.uow(), "picker", delivery, step)
        assert caught.value.code == "delivery.step_by_scan", step
    documents.act(app.uow(), "picker", delivery, "void")
    with refused(app, Conflict) as pushed_and_picked:
        orders.push_down(app.uow(), "picker", number, then="拣货")

    assert pushed_and_picked.value.code == "delivery.step_by_scan"


def test_check_refuses_a_serial_in_stock_that_was_not_the_one_picked(floor):
    app, _, _ = floor
    an_item(app, "手机", tracking="serial", base_unit="台")
    receipt = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH1",
            "lines": [
                {"item": "手机", "quantity": "2", "unit_cost": "900", "serials": ["SN-1", "SN-2"]}
            ],
        },
    ).number
    for step, actor in (("submit", "tester"), ("approve", "manager"), ("execute", "tester")):
        documents.act(app.uow(), actor, receipt, step)
    order = a_sales_order(app, "WH1", "C1", {"item": "手机", "quantity": "1"}, then="submit")
    documents.act(app.uow(), "boss", order, "approve")
    delivery = orders.push_down(app.uow(), "picker", order).number
    phone = {"item": "手机", "quantity": "1", "serials": ["SN-1"]}
    deliveries.pick(app.uow(), "picker", delivery, {"scans": [phone]})
    other = {"scans": [{**phone, "serials": ["SN-2"]}]}

    with refused(app, Invalid) as at_the_scan:
        deliveries.check_scans(app.uow(), "checker", delivery, "check", other)
    with refused(app, Invalid) as handed_in:
        deliveries.check(app.uow(), "checker", delivery, other)

    assert translate(at_the_scan.value.code, "zh_CN", **at_the_scan.value.params) == (
        "序列号不符：手机 拣货的序列号是 SN-1，不是 SN-2"
    )
    assert [i.code for i in handed_in.value.items] == [
        "scan.serial_not_picked",
        "scan.serials_missing",
    ]
    assert deliveries.check(app.uow(), "checker", delivery, {"scans": [phone]}).state == "checked"


def test_a_short_pick_delivers_less_and_the_rest_stays_open_on_the_order(floor):
    app, number, delivery = floor

    deliveries.pick(app.uow(), "picker", delivery, scans(("壶", "B2", "2")))
    deliveries.check(app.uow(), "checker", delivery, scans(("壶", "B2", "2")))
    documents.act(app.uow(), "picker", delivery, "ship")

    assert [(line.delivered, line.open) for line in lines_of(app, number)] == [
        (Decimal(0), Decimal(2)),
        (Decimal(2), Decimal(2)),
    ]
    assert state(app, number) == "approved"
    assert available(app, "壶") == (Decimal(6), Decimal(2), Decimal(4))


def test_a_checked_delivery_the_customer_cancelled_is_voided_and_the_order_pushed_again(floor):
    app, number, delivery = floor
    deliveries.pick(
        app.uow(),
        "picker",
        delivery,
        scans(("杯子", None, "2"), ("壶", "B1", "3"), ("壶", "B2", "1")),
    )
    deliveries.check(
        app.uow(),
        "checker",
        delivery,
        scans(("杯子", None, "2"), ("壶", "B1", "3"), ("壶", "B2", "1")),
    )

    documents.act(app.uow(), "manager", delivery, "void")

    assert state(app, delivery) == "cancelled"
    again = orders.push_down(app.uow(), "picker", number)
    assert delivery_quantities(app, again.number) == [Decimal(2), Decimal(4)]


def test_picking_more_than_the_delivery_or_a_batch_item_without_its_batch_is_refused(floor):
    app, _, delivery = floor

    with refused(app, Invalid) as caught:
        deliveries.pick(app.uow(), "picker", delivery, scans(("壶", "B1", "5")))
    assert caught.value.code == "scan.too_many"
    with refused(app, Invalid) as caught:
        deliveries.pick(app.uow(), "picker", delivery, scans(("壶", None, "1")))
    assert caught.value.code == "batch.required"
    with refused(app, Invalid) as caught:
        deliveries.pick(app.uow(), "picker", delivery, scans())
    assert caught.value.code == "scan.nothing_picked"


def test_a_batch_or_serial_shipping_would_not_find_is_refused_at_the_pick_not_at_ship(floor):
    """Else the pick and its 复核 pass, 发运 refuses, and the delivery can only be voided."""
    app, _, delivery = floor
    serial_on_cups = scans(("杯子", None, "1"))
    serial_on_cups["scans"][0]["serials"] = ["SN-1"]

    a_warehouse(app, "WH2")
    elsewhere = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH2",
            "lines": [
                {
                    "item": "壶",
                    "quantity": "1",
                    "unit_cost": "20",
                    "batch": "B9",
                    "expiry_date": "2028-01-31",
                }
            ],
        },
    ).number
    for step, actor in (("submit", "tester"), ("approve", "manager"), ("execute", "tester")):
        documents.act(app.uow(), actor, elsewhere, step)

    for picked, code in (
        (scans(("壶", "XXXX", "1")), "batch.unknown"),
        (scans(("壶", "B9", "1")), "batch.not_here"),  # in WH2 only
        (scans(("杯子", "B1", "1")), "batch.not_tracked"),
        (serial_on_cups, "serial.not_tracked"),
    ):
        with refused(app, Invalid) as caught:
            deliveries.check_scans(app.uow(), "picker", delivery, "pick", picked)
        assert caught.value.code == code
        with refused(app, Invalid) as caught:
            deliveries.pick(app.uow(), "picker", delivery, picked)
        assert caught.value.code == code
    assert state(app, delivery) == "draft"
    # Where stock may go negative, posting ships a batch whatever is on hand: so may the pick.
    catalog.set_negative_stock(app.uow(), "tester", "WH1", True)
    deliveries.check_scans(app.uow(), "picker", delivery, "pick", scans(("壶", "B9", "1")))


def test_an_order_neither_holds_nor_names_an_expired_batch(shop):
    old = {"item": "壶", "quantity": "2", "unit_cost": "20", "batch": "B0"}
    receive(shop, "WH1", {**old, "production_date": "2024-01-01"})  # gone off 2024-12-31
    data = {"document_type": "sales_order", "warehouse": "WH1", "partner": "TMALL"}
    named = {"item": "壶", "quantity": "1", "unit_price": "9", "batch": "B0"}

    with refused(shop, Invalid) as caught:
        documents.create(shop.uow(), "tester", {**data, "lines": [named]}, then="approve")

    assert (caught.value.code, caught.value.params["expiry"]) == (
        "batch.expired_not_for_sale",
        "2024-12-31",
    )
    assert translate(caught.value.code, "zh_CN", **caught.value.params).endswith(
        "壶 的批次 B0 已于 2024-12-31 过期，不可销售"
    )
    a_sales_order(shop, "WH1", "TMALL", {"item": "壶", "quantity": "3"})  # FEFO: B1, not B0
    with shop.reader() as connection:
        held = {r.batch: r.reserved for r in stock_levels.stock_rows(connection, item="壶")}
    assert held == {"B0": 0, "B1": 3}
