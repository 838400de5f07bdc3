"""盘点 pages without a browser: the plan form's refusals, a refused step, the exports."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from jxc.services import catalog, partners, stocktakes, workflows
from tests.builders import a_sales_order, a_user, a_warehouse, an_item, receive
from tests.web.helpers import page_csrf, web_client


@pytest.fixture
def store(app):
    a_warehouse(app, "WH1")
    an_item(app, "杯子")
    receive(app, "WH1", {"item": "杯子", "quantity": "10", "unit_cost": "4"})
    a_user(app, "boss", "warehouse_manager", "WH1")
    a_user(app, "counter", "warehouse_clerk", "WH1")
    return app


def test_the_plan_form_names_what_is_wrong_and_keeps_what_was_typed(store):
    boss = web_client(store, "boss")
    refused = boss.post(
        "/stocktakes",
        data={
            "csrf": page_csrf(boss),
            "warehouse": "WH1",
            "locations": "Z-99",
            "tolerance_percent": "7",
        },
    )
    assert refused.status_code == 422
    assert "仓库 WH1 中没有库位 Z-99" in refused.text
    assert 'value="Z-99"' in refused.text
    assert stocktakes.listing(store.uow(), "boss") == []

    made = boss.post(
        "/stocktakes", data={"csrf": page_csrf(boss), "warehouse": "WH1"}, follow_redirects=False
    )
    assert made.status_code == 303
    assert made.headers["location"].startswith("/stocktakes/PD")


def test_a_step_refused_says_why_on_the_page(store):
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    counter = web_client(store, "counter")
    page = counter.get(f"/stocktakes/{number}")
    assert 'id="step-hand-in"' in page.text
    assert 'id="step-approve"' not in page.text  # a clerk does not approve
    refused = counter.post(f"/stocktakes/{number}/hand-in", data={"csrf": page_csrf(counter)})
    assert refused.status_code == 422
    assert "还有 1 行未盘" in refused.text
    # the stocktake's page at its own address: a reload does not hand it in again
    assert f'history.replaceState(null, "", "/stocktakes/{number}")' in refused.text
    assert "history.replaceState" not in page.text
    without_token = counter.post(f"/stocktakes/{number}/hand-in", data={})
    assert without_token.status_code == 403


def test_the_count_screen_records_each_scan_once(store):
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    counter = web_client(store, "counter")
    assert "账面数量" not in counter.get(f"/stocktakes/{number}/count").text
    for scan_id in ("s1", "s1", "s2"):
        answer = counter.post(
            f"/stocktakes/{number}/count/scan",
            data={"csrf": page_csrf(counter), "code": "杯子", "scan_id": scan_id},
        )
        assert answer.status_code == 200, answer.text
    halved = counter.post(
        f"/stocktakes/{number}/count/scan",
        data={"csrf": page_csrf(counter), "code": "杯子", "quantity": "0.5", "scan_id": "s3"},
    )
    assert halved.status_code == 422
    # told next to the scan field, without the line number of the service's own document
    assert re.search(r'id="scan-message"[^>]*>数量 0.5 ', halved.text), halved.text
    negative = counter.post(
        f"/stocktakes/{number}/count/total",
        data={"csrf": page_csrf(counter), "item": "杯子", "total": "-3"},
    )
    assert negative.status_code == 422
    assert "实盘数量不能为负数" in negative.text
    view = stocktakes.view(store.uow(), "boss", number)
    assert [row.line.counted for row in view.lines] == [2]

    sheet = web_client(store, "boss").get(f"/stocktakes/{number}?format=xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.values)
    assert rows[1][:2] == ("STOCK", "杯子")
    assert rows[1][5:7] == (10, 2)


def test_the_count_screen_offers_no_scan_field_to_whom_may_not_count_and_says_why(store):
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    a_user(store, "seller", "sales", "WH1")

    screen = web_client(store, "seller").get(f"/stocktakes/{number}/count")
    counters = web_client(store, "counter").get(f"/stocktakes/{number}/count")

    assert "用户 seller 无权在仓库 WH1 盘点录入" in screen.text
    assert 'id="scan"' not in screen.text
    assert 'id="scan"' in counters.text


def test_the_count_screen_offers_an_empty_shelf_of_the_plan_and_counts_what_is_found(store):
    catalog.add_location(store.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "A01"})
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    counter = web_client(store, "counter")
    screen = counter.get(f"/stocktakes/{number}/count")
    assert '<option value="A-01"' in screen.text
    assert '<option value="STOCK" selected' in screen.text  # the shelf with book lines first
    found = counter.post(
        f"/stocktakes/{number}/count/scan",
        data={"csrf": page_csrf(counter), "code": "杯子", "location": "A-01", "scan_id": "f1"},
    )
    assert found.status_code == 200, found.text
    view = stocktakes.view(store.uow(), "boss", number, "A-01")
    assert [(row.location, row.line.counted) for row in view.lines] == [("A-01", 1)]


def test_a_batch_the_books_never_had_is_counted_with_its_expiry_typed_beside_the_scan(store):
    an_item(store, "奶粉", tracking="batch", shelf_life_days=720)
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    counter = web_client(store, "counter")
    assert 'id="scan-expiry"' in counter.get(f"/stocktakes/{number}/count").text
    scan = {"csrf": page_csrf(counter), "code": "奶粉", "scan_batch": "N7"}

    undated = counter.post(f"/stocktakes/{number}/count/scan", data={**scan, "scan_id": "n1"})
    dated = counter.post(
        f"/stocktakes/{number}/count/scan",
        data={**scan, "scan_expiry": "2028-05-31", "scan_id": "n2"},
    )
    again = counter.post(f"/stocktakes/{number}/count/scan", data={**scan, "scan_id": "n3"})

    assert undated.status_code == 422
    assert re.search(
        r'id="scan-message"[^>]*>商品 奶粉 的批次 N7 需要生产日期或有效期至', undated.text
    )
    assert (dated.status_code, again.status_code) == (200, 200)  # known once counted
    catalog.add_barcode(store.uow(), "tester", "杯子", "6901234567892")
    cups = counter.post(  # a label's expiry on an item without batches counts it all the same
        f"/stocktakes/{number}/count/scan",
        data={"csrf": page_csrf(counter), "code": "(01)06901234567892(17)271231", "scan_id": "c1"},
    )
    assert cups.status_code == 200, cups.text
    view = stocktakes.view(store.uow(), "boss", number)
    assert {row.label: row.line.counted for row in view.lines} == {
        "杯子@STOCK": 1,
        "奶粉@STOCK/N7": 2,
    }


def test_a_batch_without_shelf_life_found_is_counted_with_both_dates_typed_beside(store):
    an_item(store, "胶带", tracking="batch")  # no shelf life: expiry does not follow
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    counter = web_client(store, "counter")
    assert 'id="scan-production"' in counter.get(f"/stocktakes/{number}/count").text
    scan = {"csrf": page_csrf(counter), "code": "胶带", "scan_batch": "T1"}

    expiry_only = counter.post(
        f"/stocktakes/{number}/count/scan",
        data={**scan, "scan_expiry": "2028-05-31", "scan_id": "t1"},
    )
    misdated = counter.post(
        f"/stocktakes/{number}/count/scan",
        data={**scan, "scan_expiry": "2028-05-31", "scan_production": "2026-13-01"},
    )
    both = counter.post(
        f"/stocktakes/{number}/count/scan",
        data={**scan, "scan_expiry": "2028-05-31", "scan_production": "2026-05-01"},
    )

    assert (expiry_only.status_code, misdated.status_code, both.status_code) == (422, 422, 200)
    assert "2026-13-01" in misdated.text
    view = stocktakes.view(store.uow(), "boss", number)
    assert {row.label: row.line.counted for row in view.lines}["胶带@STOCK/T1"] == 1


def test_an_approved_loss_names_the_orders_whose_holds_it_took_back(store):
    partners.add(store.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    order = a_sales_order(store, "WH1", "C1", {"item": "杯子", "quantity": "10"})
    plan = {"warehouse": "WH1", "tolerance_percent": "100"}
    number = stocktakes.plan(store.uow(), "boss", plan).number
    stocktakes.start(store.uow(), "boss", number)
    stocktakes.count(store.uow(), "counter", number, {"lines": [{"item": "杯子", "quantity": "7"}]})
    stocktakes.hand_in(store.uow(), "counter", number)
    boss = web_client(store, "boss")

    approved = boss.post(f"/stocktakes/{number}/approve", data={"csrf": page_csrf(boss)})

    assert approved.status_code == 200
    assert f"盘亏释放 {order} 的预占：杯子@" in approved.text
    history = boss.get(f"/documents/{order}")
    assert "盘亏释放预占" in history.text


def test_a_large_loss_waits_for_finance_whose_page_offers_the_second_approval(store):
    an_item(store, "电机")
    receive(store, "WH1", {"item": "电机", "quantity": "10", "unit_cost": "10000"})
    workflows.use(store.uow(), "tester", "sop")
    a_user(store, "cfo", "finance")
    plan = {"warehouse": "WH1", "tolerance_percent": "100"}
    number = stocktakes.plan(store.uow(), "boss", plan).number
    stocktakes.start(store.uow(), "boss", number)
    counts = [{"item": "杯子", "quantity": "10"}, {"item": "电机", "quantity": "2"}]
    stocktakes.count(store.uow(), "counter", number, {"lines": counts})
    stocktakes.hand_in(store.uow(), "counter", number)
    boss, cfo = web_client(store, "boss"), web_client(store, "cfo")

    assert number in boss.get("/").text  # on the manager's home page to approve
    first = boss.post(f"/stocktakes/{number}/approve", data={"csrf": page_csrf(boss)})

    assert "一级已审" in first.text
    assert "盘亏金额 80000.00 超过 50000，须由管理员、财务二级审核后过账" in first.text
    assert 'id="step-approve"' not in first.text  # the manager's part is done
    assert number not in boss.get("/").text
    assert number in cfo.get("/").text
    page = cfo.get(f"/stocktakes/{number}")
    assert 'id="step-approve"' in page.text
    second = cfo.post(f"/stocktakes/{number}/approve", data={"csrf": page_csrf(cfo)})
    assert "已审核" in second.text
    assert re.search(r'href="/documents/CK\d{12}"', second.text)  # the 盘亏 posted
    assert number not in cfo.get("/").text


def test_a_counters_home_page_lists_the_stocktakes_to_count(store):
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    counter = web_client(store, "counter")
    assert "stocktakes-to-count" not in counter.get("/").text  # planned: nothing to count yet

    stocktakes.start(store.uow(), "boss", number)

    home = counter.get("/").text
    assert "待盘点" in home
    assert f'<a href="/stocktakes/{number}/count">{number}</a>' in home


def test_the_loss_and_gain_documents_name_the_location_each_line_moved(store):
    catalog.add_location(store.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "A区"})
    receive(store, "WH1", {"item": "杯子", "quantity": "5", "location": "A-01"})
    plan = {"warehouse": "WH1", "tolerance_percent": "100"}
    number = stocktakes.plan(store.uow(), "boss", plan).number
    stocktakes.start(store.uow(), "boss", number)
    counts = [
        {"item": "杯子", "quantity": "3", "location": "A-01"},
        {"item": "杯子", "quantity": "11", "location": "STOCK"},
    ]
    stocktakes.count(store.uow(), "counter", number, {"lines": counts})
    stocktakes.hand_in(store.uow(), "counter", number)
    approved = stocktakes.approve(store.uow(), "boss", number)
    boss = web_client(store, "boss")

    loss = boss.get(f"/documents/{approved.loss}").text
    gain = boss.get(f"/documents/{approved.gain}").text

    assert "<th>库位</th>" in loss
    assert '<td class="location">A-01</td>' in loss
    assert '<td class="location">STOCK</td>' in gain


def test_the_stocktake_page_warns_of_expired_goods_found(store):
    an_item(store, "牛奶", tracking="batch", shelf_life_days=30)
    milk = {"item": "牛奶", "quantity": "4", "batch": "M1", "production_date": "2025-01-01"}
    receive(store, "WH1", milk)
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    counts = [{"item": "牛奶", "quantity": "4", "batch": "M1"}, {"item": "杯子", "quantity": "10"}]
    stocktakes.count(store.uow(), "counter", number, {"lines": counts})

    page = web_client(store, "boss").get(f"/stocktakes/{number}").text

    assert "⚠ 批次 M1 已于 2025-01-31 过期：请隔离存放，不可销售" in page
    assert "过期" not in web_client(store, "counter").get(f"/stocktakes/{number}").text


def test_after_hand_in_the_page_says_how_many_lines_await_a_recount(store):
    a_user(store, "counter2", "warehouse_clerk", "WH1")
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    stocktakes.count(store.uow(), "counter", number, {"lines": [{"item": "杯子", "quantity": "7"}]})
    counter = web_client(store, "counter")

    handed_in = counter.post(f"/stocktakes/{number}/hand-in", data={"csrf": page_csrf(counter)})

    assert "1 行待复盘，须由初盘以外的人完成" in handed_in.text
    recount = {"lines": [{"item": "杯子", "quantity": "7"}]}
    stocktakes.count(store.uow(), "counter2", number, recount)
    assert "各行均已盘完，等待审核" in counter.get(f"/stocktakes/{number}").text


def test_an_approver_who_recounted_is_told_why_the_approval_is_someone_elses(store):
    number = stocktakes.plan(store.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(store.uow(), "boss", number)
    stocktakes.count(store.uow(), "counter", number, {"lines": [{"item": "杯子", "quantity": "7"}]})
    stocktakes.hand_in(store.uow(), "counter", number)
    stocktakes.count(store.uow(), "boss", number, {"lines": [{"item": "杯子", "quantity": "7"}]})

    page = web_client(store, "boss").get(f"/stocktakes/{number}").text

    assert 'id="step-approve"' not in page
    assert f"boss 参与了盘点单 {number} 的盘点，须由另一人审核" in page
