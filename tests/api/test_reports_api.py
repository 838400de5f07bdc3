"""GET /api/v1/reports/…: JSON, XLSX/CSV downloads, problem+json for bad input, scopes."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from jxc.api.app import create_app
from tests.builders import a_user, a_warehouse, an_item, create
from tests.conftest import TESTER, TESTER_PASSWORD

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PROBLEM = "application/problem+json"
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def client(app):
    app.clock = lambda: NOW
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    an_item(app, "螺丝-M3")
    line = {"item": "螺丝-M3", "quantity": "10", "unit_cost": "2.00"}
    create(app, "receipt", "WH1", line, business_date="2026-09-10")
    create(app, "receipt", "WH2", line, business_date="2026-10-05")
    create(app, "issue", "WH1", {"item": "螺丝-M3", "quantity": "4"}, business_date="2026-10-20")
    create(
        app,
        "transfer",
        "WH1",
        {"item": "螺丝-M3", "quantity": "1"},
        to_warehouse="WH2",
        business_date="2026-10-21",
    )
    a_user(app, "clerk.wh2", "warehouse_clerk", "WH2")
    with TestClient(create_app(app), raise_server_exceptions=False) as test_client:
        yield test_client


def signed_in(client, username=TESTER, password=TESTER_PASSWORD, language="zh-CN"):
    response = client.post("/api/v1/sessions", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}", "Accept-Language": language}


def test_the_stock_summary_is_json_with_exact_figures_and_a_total(client):
    response = client.get(
        "/api/v1/reports/stock-summary", params=OCTOBER, headers=signed_in(client)
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [
        (r["warehouse"], r["opening_quantity"], r["out_quantity"], r["closing_value"])
        for r in body["rows"]
    ] == [("WH1", "10", "5", "10"), ("WH2", "0", "0", "20")]
    assert (body["total"]["unit"], body["total"]["closing_quantity"]) == ("个", "15")
    assert body["since"] is None


def test_a_total_of_rows_in_different_units_gives_values_only(client, app):
    an_item(app, "胶水", base_unit="kg")
    glue = {"item": "胶水", "quantity": "2.5", "unit_cost": "8.00"}
    create(app, "receipt", "WH1", glue, business_date="2026-10-08")
    headers = signed_in(client)

    body = client.get("/api/v1/reports/stock-summary", params=OCTOBER, headers=headers).json()
    sheet = client.get(
        "/api/v1/reports/stock-summary", params={**OCTOBER, "format": "csv"}, headers=headers
    )

    total = body["total"]
    assert (total["unit"], total["in_quantity"], total["closing_quantity"]) == (None, None, None)
    assert total["closing_value"] == "50"
    *_, last = sheet.text.strip().splitlines()
    assert last == "合计,,,,,,20,,40,,10,,50"  # values, and no sum of 个 and kg


def test_a_warehouse_clerk_reads_only_their_warehouse(client):
    headers = signed_in(client, "clerk.wh2", "secret-password")

    summary = client.get("/api/v1/reports/stock-summary", params=OCTOBER, headers=headers)
    other = client.get(
        "/api/v1/reports/stock-summary", params={**OCTOBER, "warehouse": "WH1"}, headers=headers
    )
    transit = client.get("/api/v1/reports/in-transit", headers=headers)

    assert [r["warehouse"] for r in summary.json()["rows"]] == ["WH2"]
    assert other.status_code == 404
    assert other.headers["content-type"] == PROBLEM
    assert [r["to_warehouse"] for r in transit.json()["rows"]] == ["WH2"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2026-10-31", "to": "2026-10-01"}, 422, "report.range_reversed"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, 422, "report.range_too_long"),
        ({**OCTOBER, "warehouse": "NOWHERE"}, 404, "warehouse.unknown"),
        ({**OCTOBER, "item": "NO-SUCH"}, 404, "item.unknown"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, 200, None),
    ],
)
def test_bad_input_is_a_coded_problem_never_a_server_error(client, params, status, code):
    response = client.get("/api/v1/reports/stock-summary", params=params, headers=signed_in(client))

    assert response.status_code == status, response.text
    if code is not None:
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == code


def test_a_reversed_period_names_both_days_in_english(client):
    response = client.get(
        "/api/v1/reports/stock-summary",
        params={"from": "2026-10-31", "to": "2026-10-01"},
        headers=signed_in(client, language="en"),
    )
    assert response.json()["detail"] == (
        "The report period starts on 2026-10-31, after it ends on 2026-10-01"
    )


def test_the_summary_downloads_as_xlsx_and_csv_with_chinese_headers(client):
    headers = signed_in(client)

    xlsx = client.get(
        "/api/v1/reports/stock-summary", params={**OCTOBER, "format": "xlsx"}, headers=headers
    )
    csv = client.get(
        "/api/v1/reports/stock-summary", params={**OCTOBER, "format": "csv"}, headers=headers
    )

    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"] == 'attachment; filename="stock-summary.xlsx"'
    header, *rows = load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
    assert header[5:13] == (
        "期初数量",
        "期初金额",
        "入库数量",
        "入库金额",
        "出库数量",
        "出库金额",
        "期末数量",
        "期末金额",
    )
    assert rows[-1][0] == "合计"
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[5] == "期初数量"
    assert lines[-1].startswith("合计")


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("stock-ageing", "0–30天数量"),
        ("dormant-stock?days=0", "呆滞天数"),
        ("expiry-alert?days=30", "剩余天数"),
        ("in-transit", "在途天数"),
    ],
)
def test_every_report_answers_json_and_exports(client, path, header):
    headers = signed_in(client)
    url = f"/api/v1/reports/{path}"
    joined = "&" if "?" in url else "?"

    answer = client.get(url, headers=headers)
    xlsx = client.get(f"{url}{joined}format=xlsx", headers=headers)

    assert answer.status_code == 200, answer.text
    assert "rows" in answer.json()
    first = next(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert header in first


def test_ageing_and_dormant_in_json(client):
    headers = signed_in(client)

    ageing = client.get(
        "/api/v1/reports/stock-ageing", params={"warehouse": "WH1"}, headers=headers
    )
    dormant = client.get("/api/v1/reports/dormant-stock", params={"days": 30}, headers=headers)
    negative = client.get("/api/v1/reports/dormant-stock", params={"days": -1}, headers=headers)

    (row,) = ageing.json()["rows"]
    assert row["on_hand"] == "5"
    assert row["quantities"] == ["0", "0", "5", "0", "0", "0"]  # Sep 10: 76 days, 61–90
    assert ageing.json()["buckets"][0] == "0_30"
    # WH1 last shipped on Oct 21 (35 days), WH2 never since Oct 5 (51 days)
    assert [(r["warehouse"], r["days_idle"]) for r in dormant.json()["rows"]] == [
        ("WH2", 51),
        ("WH1", 35),
    ]
    assert negative.status_code == 422
    assert date.fromisoformat(dormant.json()["today"]) == NOW.date()


def test_a_missing_period_names_the_parameter_in_the_readers_language(client):
    response = client.get(
        "/api/v1/reports/stock-summary", params={"to": "2026-10-31"}, headers=signed_in(client)
    )

    assert response.status_code == 422
    assert "起始日期（from）为必填项" in response.json()["title"]
