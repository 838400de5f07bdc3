"""The home page per person: the documents waiting for a step of theirs, the flow per step,
and the late ones, all within the warehouses they work in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from jxc.services import documents
from tests.builders import a_user, a_warehouse, an_item
from tests.web.helpers import web_client

SCREWS = {"item": "螺丝-M3", "quantity": "5", "unit_cost": "1"}


@pytest.fixture
def shop(sop):
    for code in ("WH1", "WH2"):
        a_warehouse(sop, code)
    an_item(sop, "螺丝-M3")
    a_user(sop, "clerk1", "warehouse_clerk", "WH1")
    a_user(sop, "manager", "warehouse_manager", "WH1")
    a_user(sop, "manager.wh2", "warehouse_manager", "WH2")
    return sop


def submitted(app, warehouse):
    return documents.create(
        app.uow(),
        "tester",
        {"document_type": "receipt", "warehouse": warehouse, "lines": [SCREWS]},
        then="submit",
    ).number


def test_a_manager_sees_what_waits_for_approval_and_the_flow_in_their_warehouse(shop):
    mine, theirs = submitted(shop, "WH1"), submitted(shop, "WH2")

    home = web_client(shop, "manager").get("/")
    flow = web_client(shop, "manager").get("/sop/receipt")

    assert home.status_code == 200
    assert f'href="/documents/{mine}"' in home.text
    assert theirs not in home.text
    assert f'<a class="step" href="/documents/{mine}">审核</a>' in home.text  # one click away
    assert 'href="/documents?document_type=receipt&state=pending">审核中 · 1<' in home.text
    assert "审核中 · 1" in flow.text  # WH2's pending receipt is not counted


def test_the_receipt_workflow_is_named_for_purchase_and_other_receipts_alike(shop):
    submitted(shop, "WH1")
    manager = web_client(shop, "manager")

    home = manager.get("/")
    flow = manager.get("/sop/receipt")
    english = manager.get("/sop/receipt", headers={"Accept-Language": "en"})

    assert '<a href="/sop/receipt">入库单</a>' in home.text  # the workflow's row
    assert "其他入库单" in home.text  # the document waiting is one without an order
    assert "<h1>流程 · 入库单</h1>" in flow.text
    assert "Receipt (purchase or other)</h1>" in english.text
    unknown = manager.get("/sop/bogus")
    assert unknown.status_code == 404
    assert "未知的单据类型 bogus" in unknown.text


def test_a_clerk_with_nothing_to_do_is_told_so(shop):
    submitted(shop, "WH1")

    home = web_client(shop, "clerk1").get("/")

    assert "暂无待处理单据。" in home.text


def test_a_page_that_does_not_exist_is_a_page_that_says_so_not_json(shop):
    clerk = web_client(shop, "clerk1")

    missing = clerk.get("/nowhere")
    malformed = clerk.get("/stock?format=pdf")

    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "/nowhere" in missing.text
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("text/html")


def test_a_document_shows_when_each_step_happened_on_the_companys_clock(shop):
    shop.clock = lambda: datetime(2026, 11, 26, 1, 30, tzinfo=UTC)  # 09:30 in 北京
    shop.zone = ZoneInfo("Asia/Shanghai")
    number = submitted(shop, "WH1")
    assert number.startswith("RK20261126")
    client = web_client(shop, "clerk1")

    beijing = client.get(f"/documents/{number}").text
    shop.zone = ZoneInfo("UTC")
    utc = client.get(f"/documents/{number}").text

    assert ("<time>2026-11-26 09:30</time>" in beijing, "09:30" in utc) == (True, False)
    assert "<time>2026-11-26 01:30</time>" in utc


def test_the_clerk_reads_on_the_document_why_it_was_sent_back(shop):
    number = submitted(shop, "WH1")
    documents.act(shop.uow(), "manager", number, "reject", reason="数量不对")

    page = web_client(shop, "clerk1").get(f"/documents/{number}")
    assert page.status_code == 200
    assert '<span class="reason"><small>原因</small> 数量不对</span>' in page.text


def test_the_menu_and_home_page_offer_only_the_screens_a_person_may_enter_on(shop):
    a_user(shop, "finance", "finance")
    a_user(shop, "sales", "sales", "WH1")
    pages = {name: web_client(shop, name).get("/").text for name in ("clerk1", "finance", "sales")}

    assert 'href="/receive"' in pages["clerk1"]
    assert 'href="/sales-return"' in pages["clerk1"]
    assert 'href="/sales-order"' not in pages["clerk1"]
    for entry in ("/receive", "/issue", "/transfer", "/putaway", "/sales-order", "/sales-return"):
        assert f'href="{entry}"' not in pages["finance"], entry
    assert 'href="/sales-order"' in pages["sales"]
    assert 'href="/receive"' not in pages["sales"]


def test_a_filter_the_page_cannot_read_is_named_with_a_way_back_to_the_page(shop):
    manager = web_client(shop, "manager")

    refused = manager.get("/dashboard?start=abc")

    assert refused.status_code == 422
    assert "<p>开始日期：abc 不是有效日期（格式 YYYY-MM-DD）</p>" in refused.text
    assert 'href="/dashboard" id="again">不带这些筛选条件打开本页<' in refused.text
    both = manager.get("/dashboard?start=abc&end=xyz").text
    assert "<li>开始日期：abc 不是有效日期（格式 YYYY-MM-DD）</li>" in both
    assert "<li>结束日期：xyz 不是有效日期（格式 YYYY-MM-DD）</li>" in both
