"""The 采购入库单 by its name on the web and over the API: list, filter, export, page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jxc.api.app import create_app
from tests.api.test_api import signed_in
from tests.builders import a_user
from tests.integration.services.test_document_kinds import receipts
from tests.web.helpers import web_client
from tests.web.test_lists import sheet


@pytest.fixture
def shop(app):
    made = receipts(app)
    a_user(app, "clerk", "warehouse_clerk", "WH1")
    return made


def test_the_list_its_filter_its_export_and_the_page_say_purchase_receipt(shop):
    app, order, bought, plain = shop
    client = web_client(app, "clerk")

    listed = client.get("/documents").text
    filtered = client.get("/documents?kind=purchase_receipt").text
    rows = sheet(client.get("/documents?kind=&format=xlsx"))
    page = client.get(f"/documents/{bought}").text
    order_page = client.get(f"/documents/{order}").text

    assert "采购入库单" in listed
    assert "其他入库单" in listed
    assert bought in filtered
    assert plain not in filtered
    assert '<option value="purchase_receipt" selected>采购入库单</option>' in filtered
    assert {(row[0], row[1]) for row in rows[1:]} == {
        (order, "采购订单"),
        (bought, "采购入库单"),
        (plain, "其他入库单"),
    }
    assert "采购入库单 ·" in page
    assert f"{bought}</a> 采购入库单" in order_page


def test_the_api_names_the_kind_and_filters_by_it(shop):
    app, order, bought, _ = shop
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        clerk = signed_in(client, "clerk")
        found = client.get("/api/v1/documents?kind=purchase_receipt", headers=clerk).json()
        read = client.get(f"/api/v1/documents/{order}", headers=clerk).json()
        unknown = client.get("/api/v1/documents?kind=bogus", headers=clerk)

    assert [(row["number"], row["kind"]) for row in found["items"]] == [
        (bought, "purchase_receipt")
    ]
    assert read["document"]["kind"] == "purchase_order"
    assert [row["kind"] for row in read["made_from"]] == ["purchase_receipt"]
    assert unknown.status_code == 422
