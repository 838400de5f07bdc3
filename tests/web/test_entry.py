"""Entry by scan on the web: receive, issue and transfer screens check each scan at once.

A scan is refused, next to the field and in the user's language, for what posting would
refuse later (more than available, a serial in stock elsewhere or already in stock, a
batch missing where goods come in), and the check writes nothing. Driven through the
whole server (API and web) with FastAPI's TestClient, on each storage engine.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from jxc.asgi import create_server
from jxc.queries import audit as audit_queries
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.queries import stock_levels
from jxc.services import auth, catalog, documents, partners, workflows
from tests.builders import a_purchase_order, a_user, a_warehouse, an_item, receive, snapshot
from tests.conftest import TESTER
from tests.web.helpers import Entry, page_csrf, scan_state, signed_in

SCREWS_EAN = "6901234567892"
MILK_EAN = "6909876543212"
PHONE_EAN = "6900000000014"


@pytest.fixture
def shop(app):
    """Stock posted directly, then the shipped SOP installed for the screens' documents."""
    sop = app
    for code in ("WH1", "WH2"):
        a_warehouse(sop, code)
    an_item(sop, "螺丝-M3", units={"箱": "100"})
    an_item(sop, "奶粉", tracking="batch", shelf_life_days=720)
    an_item(sop, "手机", tracking="serial", base_unit="台")
    catalog.add_barcode(sop.uow(), "tester", "螺丝-M3", SCREWS_EAN)
    catalog.add_barcode(sop.uow(), "tester", "奶粉", MILK_EAN)
    catalog.add_barcode(sop.uow(), "tester", "手机", PHONE_EAN)
    receive(sop, "WH1", {"item": "螺丝-M3", "quantity": "3", "unit_cost": "1"})
    milk = {"item": "奶粉", "quantity": "4", "batch": "B1", "expiry_date": "2027-12-31"}
    receive(sop, "WH1", {**milk, "unit_cost": "50"})
    receive(sop, "WH2", {"item": "手机", "quantity": "1", "serials": ["IMEI-2"], "unit_cost": "9"})
    a_user(sop, "clerk1", "warehouse_clerk", "WH1")
    a_user(sop, "clerk.wh2", "warehouse_clerk", "WH2")
    a_user(sop, "boss", "warehouse_manager")
    workflows.use(sop.uow(), TESTER, "sop")
    return sop


@pytest.fixture
def client(shop):
    with TestClient(create_server(shop), raise_server_exceptions=False) as test_client:
        yield test_client


def test_an_entry_screen_is_refused_as_it_opens_to_whom_may_make_no_such_document(client, shop):
    a_user(shop, "auditor", "auditor")

    refused_screen = signed_in(client, "auditor").get("/receive")
    own = signed_in(client, "clerk1").get("/issue").text

    assert refused_screen.status_code == 403
    assert "用户 auditor 无权创建" in refused_screen.text
    assert 'id="scan"' not in refused_screen.text
    source = own.split('<select name="warehouse">')[1].split("</select>")[0]
    assert re.findall(r">(WH\d)</option>", source) == ["WH1"]


def test_an_issue_scan_beyond_what_is_available_is_refused_at_once(client, shop):
    issue = Entry(signed_in(client, "clerk1"), "issue")
    before = snapshot(shop)

    assert [issue.scan(SCREWS_EAN) for _ in range(3)] == [200, 200, 200]
    assert issue.scan(SCREWS_EAN) == 422

    assert issue.message == "第 1 行：螺丝-M3 在 WH1：需要 4，可用 3"
    assert issue.lines == [("螺丝-M3", "3", None, [])]
    assert snapshot(shop) == before  # checking a scan writes nothing


def test_a_counted_scan_beyond_what_is_available_is_named_on_the_line_it_lands_on(client, shop):
    issue = Entry(signed_in(client, "clerk1"), "issue")
    assert issue.scan(MILK_EAN) == 200

    assert issue.scan(SCREWS_EAN, quantity="4") == 422
    assert issue.message == "第 2 行：螺丝-M3 在 WH1：需要 4，可用 3"  # a new line: the 2nd
    assert issue.scan(SCREWS_EAN) == 200
    assert issue.scan(SCREWS_EAN, quantity="3") == 422
    assert issue.message == "第 2 行：螺丝-M3 在 WH1：需要 4，可用 3"  # what the line would need
    assert issue.lines == [("奶粉", "1", None, []), ("螺丝-M3", "1", None, [])]


def test_an_issue_takes_a_batch_item_without_its_batch_and_posting_picks_by_fefo(client, shop):
    issue = Entry(signed_in(client, "clerk1"), "issue", note="车间领料")

    assert issue.scan(MILK_EAN) == 200
    response = issue.submit()

    assert response.status_code == 303, response.text
    number = response.headers["location"].rsplit("/", 1)[1]
    with shop.reader() as connection:
        header, lines = document_queries.document(connection, number)
    assert (header.document_type, header.state, header.warehouse) == ("issue", "pending", "WH1")
    assert [(line.item, line.quantity) for line in lines] == [("奶粉", 1)]


def test_a_posted_line_that_named_no_batch_shows_the_batch_posting_took(client, shop):
    workflows.use(shop.uow(), TESTER, "simple")
    issue = Entry(signed_in(client, "clerk1"), "issue", note="车间领料")
    assert issue.scan(MILK_EAN) == 200
    number = issue.submit().headers["location"].rsplit("/", 1)[1]

    page = client.get(f"/documents/{number}").text

    assert re.search(r"<td>奶粉</td>.*?<td>个</td><td>B1</td>", page, re.S), page


def test_a_receipt_needs_the_batch_of_a_batch_item_and_refuses_a_serial_in_stock(client):
    receipt = Entry(signed_in(client, "clerk1"), "receive")

    assert receipt.scan(MILK_EAN) == 422
    assert receipt.message == "商品 奶粉 启用了批次管理，该行必须填写批次号"
    assert receipt.scan(f"(01)0{PHONE_EAN}(21)IMEI-2") == 422
    assert receipt.message == "手机 的序列号 IMEI-2 已在库（WH2/STOCK）"
    assert receipt.scan(f"(01)0{PHONE_EAN}(21)IMEI-9") == 200
    assert receipt.lines == [("手机", "1", None, ["IMEI-9"])]


def test_a_serial_item_whose_label_carries_no_serial_is_received_with_it_typed_beside(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")
    assert 'id="scan-serial"' in client.get("/receive").text

    assert receipt.scan(PHONE_EAN) == 422  # a unit needs its serial
    assert receipt.scan(PHONE_EAN, scan_serial="IMEI-10") == 200
    assert receipt.scan("手机", scan_serial="IMEI-11") == 200
    assert receipt.scan(PHONE_EAN, scan_serial="IMEI-2") == 422
    assert receipt.message == "手机 的序列号 IMEI-2 已在库（WH2/STOCK）"
    assert receipt.scan(SCREWS_EAN, scan_serial="X-1") == 422
    assert receipt.message == "商品 螺丝-M3 未启用序列号管理，请去掉序列号"

    assert receipt.lines == [("手机", "2", None, ["IMEI-10", "IMEI-11"])]


def test_a_batch_item_without_a_barcode_is_received_with_its_batch_typed_beside(client, shop):
    screen = signed_in(client, "clerk1").get("/receive").text
    receipt = Entry(client, "receive")

    assert 'id="scan-batch"' in screen
    assert 'id="scan-expiry"' in screen
    assert receipt.scan("奶粉", scan_batch="B7", scan_expiry="31/10/2027") == 422
    assert receipt.message == "有效期至：31/10/2027 无效"
    assert receipt.scan("奶粉", scan_batch="B7", scan_expiry="2028-10-31", quantity="6") == 200
    assert receipt.scan("奶粉") == 422  # the batch is that one scan's
    assert receipt.scan("奶粉", scan_expiry="2028-10-31") == 422
    assert receipt.message == "填写了生产日期或有效期，却没有批次号"
    assert receipt.scan("螺丝-M3", scan_batch="B7") == 422
    assert receipt.message == "商品 螺丝-M3 未启用批次管理，请去掉批次号"
    receipt.fields["cost-1"] = "48"
    made = receipt.submit()

    assert made.status_code == 303, made.text
    number = made.headers["location"].rsplit("/", 1)[1]
    with shop.reader() as connection:
        (line,) = document_queries.document(connection, number)[1]
    assert (line.item, line.quantity, line.batch) == ("奶粉", Decimal(6), "B7")


def test_a_second_expiry_for_the_same_batch_on_one_receipt_is_refused_not_dropped(client):
    receipt = Entry(signed_in(client, "clerk1"), "receive")

    assert receipt.scan("奶粉", scan_batch="B8", scan_expiry="2027-01-01", quantity="2") == 200
    assert receipt.scan("奶粉", scan_batch="B8", scan_expiry="2028-06-30") == 422
    assert receipt.message == "批次 B8 的有效期至已是 2027-01-01，不是 2028-06-30"
    assert receipt.scan("奶粉", scan_batch="B8") == 200  # no expiry: the batch's own
    assert receipt.scan("奶粉", scan_batch="B8", scan_expiry="2027-01-01") == 200

    assert receipt.lines == [("奶粉", "4", "B8", [])]
    assert json.loads(receipt.state)["lines"][0]["expiry_date"] == "2027-01-01"


def test_a_transfer_scan_of_a_serial_in_another_warehouse_names_where_it_is(client):
    transfer = Entry(signed_in(client, "boss"), "transfer", to_warehouse="WH2")

    assert transfer.scan(f"(01)0{PHONE_EAN}(21)IMEI-2") == 422

    assert transfer.message == "手机 的序列号 IMEI-2 在 WH2/STOCK，不在 WH1"
    assert transfer.lines == []


def test_a_serial_items_code_without_its_serial_asks_for_the_serial_to_be_scanned(client):
    issue = Entry(signed_in(client, "boss"), "issue")

    assert issue.scan(PHONE_EAN) == 422

    assert issue.message == "手机 按序列号管理：请扫描该件的序列号"  # no serial field to fill
    assert issue.lines == []


def test_a_serial_is_not_located_for_a_clerk_who_does_not_work_where_it_is(client):
    transfer = Entry(signed_in(client, "clerk1"), "transfer", to_warehouse="WH2")

    assert transfer.scan(f"(01)0{PHONE_EAN}(21)IMEI-2") == 422

    assert transfer.message == "手机 的序列号 IMEI-2 不在此处库存中（WH1）"


def test_a_transfer_to_its_own_warehouse_is_refused_at_the_first_scan(client):
    transfer = Entry(signed_in(client, "clerk1"), "transfer", to_warehouse="WH1")

    assert transfer.scan(SCREWS_EAN) == 422
    assert transfer.message == "调拨必须调往 WH1 以外的仓库"
    assert transfer.lines == []


def test_a_clerk_cannot_scan_into_a_warehouse_that_is_not_theirs(client):
    issue = Entry(signed_in(client, "clerk.wh2"), "issue")

    assert issue.scan(SCREWS_EAN) == 422
    assert issue.message == "用户 clerk.wh2 无权在仓库 WH1 创建其他出库单"
    assert issue.lines == []


def test_a_resent_scan_counts_once(client):
    issue = Entry(signed_in(client, "clerk1"), "issue")

    assert issue.scan(SCREWS_EAN, scan_id="s-1") == 200
    assert issue.scan(SCREWS_EAN, scan_id="s-1") == 200

    assert issue.lines == [("螺丝-M3", "1", None, [])]


def test_a_submitted_transfer_names_both_warehouses(client, shop):
    transfer = Entry(signed_in(client, "clerk1"), "transfer", to_warehouse="WH2")

    assert transfer.scan(SCREWS_EAN) == 200
    response = transfer.submit()

    assert response.status_code == 303, response.text
    number = response.headers["location"].rsplit("/", 1)[1]
    assert number.startswith("DB")
    with shop.reader() as connection:
        header, _ = document_queries.document(connection, number)
    assert (header.warehouse, header.to_warehouse, header.state) == ("WH1", "WH2", "pending")


def test_an_issue_scanned_for_a_customer_names_it(client, shop):
    partners.add(shop.uow(), "tester", {"code": "CUS-1", "name": "苏州精工", "kind": "customer"})
    issue = Entry(signed_in(client, "clerk1"), "issue", note="销售出库", partner="CUS-1")

    assert "苏州精工" in client.get("/issue").text
    assert issue.scan(SCREWS_EAN) == 200
    response = issue.submit()

    assert response.status_code == 303, response.text
    number = response.headers["location"].rsplit("/", 1)[1]
    with shop.reader() as connection:
        header, _ = document_queries.document(connection, number)
    assert header.partner == "CUS-1"


def test_a_sales_order_is_scanned_priced_and_submitted_and_more_than_available_is_refused(
    client, shop
):
    partners.add(
        shop.uow(),
        "tester",
        {
            "code": "TMALL",
            "name": "天猫",
            "kind": "channel",
            "channel_kind": "online",
            "warehouses": ["WH1"],
        },
    )
    a_user(shop, "sales1", "sales", "WH1")
    signed_in(client, "sales1")
    order = Entry(client, "sales-order", partner="TMALL")

    assert order.scan(SCREWS_EAN) == 200
    assert order.scan(SCREWS_EAN) == 200
    assert order.scan(SCREWS_EAN) == 200
    assert order.scan(SCREWS_EAN) == 422  # three on hand: a fourth cannot be reserved
    assert order.message == "第 1 行：螺丝-M3 在 WH1：需要 4，可用 3"
    order.fields.update({"price-1": "", "tax-1": "13"})
    refused = order.submit()
    assert refused.status_code == 422
    assert "订单行需要填写单价" in refused.text

    order.fields["price-1"] = "2.26"
    made = order.submit()

    assert made.status_code == 303, made.text
    number = made.headers["location"].rsplit("/", 1)[1]
    with shop.reader() as connection:
        header, _ = document_queries.document(connection, number)
        (line,) = order_queries.priced_lines(connection, number)
    assert (header.document_type, header.state) == ("sales_order", "pending")
    assert (line.quantity, line.amount_incl_tax, line.tax) == (3, Decimal("6.78"), Decimal("0.78"))


def test_a_purchase_order_is_scanned_without_any_stock_check(client, shop):
    partners.add(shop.uow(), "tester", {"code": "SUP1", "name": "供应商", "kind": "supplier"})
    a_user(shop, "buyer", "purchaser", "WH1")
    signed_in(client, "buyer")
    order = Entry(client, "purchase-order", partner="SUP1")

    for _ in range(5):
        assert order.scan(SCREWS_EAN) == 200  # more than on hand: nothing is taken out
    order.fields.update({"price-1": "1.13", "tax-1": "13"})
    made = order.submit()

    assert made.status_code == 303, made.text
    assert made.headers["location"].startswith("/documents/CGDD")


def test_goods_are_put_away_by_scanning_from_one_location_to_another(client, shop):
    catalog.add_location(shop.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "货架"})
    signed_in(client, "clerk1")
    move = Entry(client, "putaway", location="STOCK", to_location="A-01")

    assert move.scan(SCREWS_EAN) == 200
    assert move.scan(SCREWS_EAN) == 200
    made = move.submit()

    assert made.status_code == 303, made.text
    with shop.reader() as connection:
        rows = stock_levels.stock_rows(connection, "WH1", item="螺丝-M3")
    assert sorted((row.location, row.on_hand) for row in rows) == [
        ("A-01", Decimal(2)),
        ("STOCK", Decimal(1)),
    ]


def test_on_the_one_step_workflows_a_scanned_receipt_is_posted_at_once(client, shop):
    workflows.use(shop.uow(), TESTER, "simple")
    signed_in(client, "clerk1")
    receipt = Entry(client, "receive")

    assert receipt.scan(SCREWS_EAN) == 200
    receipt.fields["cost-1"] = "2"
    made = receipt.submit()

    assert made.status_code == 303, made.text
    number = made.headers["location"].rsplit("/", 1)[1]
    with shop.reader() as connection:
        header, _ = document_queries.document(connection, number)
    assert header.state == "posted"


def test_receiving_against_a_purchase_order_holds_each_scan_against_what_is_open(client, shop):
    partners.add(shop.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    catalog.set_tolerance(shop.uow(), "tester", "螺丝-M3", "50")  # 2 ordered: 3 may come
    an_item(shop, "垫圈")
    order = a_purchase_order(
        shop, "WH1", "SUP1", {"item": "螺丝-M3", "quantity": "2"}, then="submit"
    )
    documents.act(shop.uow(), "boss", order, "approve")
    clerk = signed_in(client, "clerk1")
    order_page = clerk.get(f"/documents/{order}").text
    screen = clerk.get(f"/receive?source={order}").text
    receipt = Entry(clerk, "receive", source=order, partner="SUP1")
    before = snapshot(shop)

    assert f'href="/receive?source={order}"' in order_page
    assert f'name="source" value="{order}"' in screen
    assert receipt.scan("垫圈") == 422
    assert receipt.message == f"源单 {order} 中没有 垫圈"
    assert [receipt.scan(SCREWS_EAN) for _ in range(4)] == [200, 200, 200, 422]
    assert "超订单入库" in receipt.message
    assert receipt.lines == [("螺丝-M3", "3", None, [])]
    assert snapshot(shop) == before

    response = receipt.submit()
    assert response.status_code == 303, response.text
    number = response.headers["location"].rsplit("/", 1)[1]
    with shop.reader() as connection:
        assert order_queries.source_of(connection, number) == order


def test_a_unit_cost_typed_not_in_digits_is_refused_next_to_it_not_read(client, shop):
    signed_in(client, "clerk1")
    receipt = Entry(client, "receive")
    assert receipt.scan(SCREWS_EAN) == 200
    for typed in ("1_000", "١٢", "1e3"):
        receipt.fields["cost-1"] = typed
        refused = receipt.submit()
        assert refused.status_code == 422, typed
        assert f"单位成本：{typed} 请写成普通数字" in refused.text
    receipt.fields["cost-1"] = "1,000"
    assert receipt.submit().status_code == 303


def test_refusals_of_several_lines_are_listed_by_line_not_by_json_pointer(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")
    assert receipt.scan(SCREWS_EAN) == 200
    assert receipt.scan(f"(01)0{MILK_EAN}(10)B7(17)271231") == 200
    receipt.fields.update({"cost-1": "abc", "cost-2": "1e3"})

    refused = receipt.submit()

    assert refused.status_code == 422
    listed = re.search(r'<div class="errors" role="alert">(.*?)</div>', refused.text, re.S)[1]
    items = re.findall(r"<li>(.*?)</li>", listed)
    assert items[0] == "第 1 行：单位成本：abc 不是数字"
    assert items[1].startswith("第 2 行：单位成本：1e3 请写成普通数字")
    assert len(items) == 2
    assert "/lines" not in listed


def test_a_count_typed_beside_the_scan_counts_that_scan_so_many_times(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")

    assert receipt.scan(SCREWS_EAN, quantity="48") == 200
    assert receipt.scan(SCREWS_EAN) == 200  # the count was for one scan only

    assert receipt.lines == [("螺丝-M3", "49", None, [])]
    for typed, message in (
        ("abc", "数量 abc 不是数字"),
        ("0", "数量必须大于零，不能是 0"),
        ("-2", "数量必须大于零，不能是 -2"),
        ("1e3", "1e3 请写成普通数字"),
        ("0.5", "数量 0.5 的小数位超过单位 个 允许的 0 位"),  # what was typed, not 49.5
        ("1000000000001", "数量 1000000000001 超过上限 10^12"),
    ):
        assert receipt.scan(SCREWS_EAN, quantity=typed) == 422, typed
        assert message in receipt.message
        assert receipt.lines == [("螺丝-M3", "49", None, [])]


def test_a_count_typed_for_a_code_carrying_its_own_count_multiplies_it(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")
    carton = f"(01)0{SCREWS_EAN}(30)24"  # a carton of 24

    assert receipt.scan(carton) == 200
    assert receipt.scan(carton, quantity="2") == 200

    assert receipt.lines == [("螺丝-M3", "72", None, [])]


def test_a_count_typed_for_a_serial_is_refused_each_serial_is_scanned(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")

    assert receipt.scan(f"(01)0{PHONE_EAN}(21)IMEI-9", quantity="5") == 422

    assert receipt.message == "序列号 IMEI-9 只是一件：请逐个扫描序列号，不能按 5 件计数"
    assert receipt.lines == []
    assert receipt.scan(f"(01)0{PHONE_EAN}(21)IMEI-9", quantity="1") == 200
    assert receipt.lines == [("手机", "1", None, ["IMEI-9"])]
    assert receipt.scan(f"(01)0{PHONE_EAN}(21)IMEI-9") == 422  # the same unit, not another
    assert receipt.message == "序列号 IMEI-9 已在第 1 行扫过：每个序列号只计一件"
    assert receipt.lines == [("手机", "1", None, ["IMEI-9"])]


def test_a_line_quantity_typed_over_is_kept_scanned_onto_and_submitted(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")
    assert receipt.scan(SCREWS_EAN) == 200

    receipt.fields["qty-1"] = "10"
    assert receipt.scan(SCREWS_EAN) == 200
    assert receipt.lines == [("螺丝-M3", "11", None, [])]

    receipt.fields["qty-1"] = "十"
    assert receipt.scan(SCREWS_EAN) == 422
    assert receipt.message == "数量 十 不是数字"
    assert receipt.lines == [("螺丝-M3", "十", None, [])]  # kept as typed, to be put right
    refused = receipt.submit()
    assert refused.status_code == 422
    assert '<span class="field-error">数量：十 不是数字</span>' in refused.text  # on its line

    receipt.fields["qty-1"] = "12"
    receipt.fields["cost-1"] = "1"
    response = receipt.submit()
    assert response.status_code == 303, response.text
    with shop.reader() as connection:
        _, lines = document_queries.document(connection, response.headers["location"][-14:])
    assert [(line.item, line.quantity) for line in lines] == [("螺丝-M3", 12)]


def test_a_line_taken_out_moves_the_next_up_with_what_was_typed_on_it(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")
    assert receipt.scan(SCREWS_EAN) == 200
    assert receipt.scan(f"(01)0{MILK_EAN}(10)B9(17)271231") == 200
    assert receipt.scan(f"(01)0{PHONE_EAN}(21)IMEI-7") == 200
    receipt.fields.update({"cost-1": "1", "cost-3": "900", "qty-1": "4"})

    assert receipt.remove(2) == 200

    assert receipt.lines == [("螺丝-M3", "4", None, []), ("手机", "1", None, ["IMEI-7"])]
    assert [line["unit_cost"] for line in json.loads(receipt.state)["lines"]] == ["1", "900"]
    assert receipt.remove(5) == 200  # a number no line has: nothing goes
    assert len(receipt.lines) == 2


def _rejected_receipt(client, shop):
    """A receipt of 3 screws and 1 milk scanned by clerk1, then 驳回 by the boss."""
    receipt = Entry(signed_in(client, "clerk1"), "receive")
    receipt.scan(SCREWS_EAN, quantity="3")
    receipt.scan(f"(01)0{MILK_EAN}(10)B9(17)271231")
    receipt.fields.update({"cost-1": "1", "cost-2": "50"})
    number = receipt.submit().headers["location"].rsplit("/", 1)[1]
    documents.act(shop.uow(), "boss", number, "reject", "数量不对")
    return number


def _based_on(page):
    return re.search(r'name="based_on" value="(\d+)"', page).group(1)


class Editing(Entry):
    """The 修改 screen of a document: opened with its lines, saved over it."""

    def __init__(self, client, number):
        super().__init__(client, f"documents/{number}/edit")
        opened = client.get(f"/documents/{number}/edit")
        assert opened.status_code == 200, opened.text
        self.page = opened.text
        self.fields["based_on"] = _based_on(opened.text)  # the version the screen shows
        self.state = scan_state(opened.text)


def test_a_rejected_receipt_is_edited_on_its_scan_screen_and_submitted_again(client, shop):
    number = _rejected_receipt(client, shop)
    signed_in(client, "clerk1")
    assert f'href="/documents/{number}/edit"' in client.get(f"/documents/{number}").text

    edit = Editing(client, number)
    assert f"修改 {number}" in edit.page
    assert f'<a href="/documents/{number}">返回单据</a>' in edit.page
    assert "数量不对" in edit.page  # why it came back
    assert edit.lines == [("螺丝-M3", "3", None, []), ("奶粉", "1", "B9", [])]
    edit.fields["qty-1"] = "5"
    assert edit.remove(2) == 200
    assert edit.scan(SCREWS_EAN) == 200  # onto the typed 5
    del edit.fields["qty-1"]  # the screen now shows the line's 6
    edit.fields["cost-1"] = "1.5"
    response = edit.submit()

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/documents/{number}"
    with shop.reader() as connection:
        header, lines = document_queries.document(connection, number)
    assert header.state == "rejected"  # changed, not yet handed in again
    assert [(line.item, line.quantity, line.unit_cost) for line in lines] == [
        ("螺丝-M3", 6, Decimal("1.5"))
    ]
    documents.act(shop.uow(), "clerk1", number, "submit")


def test_saving_an_unchanged_edit_screen_says_there_is_nothing_to_change(client, shop):
    number = _rejected_receipt(client, shop)
    edit = Editing(signed_in(client, "clerk1"), number)
    edit.fields.update({"cost-1": "1", "cost-2": "50"})

    refused = edit.submit()

    assert refused.status_code == 422
    assert f"单据 {number} 的内容与所存的完全相同，没有修改任何内容" in refused.text


def test_of_two_screens_editing_one_document_the_later_save_is_refused_not_merged(client, shop):
    number = _rejected_receipt(client, shop)
    signed_in(client, "clerk1")
    first, second = Editing(client, number), Editing(client, number)
    first.fields.update({"qty-1": "9", "cost-1": "1", "cost-2": "50"})
    second.fields.update({"cost-1": "1", "cost-2": "51"})

    assert first.submit().status_code == 303
    refused = second.submit()

    assert refused.status_code == 422
    assert f"单据 {number} 在你打开之后已被他人修改" in refused.text
    assert 'value="51"' in refused.text  # the screen as it was, to redo on a fresh one
    with shop.reader() as connection:
        lines = document_queries.document(connection, number)[1]
    assert [(line.quantity, line.unit_cost) for line in lines] == [(9, 1), (1, 50)]


def test_a_save_sent_twice_edits_once_and_answers_both(client, shop):
    number = _rejected_receipt(client, shop)
    edit = Editing(signed_in(client, "clerk1"), number)
    edit.fields.update({"qty-1": "4", "cost-1": "1", "cost-2": "50"})
    edit.fields["request_id"] = "double-click-1"

    assert [edit.submit().status_code for _ in range(2)] == [303, 303]
    with shop.reader() as connection:
        history = audit_queries.log(connection, document=number)
    assert [event.action for event in history].count("document.edit") == 1


def test_a_scan_or_a_save_after_the_document_was_handed_in_is_refused_keeping_the_screen(
    client, shop
):
    number = _rejected_receipt(client, shop)
    edit = Editing(signed_in(client, "clerk1"), number)
    documents.act(shop.uow(), "clerk1", number, "submit")  # from another tab

    assert edit.scan(SCREWS_EAN) == 422
    assert "当前为审核中，只有在草稿、已驳回时才能修改" in edit.message
    assert edit.lines == [("螺丝-M3", "3", None, []), ("奶粉", "1", "B9", [])]
    edit.fields["qty-1"] = "7"
    refused = edit.submit()
    assert refused.status_code == 422
    assert "只有在草稿、已驳回时才能修改" in refused.text
    assert 'name="qty-1" value="7"' in refused.text


def test_a_document_past_its_editable_states_offers_no_edit_and_refuses_one(client, shop):
    number = _rejected_receipt(client, shop)
    documents.act(shop.uow(), "clerk1", number, "submit")
    signed_in(client, "clerk1")

    assert "/edit" not in client.get(f"/documents/{number}").text
    refused = client.get(f"/documents/{number}/edit")
    assert refused.status_code == 409
    assert "只有在草稿、已驳回时才能修改" in refused.text
    signed_in(client, "clerk.wh2")
    assert client.get(f"/documents/{number}/edit").status_code == 404


def _sales_order(shop, customer, line, name="客户甲"):
    """A draft sales order in WH1 to a new customer, of screws as ``line`` says."""
    partners.add(shop.uow(), TESTER, {"code": customer, "name": name, "kind": "customer"})
    order = {
        "document_type": "sales_order",
        "warehouse": "WH1",
        "partner": customer,
        "lines": [{"item": "螺丝-M3", **line}],
    }
    return documents.create(shop.uow(), TESTER, order)


def test_an_order_edited_on_the_web_keeps_the_discount_no_scan_sets(client, shop):
    order = _sales_order(shop, "C1", {"quantity": "2", "unit_price": "10", "discount_rate": "5"})
    a_user(shop, "sales1", "sales", "WH1")
    edit = Editing(signed_in(client, "sales1"), order.number)
    edit.fields.update({"partner": "C1", "qty-1": "3", "price-1": "10", "tax-1": "13"})

    assert edit.submit().status_code == 303
    with shop.reader() as connection:
        [line] = order_queries.priced_lines(connection, order.number)
    assert (line.quantity, line.discount_rate) == (3, Decimal("5"))


def test_a_put_away_edited_keeps_each_lines_places_or_moves_them_all_together(client, shop):
    for code in ("A-01", "B-02"):
        catalog.add_location(shop.uow(), TESTER, {"warehouse": "WH1", "code": code, "name": "货架"})
    milk = {"item": "奶粉", "batch": "B1", "expiry_date": "2027-12-31"}
    screws = {"item": "螺丝-M3", "quantity": "1", "location": "STOCK"}
    apart = documents.create(
        shop.uow(),
        TESTER,
        {
            "document_type": "putaway",
            "warehouse": "WH1",
            "lines": [
                {**screws, "to_location": "A-01"},
                {**milk, "quantity": "1", "location": "STOCK", "to_location": "B-02"},
            ],
        },
    )
    together = documents.create(
        shop.uow(),
        TESTER,
        {
            "document_type": "putaway",
            "warehouse": "WH1",
            "lines": [{**screws, "to_location": "A-01"}],
        },
    )
    signed_in(client, "clerk1")

    edit = Editing(client, apart.number)
    edit.fields.update({"location": "STOCK", "to_location": "A-01", "qty-1": "2"})
    assert edit.submit().status_code == 303
    edit = Editing(client, together.number)
    edit.fields.update({"location": "STOCK", "to_location": "B-02"})
    assert edit.submit().status_code == 303

    with shop.reader() as connection:
        lines = {
            number: document_queries.document(connection, number)[1]
            for number in (apart.number, together.number)
        }
    assert [(line.quantity, line.to_location) for line in lines[apart.number]] == [
        (2, "A-01"),
        (1, "B-02"),
    ]
    assert [line.to_location for line in lines[together.number]] == ["B-02"]


def test_a_scan_after_the_session_ended_sends_the_page_to_sign_in_not_into_the_lines(client, shop):
    issue = Entry(signed_in(client, "clerk1"), "issue")
    assert issue.scan(SCREWS_EAN) == 200
    auth.set_active(shop.uow(), TESTER, "clerk1", False)  # signs clerk1 out everywhere

    scanned = client.post(
        "/issue/scan",
        data={**issue.fields, "code": SCREWS_EAN, "state": issue.state},
        headers={"X-CSRF-Token": page_csrf(client), "HX-Request": "true"},
        follow_redirects=False,
    )

    assert (scanned.status_code, scanned.headers["HX-Redirect"]) == (401, "/login")
    assert scanned.text == ""


def test_a_quantity_typed_over_a_line_is_checked_at_submit_as_a_scan_would_be(client, shop):
    issue = Entry(signed_in(client, "clerk1"), "issue", note="领料")
    assert issue.scan(SCREWS_EAN) == 200
    issue.fields["qty-1"] = "5000"
    before = snapshot(shop)

    refused = issue.submit()

    assert refused.status_code == 422
    assert "第 1 行：螺丝-M3 在 WH1：需要 5000，可用 3" in refused.text
    assert "第 1 行：第 1 行" not in refused.text  # the message names its line itself
    assert snapshot(shop) == before


def test_a_resent_submit_is_answered_as_the_first_not_checked_against_what_it_took(client, shop):
    workflows.use(shop.uow(), TESTER, "simple")  # posted at once: the stock is gone after
    issue = Entry(signed_in(client, "clerk1"), "issue")
    for _ in range(3):
        assert issue.scan(SCREWS_EAN) == 200
    issue.fields["request_id"] = "double-click-2"

    first, second = issue.submit(), issue.submit()

    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["location"] == second.headers["location"]


def test_a_screen_changed_after_it_was_handed_in_names_the_document_it_made(client, shop):
    receipt = Entry(signed_in(client, "clerk1"), "receive")
    assert receipt.scan(SCREWS_EAN) == 200
    receipt.fields.update({"request_id": "back-after-submit", "cost-1": "2"})
    made = receipt.submit().headers["location"].rsplit("/", 1)[1]
    before = snapshot(shop)

    assert receipt.scan(SCREWS_EAN) == 200  # Back, one more scan, 提交 again
    again = receipt.submit()

    assert again.status_code == 422
    assert f"此页面已经提交过，已生成 {made}；要录入另一张单据，请重新打开录入页面" in again.text
    assert "请求号" not in again.text
    assert snapshot(shop) == before


def test_a_put_away_scan_beyond_what_lies_at_its_location_is_refused_at_once(client, shop):
    catalog.add_location(shop.uow(), TESTER, {"warehouse": "WH1", "code": "A-01", "name": "货架"})
    move = Entry(signed_in(client, "clerk1"), "putaway", location="STOCK", to_location="A-01")

    assert move.scan(SCREWS_EAN, quantity="3") == 200
    assert move.scan(SCREWS_EAN) == 422

    assert move.message == "第 1 行：螺丝-M3 在 WH1/STOCK：需要 4，可用 3"
    assert move.lines == [("螺丝-M3", "3", None, [])]


def test_the_same_serial_number_on_two_items_is_two_units(client, shop):
    an_item(shop, "平板", tracking="serial", base_unit="台")
    catalog.add_barcode(shop.uow(), TESTER, "平板", "6900000000021")
    receipt = Entry(signed_in(client, "clerk1"), "receive")

    assert receipt.scan(f"(01)0{PHONE_EAN}(21)SN001") == 200
    assert receipt.scan("(01)06900000000021(21)SN001") == 200

    assert receipt.lines == [("手机", "1", None, ["SN001"]), ("平板", "1", None, ["SN001"])]


def test_an_order_whose_customer_was_since_deactivated_keeps_it_when_edited(client, shop):
    order = _sales_order(shop, "C9", {"quantity": "1", "unit_price": "10"}, name="老客户")
    partners.edit(shop.uow(), TESTER, "C9", {"active": False})
    a_user(shop, "sales1", "sales", "WH1")

    edit = Editing(signed_in(client, "sales1"), order.number)

    assert '<option value="C9" selected>老客户</option>' in edit.page


def test_an_entry_screen_is_kept_for_back_and_other_pages_are_not(client, shop):
    """Scanned lines live in the entry screen alone; every other page is drawn anew."""
    signed_in(client, "clerk1")
    assert "cache-control" not in client.get("/receive").headers
    assert client.get("/documents").headers["cache-control"] == "no-store"


def test_who_wrote_a_receipt_is_told_on_its_page_why_approving_is_not_offered(client, shop):
    a_user(shop, "boss2", "warehouse_manager")
    data = {"document_type": "receipt", "warehouse": "WH1", "lines": [_SCREWS_AT_2]}
    number = documents.create(shop.uow(), "boss", data, then="submit").number

    page = signed_in(client, "boss").get(f"/documents/{number}")

    assert 'value="approve"' not in page.text
    withheld = re.search(r'id="withheld-approve">([^<]*)<', page.text)
    assert withheld, page.text
    assert withheld.group(1) == f"boss 已对单据 {number} 执行过「创建」，「审核」须由另一人完成"
    other = signed_in(TestClient(create_server(shop)), "boss2").get(f"/documents/{number}")
    assert 'value="approve"' in other.text
    assert 'id="withheld-' not in other.text


_SCREWS_AT_2 = {"item": "螺丝-M3", "quantity": "2", "unit_cost": "2"}
