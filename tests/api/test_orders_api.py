"""Order to shipment over the REST API: prices, 下推, 拣货 and 复核 by scans, progress."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from jxc.api.app import create_app
from jxc.services import partners, workflows
from tests.api.test_api import problem, signed_in
from tests.builders import a_user, a_warehouse, an_item, receive


@pytest.fixture
def client(app):
    workflows.install(app.uow(), "tester", workflows.shipped_source("sop", "sales_delivery"))
    a_warehouse(app, "WH1")
    an_item(app, "杯子")
    receive(app, "WH1", {"item": "杯子", "quantity": "10", "unit_cost": "4"})
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    a_user(app, "sales", "sales", "WH1")
    a_user(app, "picker", "warehouse_clerk", "WH1")
    a_user(app, "checker", "warehouse_clerk", "WH1")
    with TestClient(create_app(app), raise_server_exceptions=False) as test_client:
        yield test_client


ORDER = {
    "document_type": "sales_order",
    "warehouse": "WH1",
    "partner": "C1",
    "lines": [{"item": "杯子", "quantity": "3", "unit_price": "11.30", "tax_rate": "13"}],
}


def test_an_order_is_approved_pushed_down_picked_checked_and_shipped_over_the_api(client):
    sales, picker, checker = (signed_in(client, user) for user in ("sales", "picker", "checker"))
    number = client.post("/api/v1/documents", json=ORDER, headers=sales).json()["number"]
    assert client.post(f"/api/v1/documents/{number}/approve", headers=sales).status_code == 200

    order = client.get(f"/api/v1/documents/{number}", headers=sales).json()
    assert order["progress"] == "open"
    assert order["prices"][0]["amount_incl_tax"] == "33.9"
    assert order["prices"][0]["tax"] == "3.9"

    made = client.post(
        f"/api/v1/documents/{number}/push-down", headers={**picker, "Idempotency-Key": "pd-1"}
    )
    assert made.status_code == 201, made.text
    delivery = made.json()["number"]
    again = client.post(
        f"/api/v1/documents/{number}/push-down", headers={**picker, "Idempotency-Key": "pd-1"}
    )
    assert again.json()["number"] == delivery
    assert (
        problem(client.post(f"/api/v1/documents/{delivery}/pick", headers=picker), 409)["code"]
        == "delivery.step_by_scan"
    )
    assert client.get(f"/api/v1/deliveries/{delivery}/pick-list", headers=picker).json() == [
        {
            "item": "杯子",
            "item_name": "商品 杯子",
            "location": "STOCK",
            "batch": None,
            "expiry_date": None,
            "quantity": "3",
        }
    ]

    scans = {"scans": [{"item": "杯子", "quantity": "3"}]}
    picked = client.post(f"/api/v1/deliveries/{delivery}/pick", json=scans, headers=picker)
    assert picked.json()["state"] == "picked"
    short = client.post(
        f"/api/v1/deliveries/{delivery}/check",
        json={"scans": [{"item": "杯子", "quantity": "2"}]},
        headers={**checker, "Accept-Language": "en"},
    )
    body = problem(short, 422)
    assert body["code"] == "scan.missing"
    assert body["detail"] == "杯子: 3 picked, only 2 found at the check"
    checked = client.post(f"/api/v1/deliveries/{delivery}/check", json=scans, headers=checker)
    assert checked.json()["state"] == "checked"
    shipped = client.post(f"/api/v1/documents/{delivery}/ship", headers=picker)
    assert shipped.json()["state"] == "shipped"

    order = client.get(f"/api/v1/documents/{number}", headers=sales).json()
    assert (order["document"]["state"], order["progress"]) == ("done", "done")
    assert order["made_from"][0]["number"] == delivery
    sold = client.get(f"/api/v1/documents/{delivery}", headers=sales).json()
    assert (sold["source"], sold["prices"][0]["gross_profit"]) == (number, "18")


def test_a_bad_price_is_a_problem_naming_its_field_in_the_readers_language(client):
    sales = signed_in(client, "sales", language="en")
    bad = {**ORDER, "lines": [{"item": "杯子", "quantity": "1", "unit_price": "1.23456"}]}

    body = problem(client.post("/api/v1/documents", json=bad, headers=sales), 422)

    assert body["errors"] == [
        {
            "pointer": "/lines/1/unit_price",
            "code": "price.too_precise",
            "detail": "The unit price 1.23456 has more than 4 decimals",
            "params": {"value": "1.23456", "decimals": 4},
        }
    ]


def test_a_shop_file_is_imported_over_the_api_once_and_a_bad_one_names_its_rows(client, app):
    partners.add(
        app.uow(),
        "tester",
        {
            "code": "TMALL",
            "name": "天猫",
            "kind": "channel",
            "channel_kind": "online",
            "warehouses": ["WH1"],
        },
    )
    sales = signed_in(client, "sales")
    mapping = json.dumps(
        {
            "warehouse": "WH1",
            "columns": {
                "order_number": "订单编号",
                "sku": "商家编码",
                "quantity": "数量",
                "unit_price": "单价",
            },
            "skus": {"TM-CUP": "杯子"},
        }
    )
    good = "订单编号,商家编码,数量,单价\nT1,TM-CUP,2,9.9\n".encode()

    def send(content):
        return client.post(
            "/api/v1/channels/TMALL/orders/import",
            files={"file": ("tmall.csv", content, "text/csv")},
            data={"mapping": mapping},
            headers=sales,
        )

    first = send(good)
    assert first.status_code == 201, first.text
    assert first.json()["orders"][0][0] == "T1"
    assert send(good).json() == first.json()
    bad = send("订单编号,商家编码,数量,单价\nT2,TM-CUP,x,9.9\n".encode())
    body = problem(bad, 422)
    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [
        ("/rows/2/数量", "import.not_a_number")
    ]
