"""盘点 over the REST API: blind for the counter, recount by another, approval posts."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from jxc.api.app import create_app
from tests.api.test_api import problem, signed_in
from tests.builders import a_user, a_warehouse, an_item, issue, receive


@pytest.fixture
def client(app):
    a_warehouse(app, "WH1")
    an_item(app, "杯子")
    receive(app, "WH1", {"item": "杯子", "quantity": "10", "unit_cost": "4"})
    a_user(app, "boss", "warehouse_manager", "WH1")
    a_user(app, "counter1", "warehouse_clerk", "WH1")
    a_user(app, "counter2", "warehouse_clerk", "WH1")
    with TestClient(create_app(app), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_blind_count_recounted_and_approved_over_the_api(client):
    boss, first, second = (signed_in(client, user) for user in ("boss", "counter1", "counter2"))
    planned = client.post("/api/v1/stocktakes", json={"warehouse": "WH1"}, headers=boss)
    assert planned.status_code == 201, planned.text
    number = planned.json()["number"]
    assert client.post(f"/api/v1/stocktakes/{number}/start", headers=boss).json()["lines"] == 1

    blind = client.get(f"/api/v1/stocktakes/{number}", headers=first).json()
    assert blind["shows_book"] is False
    assert blind["count_lines"][0]["book_quantity"] is None
    scan = {"mode": "add", "lines": [{"item": "杯子", "quantity": "4"}]}
    for _ in range(2):  # a double read of one scan counts once
        assert (
            client.post(
                f"/api/v1/stocktakes/{number}/counts",
                json=scan,
                headers={**first, "Idempotency-Key": "scan-1"},
            ).status_code
            == 200
        )
    client.post(
        f"/api/v1/stocktakes/{number}/counts",
        json=scan,
        headers={**first, "Idempotency-Key": "scan-2"},
    )
    handed = client.post(f"/api/v1/stocktakes/{number}/hand-in", headers=first).json()
    assert handed["recounts"] == 1  # 8 against a book of 10

    same = problem(
        client.post(
            f"/api/v1/stocktakes/{number}/counts",
            json={"lines": [{"item": "杯子", "quantity": "9"}]},
            headers=first,
        ),
        422,
    )
    assert same["errors"][0]["code"] == "stocktake.same_counter"
    assert same["errors"][0]["pointer"] == "/lines/1"
    client.post(
        f"/api/v1/stocktakes/{number}/counts",
        json={"lines": [{"item": "杯子", "quantity": "9"}]},
        headers=second,
    )
    forbidden = problem(client.post(f"/api/v1/stocktakes/{number}/approve", headers=second), 403)
    assert forbidden["code"] == "auth.forbidden_in_warehouse"

    approved = client.post(f"/api/v1/stocktakes/{number}/approve", headers=boss).json()
    assert approved["state"] == "approved"
    assert approved["loss"].startswith("CK")
    stocktake = client.get(f"/api/v1/stocktakes/{number}", headers=first).json()
    assert stocktake["count_lines"][0]["difference"] == "-1"
    assert stocktake["loss"] == approved["loss"]

    sheet = client.get(f"/api/v1/stocktakes/{number}?format=xlsx", headers=boss)
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.values)
    assert rows[0][5:] == ("账面数量", "实盘数量", "复盘数量", "差异")
    assert rows[1][5:] == (10, 8, 9, -1)
    listed = client.get("/api/v1/stocktakes?format=csv", headers=boss)
    assert list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig"))))[1][0] == number


def test_bad_requests_name_the_problem(client):
    boss = signed_in(client, "boss")
    wrong = problem(
        client.post(
            "/api/v1/stocktakes",
            json={"warehouse": "WH1", "tolerance_percent": "-1", "abc_class": "D"},
            headers=boss,
        ),
        422,
    )
    assert {error["pointer"] for error in wrong["errors"]} == {"/tolerance_percent", "/abc_class"}
    assert problem(client.post("/api/v1/stocktakes/PD1/start", headers=boss), 404)["code"] == (
        "stocktake.unknown"
    )
    number = client.post("/api/v1/stocktakes", json={"warehouse": "WH1"}, headers=boss).json()[
        "number"
    ]
    early = problem(
        client.post(
            f"/api/v1/stocktakes/{number}/counts",
            json={"lines": [{"item": "杯子", "quantity": "1"}]},
            headers=boss,
        ),
        409,
    )
    assert early["code"] == "stocktake.wrong_state"
    assert "已计划" in early["detail"]
    malformed = problem(
        client.post(
            f"/api/v1/stocktakes/{number}/counts",
            json={"lines": [{"item": "杯子", "quantity": "many"}]},
            headers=boss,
        ),
        422,
    )
    assert malformed["errors"][0]["pointer"] == "/lines/1/quantity"
    unknown_step = problem(client.post(f"/api/v1/stocktakes/{number}/finish", headers=boss), 422)
    assert unknown_step["errors"][0]["pointer"] == "/path/step"


def test_serials_counted_and_what_approval_would_post_over_the_api(client, app):
    an_item(app, "电机", tracking="serial", base_unit="台")
    receive(
        app,
        "WH1",
        {"item": "电机", "quantity": "3", "unit_cost": "9", "serials": ["M1", "M2", "M3"]},
    )
    sold = issue(app, "WH1", {"item": "电机", "quantity": "1", "serials": ["M3"]}).number
    boss, first, second = (signed_in(client, user) for user in ("boss", "counter1", "counter2"))
    number = client.post("/api/v1/stocktakes", json={"warehouse": "WH1"}, headers=boss).json()[
        "number"
    ]
    client.post(f"/api/v1/stocktakes/{number}/start", headers=boss)
    counts = [
        {"item": "杯子", "quantity": "10"},
        {"item": "电机", "quantity": "2", "serials": ["M1", "M3"]},  # M2 gone, M3 sold, yet here
    ]
    counted = client.post(
        f"/api/v1/stocktakes/{number}/counts", json={"lines": counts}, headers=first
    )
    assert counted.status_code == 200, counted.text
    twice = problem(
        client.post(
            f"/api/v1/stocktakes/{number}/counts",
            json={"mode": "add", "lines": [{"item": "电机", "quantity": "1", "serials": ["M1"]}]},
            headers=first,
        ),
        422,
    )
    assert twice["errors"][0]["code"] == "stocktake.serial_counted_twice"
    client.post(f"/api/v1/stocktakes/{number}/hand-in", headers=first)
    recount = {"lines": [{"item": "电机", "quantity": "2", "serials": ["M3", "M1"]}]}
    client.post(f"/api/v1/stocktakes/{number}/counts", json=recount, headers=second)

    lines = client.get(f"/api/v1/stocktakes/{number}", headers=boss).json()["count_lines"]
    motor = next(line for line in lines if line["item"] == "电机")
    assert (motor["serials"], motor["serials_found"], motor["serials_missing"]) == (
        ["M3", "M1"],
        ["M3"],
        ["M2"],
    )
    [notice] = motor["notices"]
    assert (notice["code"], notice["params"]["document"]) == (
        "stocktake.found_serial_booked_out",
        sold,
    )
    assert notice["message"].startswith(f"M3：账上已由 {sold} 于 ")
    blind = client.get(f"/api/v1/stocktakes/{number}", headers=first).json()["count_lines"]
    assert [line["serials_missing"] for line in blind] == [[], []]
    assert [line["notices"] for line in blind] == [[], []]
