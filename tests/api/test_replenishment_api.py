"""库存预警 and 补货建议 over the REST API: levels set, alerts listed, drafts made once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jxc.api.app import create_app
from jxc.services import partners
from tests.api.test_api import problem, signed_in
from tests.builders import a_user, a_warehouse, an_item, receive


@pytest.fixture
def client(app):
    a_warehouse(app, "SH")
    an_item(app, "杯子")
    partners.add(app.uow(), "tester", {"code": "SUP-1", "name": "杯厂", "kind": "supplier"})
    receive(app, "SH", {"item": "杯子", "quantity": "5", "unit_cost": "4"})
    a_user(app, "boss", "warehouse_manager", "SH")
    a_user(app, "chief", "admin")
    with TestClient(create_app(app), raise_server_exceptions=False) as test_client:
        yield test_client


def test_levels_alerts_suggestions_and_drafts_over_the_api(client):
    boss, admin = signed_in(client, "boss"), signed_in(client, "chief")
    levels = {"safety_stock": "6", "reorder_point": "10", "max_quantity": "30"}
    set_ = client.put("/api/v1/stock-levels/SH/杯子", json=levels, headers=boss)
    assert set_.status_code == 200, set_.text
    assert set_.json()["max_quantity"] == "30"
    [alert] = client.get("/api/v1/alerts", headers=boss).json()
    assert (alert["kind"], alert["item"], alert["quantity"]) == ("below_safety", "杯子", "5")
    [suggestion] = client.get("/api/v1/replenishment/SH", headers=boss).json()
    assert suggestion["quantity"] == "25"
    body = {"warehouse": "SH", "supplier": "SUP-1"}
    headers = {**admin, "Idempotency-Key": "accept-1"}
    first = client.post("/api/v1/replenishment/accept", json=body, headers=headers)
    again = client.post("/api/v1/replenishment/accept", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.json() == first.json()
    assert len(first.json()["documents"]) == 1
    assert client.get("/api/v1/replenishment/SH", headers=boss).json() == []


def test_levels_that_do_not_read_upwards_are_a_problem_naming_the_field(client):
    boss = signed_in(client, "boss")
    bad = {"safety_stock": "20", "reorder_point": "10", "max_quantity": "5"}
    body = problem(client.put("/api/v1/stock-levels/SH/杯子", json=bad, headers=boss), 422)
    assert body["code"] == "input.invalid"
    assert {(e["pointer"], e["code"]) for e in body["errors"]} == {
        ("/reorder_point", "level.reorder_below_safety"),
        ("/max_quantity", "level.max_below_reorder"),
    }
    assert "再订货点" in body["errors"][0]["detail"]
    missing = client.put("/api/v1/stock-levels/SH/杯子", json={}, headers=boss)
    assert problem(missing, 422)["code"] == "input.invalid"
    unknown = client.get("/api/v1/replenishment/NOWHERE", headers=boss)
    assert problem(unknown, 404)["code"] == "warehouse.unknown"
    nothing = client.post("/api/v1/replenishment/accept", json={"warehouse": "SH"}, headers=boss)
    assert problem(nothing, 409)["code"] == "replenish.nothing_to_order"
