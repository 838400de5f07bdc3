"""报表 pages: the menu, each report with Chinese column names, its exports, the scopes."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from tests.builders import a_user, a_warehouse, an_item, create
from tests.web.helpers import web_client

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def shop(app):
    app.clock = lambda: NOW
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    an_item(app, "螺丝-M3", category="五金")
    an_item(app, "奶粉", tracking="batch", shelf_life_days=720)
    create(
        app,
        "receipt",
        "WH1",
        {"item": "螺丝-M3", "quantity": "10", "unit_cost": "2.5"},
        business_date="2026-11-02",
    )
    create(
        app,
        "receipt",
        "WH2",
        {
            "item": "奶粉",
            "quantity": "3",
            "unit_cost": "80",
            "batch": "B1",
            "expiry_date": "2026-12-01",
        },
        business_date="2026-11-03",
    )
    create(
        app,
        "transfer",
        "WH1",
        {"item": "螺丝-M3", "quantity": "2"},
        to_warehouse="WH2",
        business_date="2026-11-20",
    )
    a_user(app, "clerk.wh1", "warehouse_clerk", "WH1")
    a_user(app, "admin2", "admin")
    return app


def test_the_menu_lists_every_report_including_stock_status_and_the_item_ledger(shop):
    client = web_client(shop, "admin2")

    home = client.get("/")
    menu = client.get("/reports")

    assert 'href="/reports"' in home.text
    for path, name in (
        ("/reports/stock-summary", "进销存汇总表"),
        ("/stock", "库存状况表"),
        ("/ledger", "商品流水账"),
        ("/reports/stock-ageing", "库龄分析"),
        ("/reports/dormant-stock", "呆滞分析"),
        ("/reports/expiry-alert", "保质期预警"),
        ("/reports/in-transit", "调拨在途"),
    ):
        assert f'href="{path}"' in menu.text
        assert name in menu.text


def test_the_summary_page_shows_chinese_columns_figures_and_exports(shop):
    client = web_client(shop, "admin2")

    response = client.get("/reports/stock-summary?start=2026-11-01&end=2026-11-30")

    assert response.status_code == 200
    for heading in (
        "期初数量",
        "期初金额",
        "入库数量",
        "入库金额",
        "出库数量",
        "出库金额",
        "期末数量",
        "期末金额",
    ):
        assert f"<th>{heading}</th>" in response.text
    assert "合计" in response.text
    assert "format=xlsx" in response.text
    xlsx = client.get("/reports/stock-summary?start=2026-11-01&end=2026-11-30&format=xlsx")
    header, *rows = load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
    assert header[5] == "期初数量"
    assert [row[:2] for row in rows] == [("WH1", "螺丝-M3"), ("WH2", "奶粉"), ("合计", None)]
    assert rows[0][11] == 8  # closing: 10 in, 2 sent to WH2
    csv = client.get("/reports/stock-summary?start=2026-11-01&end=2026-11-30&format=csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0].split(",")[12] == "期末金额"


def test_a_reversed_period_is_a_message_on_the_page(shop):
    client = web_client(shop, "admin2")

    response = client.get("/reports/stock-summary?start=2026-11-30&end=2026-11-01")

    assert response.status_code == 422
    assert "报表期间的开始日期 2026-11-30 晚于结束日期 2026-11-01" in response.text


def test_a_clerk_sees_only_their_warehouse_in_each_report(shop):
    client = web_client(shop, "clerk.wh1")

    summary = client.get("/reports/stock-summary?start=2026-11-01&end=2026-11-30")
    expiry = client.get("/reports/expiry-alert?days=30")
    other = client.get("/reports/stock-ageing?warehouse=WH2")

    assert "螺丝-M3" in summary.text
    assert "奶粉" not in summary.text
    assert "B1" not in expiry.text
    assert other.status_code == 422  # warehouse.unknown, next to the filters
    assert "WH2" in other.text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/reports/stock-ageing", "0–30天数量"),
        ("/reports/dormant-stock?days=0", "呆滞天数"),
        ("/reports/expiry-alert?days=30", "B1"),
        ("/reports/in-transit", "在途天数"),
    ],
)
def test_each_report_page_renders_and_exports(shop, path, expected):
    client = web_client(shop, "admin2")
    joined = "&" if "?" in path else "?"

    response = client.get(path)
    xlsx = client.get(f"{path}{joined}format=xlsx")
    csv = client.get(f"{path}{joined}format=csv")

    assert response.status_code == 200, response.text
    assert expected in response.text
    assert xlsx.status_code == 200
    assert csv.content.startswith("\ufeff".encode())


def test_a_report_page_reads_the_database_as_often_for_many_rows_as_for_few(shop, monkeypatch):
    """Its rows are drawn from what was read: no query per cell (the zone was, once)."""
    # the session is read again after a second; on a slow machine the 20 receipts take longer
    monkeypatch.setattr("jxc.db.repositories.users.SESSION_CACHE_S", 3600.0)
    client = web_client(shop, "admin2")
    statements: list[str] = []

    def statements_for(path: str) -> int:
        statements.clear()
        assert client.get(path).status_code == 200
        return len(statements)

    event.listen(shop.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    statements_for("/reports/stock-ageing")  # the first request of a session reads more
    few = statements_for("/reports/stock-ageing")
    for number in range(1, 21):
        an_item(shop, f"件-{number}")
        create(shop, "receipt", "WH1", {"item": f"件-{number}", "quantity": "1", "unit_cost": "1"})

    statements_for("/reports/stock-ageing")  # the catalogue changed: read anew, once

    assert statements_for("/reports/stock-ageing") == few


def test_in_transit_shows_when_it_shipped_on_the_companys_clock(shop):
    shop.zone = ZoneInfo("Asia/Shanghai")  # NOW is 18:00 there

    page = web_client(shop, "admin2").get("/reports/in-transit").text

    assert "2026-11-25 18:00" in page
    assert "+00:00" not in page
