"""A sales order on the web: its money and progress, 下推 in one click, the delivery shipped."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.services import deliveries, documents, partners, workflows
from tests.builders import a_sales_order, a_user, a_warehouse, an_item, receive, snapshot
from tests.web.helpers import Entry, page_csrf, scan_state, web_client


@pytest.fixture
def shop(app):
    a_warehouse(app, "WH1")
    an_item(app, "杯子")
    receive(app, "WH1", {"item": "杯子", "quantity": "10", "unit_cost": "4"})
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    a_user(app, "clerk", "warehouse_clerk", "WH1")
    a_user(app, "sales", "sales", "WH1")
    number = documents.create(
        app.uow(),
        "sales",
        {
            "document_type": "sales_order",
            "warehouse": "WH1",
            "partner": "C1",
            "lines": [{"item": "杯子", "quantity": "6", "unit_price": "11.30", "tax_rate": "13"}],
        },
        then="approve",
    ).number
    return app, number


def pushed_down(person, number, request_id):
    """下推 clicked on ``number``'s page: the number of the document it made."""
    made = person.post(
        f"/orders/{number}/push-down",
        data={"csrf": page_csrf(person), "request_id": request_id},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    return made.headers["location"].rsplit("/", 1)[1]


def test_the_order_page_shows_its_money_and_a_clerk_pushes_it_down_and_ships(shop):
    app, number = shop
    clerk = web_client(app, "clerk")

    order_page = clerk.get(f"/documents/{number}")
    assert order_page.status_code == 200
    assert "价税合计" in order_page.text
    assert "67.80" in order_page.text
    assert "未出库" in order_page.text  # progress: nothing delivered yet
    assert 'id="push-down">下推销售出库单<' in order_page.text

    made = clerk.post(
        f"/orders/{number}/push-down",
        data={"csrf": page_csrf(clerk), "request_id": "web-1"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    delivery = made.headers["location"].rsplit("/", 1)[1]
    assert delivery.startswith("XSCK")
    again = clerk.post(
        f"/orders/{number}/push-down",
        data={"csrf": page_csrf(clerk), "request_id": "web-1"},
        follow_redirects=False,
    )
    assert again.headers["location"] == made.headers["location"]  # a double click: one

    shipped = clerk.post(
        f"/documents/{delivery}/ship", data={"csrf": page_csrf(clerk)}, follow_redirects=True
    )
    assert shipped.status_code == 200
    assert "已发运" in shipped.text
    assert number in shipped.text
    assert re.search(r"毛利", shipped.text)

    done = clerk.get(f"/documents/{number}")
    assert "已完成" in done.text
    assert delivery in done.text
    assert 'id="push-down"' not in done.text


def test_push_down_without_the_right_is_refused_and_makes_nothing(shop):
    app, number = shop
    a_user(app, "auditor", "auditor")
    auditor = web_client(app, "auditor")

    refused = auditor.post(
        f"/orders/{number}/push-down", data={"csrf": page_csrf(auditor)}, follow_redirects=False
    )

    assert refused.status_code == 422
    assert "无权在仓库 WH1 创建销售出库单" in refused.text
    clerk = web_client(app, "clerk")
    assert "XSCK" not in clerk.get(f"/documents/{number}").text


def test_a_purchase_orders_push_down_button_names_the_receipt_it_makes(shop):
    app, _ = shop
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    number = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "purchase_order",
            "warehouse": "WH1",
            "partner": "SUP1",
            "lines": [{"item": "杯子", "quantity": "5", "unit_price": "4"}],
        },
        then="approve",
    ).number
    clerk = web_client(app, "clerk")

    assert 'id="push-down">下推采购入库单<' in clerk.get(f"/documents/{number}").text
    english = clerk.get(f"/documents/{number}", headers={"Accept-Language": "en"})
    assert 'id="push-down">Push down to a purchase receipt<' in english.text
    made = clerk.post(
        f"/orders/{number}/push-down", data={"csrf": page_csrf(clerk)}, follow_redirects=False
    )
    assert made.headers["location"].rsplit("/", 1)[1].startswith("RK")


def test_the_pick_screen_takes_a_count_beside_a_scan_but_no_quantity_typed_over_a_line(shop):
    app, number = shop
    workflows.use(app.uow(), "tester", "sop")  # picked by scanning
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, number, "web-2")  # 6 cups

    pick = clerk.get(f"/deliveries/{delivery}/pick")
    scanned = clerk.post(
        f"/deliveries/{delivery}/pick/scan",
        data={"code": "杯子", "quantity": "4", "state": ""},
        headers={"X-CSRF-Token": page_csrf(clerk)},
    )
    typed_over = clerk.post(
        f"/deliveries/{delivery}/pick/scan",
        data={"code": "杯子", "qty-1": "1", "state": scan_state(scanned.text)},
        headers={"X-CSRF-Token": page_csrf(clerk)},
    )
    too_many = clerk.post(
        f"/deliveries/{delivery}/pick/scan",
        data={"code": "杯子", "quantity": "2", "state": scan_state(typed_over.text)},
        headers={"X-CSRF-Token": page_csrf(clerk)},
    )

    assert f'<a class="step" href="/deliveries/{delivery}/pick">拣货</a>' in clerk.get("/").text
    assert pick.status_code == 200
    assert 'name="quantity"' in pick.text  # 200 screws are not scanned 200 times
    assert [line["quantity"] for line in json.loads(scan_state(scanned.text))["lines"]] == ["4"]
    assert [line["quantity"] for line in json.loads(scan_state(typed_over.text))["lines"]] == ["5"]
    assert 'name="qty-1"' not in typed_over.text
    assert "remove-line" not in typed_over.text
    assert too_many.status_code == 422
    assert "杯子：已扫 7，出库单只有 6" in too_many.text
    assert [line["quantity"] for line in json.loads(scan_state(too_many.text))["lines"]] == ["5"]


def test_the_pick_list_shows_what_each_scan_has_picked_of_each_row(shop):
    app, number = shop
    workflows.use(app.uow(), "tester", "sop")
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, number, "web-3")  # 6 cups, all at WH1's STOCK

    def picked(page):
        row = re.search(r'<td class="num taken">([^<]*)</td>', page)
        return row.group(1)

    def scan(state):
        return clerk.post(
            f"/deliveries/{delivery}/pick/scan",
            data={"code": "杯子", "state": state},
            headers={"X-CSRF-Token": page_csrf(clerk)},
        )

    opened = clerk.get(f"/deliveries/{delivery}/pick").text
    first = scan("")
    second = scan(scan_state(first.text))

    assert picked(opened) == "0"
    assert opened.count('id="pick-list"') == 1
    assert 'id="pick-list" hx-swap-oob="true"' in first.text  # redrawn beside the lines
    assert (picked(first.text), picked(second.text)) == ("1", "2")
    assert 'class="picked"' not in second.text  # 2 of 6


def test_a_batch_item_is_picked_by_its_code_with_the_batch_typed_from_the_pick_list(shop):
    """Goods without a barcode of their own: the item code scanned, the batch typed beside."""
    app, _ = shop
    an_item(app, "奶粉", tracking="batch", shelf_life_days=720)
    milk = {"item": "奶粉", "quantity": "5", "batch": "B1", "expiry_date": "2027-12-31"}
    receive(app, "WH1", {**milk, "unit_cost": "50"})
    order = a_sales_order(app, "WH1", "C1", {"item": "奶粉", "quantity": "2"})
    workflows.use(app.uow(), "tester", "sop")  # picked by scanning
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, order, "web-3")

    def scanned(state="", **typed):
        return clerk.post(
            f"/deliveries/{delivery}/pick/scan",
            data={"code": "奶粉", "state": state, **typed},
            headers={"X-CSRF-Token": page_csrf(clerk)},
        )

    assert 'name="scan_batch"' in clerk.get(f"/deliveries/{delivery}/pick").text
    without = scanned()
    assert without.status_code == 422
    assert "商品 奶粉 启用了批次管理" in without.text
    unknown = scanned(scan_batch="B9")
    assert (unknown.status_code, "批次 B9" in unknown.text) == (422, True)
    first = scanned(scan_batch="B1")
    second = scanned(scan_state(first.text), scan_batch="B1")
    lines = json.loads(scan_state(second.text))["lines"]
    assert [(line["batch"], line["quantity"]) for line in lines] == [("B1", "2")]
    handed_in = clerk.post(
        f"/deliveries/{delivery}/pick",
        data={"csrf": page_csrf(clerk), "state": scan_state(second.text)},
        follow_redirects=False,
    )
    assert handed_in.status_code == 303, handed_in.text


def test_a_pick_screen_opened_past_its_step_says_so_and_takes_no_scan(shop):
    """Back after 复核, or a stale tab: the delivery as it is now, not a screen to scan into."""
    app, number = shop  # the one-step workflow: a delivery ships, it is never picked
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, number, "web-4")

    screen = clerk.get(f"/deliveries/{delivery}/pick")
    scanned = clerk.post(
        f"/deliveries/{delivery}/pick/scan",
        data={"code": "杯子", "state": ""},
        headers={"X-CSRF-Token": page_csrf(clerk)},
    )

    assert screen.status_code == 409
    assert f"单据 {delivery} 的流程没有「拣货」这一步；单据当前为「草稿」" in screen.text
    assert 'id="scan"' not in screen.text
    assert screen.headers["cache-control"] == "no-store"  # Back shows it anew
    assert scanned.status_code == 422
    assert "没有「拣货」这一步" in scanned.text


def test_a_check_screen_is_refused_to_the_picker_and_the_pick_screen_to_sales_at_once(shop):
    """Told as the screen opens, not after a whole delivery is scanned in vain."""
    app, number = shop
    workflows.use(app.uow(), "tester", "sop")
    clerk, sales = web_client(app, "clerk"), web_client(app, "sales")
    delivery = pushed_down(clerk, number, "web-6")
    deliveries.pick(app.uow(), "clerk", delivery, {"scans": [{"item": "杯子", "quantity": "6"}]})

    own_check = clerk.get(f"/deliveries/{delivery}/check")
    scanned = clerk.post(
        f"/deliveries/{delivery}/check/scan",
        data={"code": "杯子", "state": ""},
        headers={"X-CSRF-Token": page_csrf(clerk)},
    )
    not_sales = sales.get(f"/deliveries/{delivery}/check")

    assert own_check.status_code == 403
    assert f"clerk 已对单据 {delivery} 执行过「拣货」，「复核」须由另一人完成" in own_check.text
    assert 'id="scan"' not in own_check.text
    assert scanned.status_code == 422
    assert "须由另一人完成" in scanned.text
    assert not_sales.status_code == 403
    assert f"用户 sales 无权在仓库 WH1 复核单据 {delivery}" in not_sales.text
    assert 'id="scan"' not in not_sales.text


def test_a_shipped_delivery_is_pushed_down_to_a_return_or_reversed_from_its_page(shop):
    app, number = shop
    a_user(app, "boss", "warehouse_manager", "WH1")
    clerk, boss = web_client(app, "clerk"), web_client(app, "boss")
    delivery = pushed_down(clerk, number, "web-5")
    documents.act(app.uow(), "clerk", delivery, "ship")

    page = boss.get(f"/documents/{delivery}")
    assert 'id="push-down">下推退货单<' in page.text
    assert 'id="reverse" class="danger">红冲<' in page.text
    assert 'id="reverse"' not in clerk.get(f"/documents/{delivery}").text  # a manager's step

    returned = boss.post(
        f"/orders/{delivery}/push-down",
        data={"csrf": page_csrf(boss), "request_id": "web-6"},
        follow_redirects=False,
    )
    assert returned.status_code == 303
    assert returned.headers["location"].startswith("/documents/XSTH")
    documents.act(app.uow(), "boss", returned.headers["location"].rsplit("/", 1)[1], "void")

    reversal = boss.post(
        f"/documents/{delivery}/reverse",
        data={"csrf": page_csrf(boss), "request_id": "web-7"},
        follow_redirects=False,
    )
    assert reversal.status_code == 303, reversal.text
    assert reversal.headers["location"].startswith("/documents/HC")
    assert 'id="reverse"' not in boss.get(f"/documents/{delivery}").text  # one is on its way
    again = boss.post(
        f"/documents/{delivery}/reverse",
        data={"csrf": page_csrf(boss), "request_id": "web-8"},
    )
    assert again.status_code == 422
    assert "已有进行中的红冲单" in again.text


def test_a_short_pick_is_handed_in_only_once_confirmed_on_the_screen(shop):
    app, number = shop  # the order wants 6 cups
    workflows.use(app.uow(), "tester", "sop")  # picked by scanning
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, number, "web-9")
    scanned = clerk.post(
        f"/deliveries/{delivery}/pick/scan",
        data={"code": "杯子", "state": ""},
        headers={"X-CSRF-Token": page_csrf(clerk)},
    )
    state = scan_state(scanned.text)

    def hand_in(**confirmed):
        return clerk.post(
            f"/deliveries/{delivery}/pick",
            data={"csrf": page_csrf(clerk), "state": state, "request_id": "pick-1", **confirmed},
            follow_redirects=False,
        )

    unconfirmed = hand_in()
    assert unconfirmed.status_code == 422
    assert "杯子：拣货 1，应拣 6；其余留在订单上" in unconfirmed.text
    assert 'name="short_confirmed"' in unconfirmed.text
    kept = json.loads(scan_state(unconfirmed.text))  # what was scanned is kept
    assert [(line["item"], line["quantity"]) for line in kept["lines"]] == [("杯子", "1")]
    # and the pick list beside it says so, where the picker decides
    assert re.findall(r'<td class="num taken">([^<]*)</td>', unconfirmed.text) == ["1"]

    confirmed = hand_in(short_confirmed="true")
    assert confirmed.status_code == 303, confirmed.text
    assert [line["quantity"] for line in lines_of(app, delivery)] == ["1"]


def lines_of(app, number):
    with app.reader() as connection:
        return [
            {"quantity": str(line.quantity.normalize())}
            for line in document_queries.document(connection, number)[1]
        ]


def test_goods_that_come_back_are_scanned_against_their_delivery_and_held_to_it(shop):
    app, number = shop
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, number, "web-20")
    documents.act(app.uow(), "clerk", delivery, "ship")  # 6 cups went out

    page = clerk.get(f"/documents/{delivery}").text
    screen = clerk.get(f"/sales-return?source={delivery}").text
    back = Entry(clerk, "sales-return", source=delivery)

    assert f'id="sales-return-by-scan" href="/sales-return?source={delivery}">扫码销售退货<' in page
    assert f'name="source" value="{delivery}"' in screen
    assert (
        f'name="source" value="{delivery}"'
        in clerk.get(f"/sales-return?source= {delivery.lower()}").text
    )
    assert "退货的销售出库单" in screen
    assert 'name="partner"' not in screen  # the delivery's customer, nothing to choose
    assert back.scan("杯子", quantity="2") == 200
    assert back.scan("杯子", quantity="5") == 422  # 2 + 5 of the 6 that went out
    assert back.message == f"杯子：{delivery} 第 1 行数量 6，已退 0，再退 7 超出"
    assert back.lines == [("杯子", "2", None, [])]

    submitted = back.submit()
    assert submitted.status_code == 303, submitted.text
    returned = submitted.headers["location"].rsplit("/", 1)[1]
    assert returned.startswith("XSTH")
    with app.reader() as connection:
        header, lines = document_queries.document(connection, returned)
        assert order_queries.source_of(connection, returned) == delivery
    assert [(line.item, line.quantity) for line in lines] == [("杯子", Decimal("2"))]
    assert header.partner == "C1"


def test_a_return_pushed_down_whole_is_edited_to_what_came_back(shop):
    app, number = shop
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, number, "web-21")
    documents.act(app.uow(), "clerk", delivery, "ship")
    returned = pushed_down(clerk, delivery, "web-22")  # all 6 cups

    page = clerk.get(f"/documents/{returned}").text
    editing = clerk.get(f"/documents/{returned}/edit")
    assert 'id="edit"' in page
    assert editing.status_code == 200
    assert f'name="source" value="{delivery}"' in editing.text
    state = json.loads(scan_state(editing.text))
    state["lines"][0]["quantity"] = "1"
    saved = clerk.post(
        f"/documents/{returned}/edit",
        data={
            "warehouse": "WH1",
            "source": delivery,
            "note": "",
            "state": json.dumps(state),
            "based_on": re.search(r'name="based_on" value="([^"]*)"', editing.text).group(1),
            "csrf": page_csrf(clerk),
        },
        follow_redirects=False,
    )

    assert saved.status_code == 303, saved.text
    with app.reader() as connection:
        lines = document_queries.document(connection, returned)[1]
    assert [(line.item, line.quantity) for line in lines] == [("杯子", Decimal("1"))]


def test_a_posted_receipt_is_pushed_down_or_scanned_back_to_its_supplier(shop):
    app, _ = shop
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    receipt = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH1",
            "partner": "SUP1",
            "lines": [{"item": "杯子", "quantity": "3", "unit_cost": "7"}],
        },
        post=True,
    ).number
    a_user(app, "buyer", "purchaser", "WH1")
    clerk = web_client(app, "clerk")
    before = snapshot(app)

    page = clerk.get(f"/documents/{receipt}").text
    screen = clerk.get(f"/purchase-return?source={receipt}").text
    back = Entry(clerk, "purchase-return", source=receipt)

    assert 'id="push-down">' in page  # 下推 to a purchase return, before any return
    assert 'class="num returned"' not in page  # nothing returned: no column for it
    assert f'href="/purchase-return?source={receipt}">扫码采购退货<' in page
    assert "退回的采购入库单" in screen
    assert 'name="partner"' not in screen
    assert snapshot(app) == before  # the page read what may go back; it wrote nothing
    assert [back.scan("杯子") for _ in range(4)] == [200, 200, 200, 422]
    submitted = back.submit()
    assert submitted.status_code == 303, submitted.text
    returned = submitted.headers["location"].rsplit("/", 1)[1]
    assert returned.startswith("CGTH")
    with app.reader() as connection:
        assert order_queries.source_of(connection, returned) == receipt
    assert 'id="push-down">' not in clerk.get(f"/documents/{receipt}").text  # all on its way
    # It left at the moving average (10 at ¥4 and 3 at ¥7: 3 × 61 / 13 = 14.08), as booked.
    page = clerk.get(f"/documents/{returned}").text
    assert re.findall(r'<td class="num">([^<]*)</td></tr>', page) == ["4.693333"]
    received = clerk.get(f"/documents/{receipt}").text
    assert re.findall(r'<td class="num returned">([^<]*)</td>', received) == ["3 个"]
    assert f'源单：<a href="/documents/{receipt}">' in clerk.get(f"/documents/{returned}").text
    # a receipt from no supplier (其他入库, 盘盈) has no one to go back to
    found = receive(app, "WH1", {"item": "杯子", "quantity": "1", "unit_cost": "7"}).number
    found_page = clerk.get(f"/documents/{found}").text
    assert 'id="push-down"' not in found_page
    assert "扫码采购退货" not in found_page


def test_a_batch_item_comes_back_in_the_batch_its_delivery_line_took_out(shop):
    app, _ = shop
    an_item(app, "奶粉", tracking="batch", shelf_life_days=720)
    for batch, expiry in (("M1", "2027-06-30"), ("M2", "2027-12-31")):
        receive(
            app,
            "WH1",
            {
                "item": "奶粉",
                "quantity": "2",
                "unit_cost": "50",
                "batch": batch,
                "expiry_date": expiry,
            },
        )
    order = a_sales_order(app, "WH1", "C1", {"item": "奶粉", "quantity": "3", "unit_price": "99"})
    clerk = web_client(app, "clerk")
    delivery = pushed_down(clerk, order, "web-30")  # by FEFO: 2 of M1, 1 of M2
    documents.act(app.uow(), "clerk", delivery, "ship")
    back = Entry(clerk, "sales-return", source=delivery, partner="C1")

    assert 'id="scan-batch"' in clerk.get(f"/sales-return?source={delivery}").text
    assert back.scan("奶粉") == 422  # which of the two?
    assert back.message == "请注明退货批次：该行的批次为 M1, M2"
    assert back.scan("奶粉", scan_batch="M9") == 422
    assert back.message == "批次 M9 不是被退单据该行的批次（该行批次为 M1, M2）"
    assert back.scan("奶粉", scan_batch="M2") == 200
    assert back.scan("奶粉", scan_batch="M2") == 422  # one of M2 went out
    assert (
        back.message
        == f"奶粉：{delivery} 中批次 M2 发出 1，已退回或在未过账的退货单上 0，再退 2 超出"
    )
    assert back.lines == [("奶粉", "1", "M2", [])]


def test_an_order_is_for_serial_tracked_goods_before_their_units_are_known(shop):
    app, _ = shop
    an_item(app, "手机", tracking="serial", base_unit="台")
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    a_user(app, "buyer", "purchaser", "WH1")
    order = Entry(web_client(app, "buyer"), "purchase-order", partner="SUP1")

    assert order.scan("手机", quantity="2") == 200
    assert order.lines == [("手机", "2", None, [])]
    order.fields.update({"price-1": "1200", "tax-1": "13"})
    assert order.submit().status_code == 303


def test_a_documents_step_buttons_read_as_buttons_in_english(shop):
    app, _ = shop
    workflows.use(app.uow(), "tester", "sop")
    draft = documents.create(
        app.uow(),
        "clerk",
        {
            "document_type": "issue",
            "warehouse": "WH1",
            "lines": [{"item": "杯子", "quantity": "1"}],
        },
    ).number
    clerk = web_client(app, "clerk")

    english = clerk.get(f"/documents/{draft}", headers={"Accept-Language": "en"}).text
    chinese = clerk.get(f"/documents/{draft}").text

    assert 'value="submit" class="">Submit</button>' in english
    assert 'value="submit" class="">提交</button>' in chinese


def test_a_refused_step_answers_with_the_documents_page_at_its_own_address(shop):
    app, number = shop
    clerk = web_client(app, "clerk")

    refused = clerk.post(f"/documents/{number}/ship", data={"csrf": page_csrf(clerk)})
    shown = clerk.get(f"/documents/{number}")

    assert refused.status_code == 422
    # a reload of what the browser shows must not send the step again
    assert f'history.replaceState(null, "", "/documents/{number}")' in refused.text
    assert "history.replaceState" not in shown.text
