"""Lists on the web and their exports: documents, stock, audit log, 商品流水账, trace.

Each list downloads as XLSX and CSV with its column names in the reader's language and its
numbers exact; a clerk sees only their own warehouses' rows, in the page and in the file.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook

from jxc import exports
from jxc.domain.errors import Invalid
from jxc.exports import ExportFormat
from jxc.queries import documents as document_queries
from jxc.services import documents, partners
from tests.builders import a_user, a_warehouse, an_item, create, receive, transfer
from tests.web.helpers import web_client


@pytest.fixture
def shop(app):
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    an_item(app, "奶粉", name='=HYPERLINK("x") 奶粉', tracking="batch", shelf_life_days=720)
    milk = {"item": "奶粉", "batch": "B1", "expiry_date": "2027-12-31"}
    receive(app, "WH1", {**milk, "quantity": "10", "unit_cost": "12.345"})
    moved = transfer(app, "WH1", "WH2", {**milk, "quantity": "4"})
    documents.receive(app.uow(), "tester", moved.number)
    create(app, "issue", "WH1", {"item": "奶粉", "quantity": "2"})
    a_user(app, "clerk1", "warehouse_clerk", "WH1")
    a_user(app, "clerk.wh2", "warehouse_clerk", "WH2")
    a_user(app, "auditor", "auditor")
    return app


def sheet(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == ExportFormat.XLSX.media_type
    rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    return [list(row) for row in rows]


def table(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_stock_list_exports_with_chinese_columns_and_exact_numbers(shop):
    client = web_client(shop, "clerk1")

    rows = sheet(client.get("/stock?format=xlsx"))
    text = table(client.get("/stock?format=csv"))

    assert rows[0] == [
        "商品",
        "名称",
        "仓库",
        "库位",
        "批次",
        "有效期至",
        "现存量",
        "预占",
        "可用库存",
        "单位",
    ]
    assert rows[1][:5] == ["奶粉", '=HYPERLINK("x") 奶粉', "WH1", "STOCK", "B1"]
    assert rows[1][6:9] == [4, 0, 4]
    assert len(rows) == 2  # WH2's 4 are not this clerk's
    assert text[1][1] == '\'=HYPERLINK("x") 奶粉'  # a spreadsheet would run it
    assert text[1][6] == "4"


def test_the_document_list_exports_what_the_filters_select(shop):
    client = web_client(shop, "clerk1")

    rows = sheet(client.get("/documents?document_type=transfer&format=xlsx"))

    assert rows[0][:4] == ["单据编号", "单据类型", "状态", "业务日期"]
    assert [(row[1], row[2], row[4], row[5]) for row in rows[1:]] == [
        ("调拨单", "已过账", "WH1", "WH2")
    ]


def test_the_audit_log_exports_for_an_auditor_in_english(shop):
    client = web_client(shop, "auditor")
    client.cookies.set("jxc_lang", "en")

    rows = sheet(client.get("/audit?format=xlsx"))

    assert rows[0] == [
        "No.",
        "Time",
        "User",
        "Action",
        "Subject",
        "From",
        "To",
        "Details",
        "Details as recorded (JSON)",
    ]
    assert len(rows) > 5
    warehouse = next(row for row in rows if row[3] == "Add warehouse" and row[4] == "WH1")
    assert warehouse[7] == "Allow negative stock no · Code WH1 · Name 仓库 WH1"  # in words
    assert json.loads(warehouse[8])["code"] == "WH1"  # and as recorded
    client.cookies.set("jxc_lang", "zh-CN")
    rows = sheet(client.get("/audit?format=xlsx"))
    subjects = {row[4] for row in rows[1:]}
    assert "入库单" in subjects  # a workflow installed: named, not "receipt"
    assert "receipt" not in subjects


def test_the_audit_log_names_what_each_event_holds_in_words_not_json(shop):
    client = web_client(shop, "auditor")

    page = client.get("/audit?actor=tester").text
    details = re.findall(r'<td class="details"[^>]*>(.*?)</td>', page)

    def words(cell):
        return re.sub(r"</?(span|small)>", "", cell)

    said = [words(cell) for cell in details]
    assert "姓名 clerk.wh2 · 角色 仓管员 WH2" in said
    assert "单据类型 调拨单 · 单据明细 奶粉 ×4 B1 · 调入仓库 WH2 · 仓库 WH1" in said
    assert "允许负库存 否 · 编码 WH1 · 名称 仓库 WH1" in said
    assert not any("{" in cell for cell in said)
    assert 'title="{&#34;document_type&#34;:&#34;transfer&#34;' in page  # the JSON kept


def test_a_draft_issue_shows_what_it_is_worth_at_todays_average_and_a_posted_one_does_not(shop):
    drafted = documents.create(
        shop.uow(),
        "tester",
        {
            "document_type": "issue",
            "warehouse": "WH1",
            "lines": [{"item": "奶粉", "quantity": "3"}],
        },
    ).number
    client = web_client(shop, "clerk1")
    with shop.reader() as connection:
        posted = document_queries.documents(connection, "issue", "posted", limit=1)[0]

    page = client.get(f"/documents/{drafted}").text
    done = client.get(f"/documents/{posted.number}").text

    assert "按当前移动平均成本估算金额约 ¥37.04（各行标 ≈）：审核据此判断" in page  # 3 × 12.345
    assert '<span class="estimate">≈ 12.345</span>' in page
    assert 'id="estimate"' not in done
    reversal = documents.reverse(shop.uow(), "tester", posted.number).number
    undoing = client.get(f"/documents/{reversal}")
    assert undoing.status_code == 200
    assert 'id="estimate"' not in undoing.text  # a 红冲 takes back what was booked


def test_the_item_ledger_shows_each_movement_with_its_running_balance(shop):
    client = web_client(shop, "clerk1")

    page = client.get("/ledger?item=奶粉&warehouse=WH1")
    # as the form sends it, its dates left blank: the same page, not a refusal
    assert client.get("/ledger?item=奶粉&warehouse=WH1&start=&end=").text == page.text
    rows = sheet(client.get("/ledger?item=奶粉&warehouse=WH1&format=xlsx"))

    assert page.status_code == 200
    assert page.text.count('class="movement"') == 3
    assert "<td>供应商</td>" in page.text  # the virtual location by its name, not SUPPLIER
    assert "SUPPLIER" not in page.text
    assert [row[7:10] for row in rows[1:]] == [[10, None, 10], [None, 4, 6], [None, 2, 4]]


def test_a_clerk_of_one_warehouse_reads_no_other_warehouse_ledger(shop):
    client = web_client(shop, "clerk.wh2")

    assert "仓库 WH1 不存在" in client.get("/ledger?item=奶粉&warehouse=WH1").text
    assert sheet(client.get("/ledger?item=奶粉&warehouse=WH2&format=xlsx"))[1][7:10] == [4, None, 4]


def test_the_trace_of_a_batch_runs_from_receipt_to_customer_each_step_linking_its_document(
    shop,
):
    client = web_client(shop, "clerk1")
    with shop.reader() as connection:
        numbers = [row.number for row in document_queries.documents(connection)]

    page = client.get("/trace?item=奶粉&batch=B1")
    rows = sheet(client.get("/trace?item=奶粉&batch=B1&format=xlsx"))

    assert page.status_code == 200
    for number in numbers:
        assert f'href="/documents/{number}"' in page.text
    assert [row[3] for row in rows[1:]] == ["其他入库单", "调拨单", "其他出库单"]


def test_the_trace_of_a_document_shows_where_its_goods_came_from_in_the_readers_warehouses(
    shop,
):
    with shop.reader() as connection:
        (moved,) = document_queries.documents(connection, "transfer")
        (received,) = document_queries.documents(connection, "receipt")

    in_wh1 = web_client(shop, "clerk1").get(f"/trace?document={moved.number}")
    in_wh2 = web_client(shop, "clerk.wh2").get(f"/trace?document={moved.number}")

    assert "来源（上游）" in in_wh1.text
    assert f'href="/documents/{received.number}"' in in_wh1.text
    assert moved.number in in_wh2.text
    assert received.number not in in_wh2.text  # WH1's receipt is not this clerk's


def test_an_unknown_batch_is_named_on_the_trace_page(shop):
    page = web_client(shop, "clerk1").get("/trace?item=奶粉&batch=NOPE")

    assert "批次 NOPE" in page.text


def test_a_trace_of_an_item_alone_says_what_else_it_needs_and_where_its_movements_are(shop):
    page = web_client(shop, "clerk1").get("/trace?item=奶粉")

    assert "追溯 奶粉 还需填写批次或序列号；该商品的全部流水见商品流水账" in page.text


def test_an_export_too_long_for_a_worksheet_is_refused_in_either_format(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    rows = [type("Row", (), {"number": str(n)})() for n in range(3)]
    columns = (exports.Column("label.document", exports.attribute("number")),)

    for export_format in ExportFormat:
        with pytest.raises(Invalid) as refused:
            exports.export(columns, rows, export_format, "zh_CN", "documents")
        assert refused.value.params == {"rows": 3, "limit": 2}
    fits = exports.export(columns, rows[:2], ExportFormat.CSV, "zh_CN", "documents")

    assert fits.content.decode("utf-8-sig").splitlines() == ["单据编号", "0", "1"]


def test_a_note_with_control_characters_or_of_any_length_exports_to_a_valid_sheet():
    note = "备注\x07" + "长" * 40_000
    row = type("Row", (), {"note": note})()
    columns = (exports.Column("label.web_note", exports.attribute("note")),)

    file = exports.export(columns, [row], ExportFormat.XLSX, "zh_CN", "documents")

    cell = load_workbook(io.BytesIO(file.content)).active["A2"].value
    assert cell.startswith("备注长")
    assert len(cell) == exports.XLSX_MAX_CELL


def test_partners_are_listed_and_a_channel_page_shows_what_it_may_sell(shop):
    partners.add(
        shop.uow(),
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
    partners.add(
        shop.uow(), "tester", {"code": "SUP-1", "name": "<i>亚德客</i>", "kind": "supplier"}
    )
    client = web_client(shop, "clerk1")

    listed = client.get("/partners")
    channel = client.get("/channels/JD")
    rows = sheet(client.get("/channels/JD?format=xlsx"))

    assert 'href="/channels/JD"' in listed.text
    assert "&lt;i&gt;亚德客&lt;/i&gt;" in listed.text
    assert "京东店" in channel.text
    assert rows[0] == ["商品", "名称", "可用库存", "安全缓冲", "可售库存", "单位"]
    assert rows[1][2:5] == [4, 1, 3]


def _links(html):
    found = dict(re.findall(r'<a href="([^"]*)" rel="(prev|next)"', html))
    return {rel: href.replace("&amp;", "&") for href, rel in found.items()}


def test_the_document_list_pages_back_to_the_oldest_keeping_its_filters(shop, monkeypatch):
    monkeypatch.setattr("jxc.web.pages.LIST_LIMIT", 2)
    client = web_client(shop, "clerk1")
    with shop.reader() as connection:
        newest_first = [
            row.number for row in document_queries.documents(connection, visible=("WH1",))
        ]
    assert len(newest_first) == 3

    first = client.get("/documents?state=posted")
    assert re.findall(r'<a href="/documents/(\w+)">', first.text) == newest_first[:2]
    assert _links(first.text) == {"next": "/documents?state=posted&page=2"}
    assert "第 1 页" in first.text

    second = client.get(_links(first.text)["next"])
    assert re.findall(r'<a href="/documents/(\w+)">', second.text) == newest_first[2:]
    assert _links(second.text) == {"prev": "/documents?state=posted&page=1"}
    assert client.get("/documents?page=0").status_code == 422
    past = client.get("/documents?state=posted&page=9")
    assert "第 9 页已超出最后一页。" in past.text
    assert '<a href="/documents?state=posted">回到第 1 页</a>' in past.text


def test_the_audit_log_pages_to_older_events_and_back_to_the_newest(shop, monkeypatch):
    monkeypatch.setattr("jxc.web.pages.LIST_LIMIT", 2)
    client = web_client(shop, "auditor")

    def sequences(html):
        return [int(n) for n in re.findall(r'<tr class="audit-event">\s*<td>(\d+)</td>', html)]

    first = client.get("/audit?actor=tester")
    shown = sequences(first.text)
    assert len(shown) == 2
    assert shown == sorted(shown, reverse=True)  # the newest on top
    assert _links(first.text) == {"next": f"/audit?actor=tester&before={shown[-1]}"}

    older = client.get(_links(first.text)["next"])
    assert sequences(older.text)
    assert max(sequences(older.text)) < shown[-1]
    assert _links(older.text)["prev"] == "/audit?actor=tester"
    assert 'rel="prev">‹ 最新</a>' in older.text  # back to the newest, not one page
    assert client.get(f"/audit?before={2**63}").status_code == 422  # not a 500


def test_the_stock_page_shows_each_batchs_expiry_and_marks_an_expired_one(shop):
    receive(
        shop, "WH1", {"item": "奶粉", "batch": "B0", "expiry_date": "2025-01-31", "quantity": "1"}
    )
    client = web_client(shop, "clerk1")

    page = client.get("/stock?warehouse=WH1").text

    assert '<small class="expiry" title="有效期至">2027-12-31</small>' in page
    assert '<small class="expiry expired" title="有效期至">2025-01-31 已过期</small>' in page
