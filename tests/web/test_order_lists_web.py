"""在途订单, 待检 and 退货 on the web and over the API: the rows, the scope, the exports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jxc.api.app import create_app
from jxc.services import catalog, documents, partners
from tests.api.test_api import signed_in
from tests.builders import a_purchase_order, a_user, a_warehouse, an_item, create
from tests.web.helpers import web_client
from tests.web.test_lists import sheet, table


@pytest.fixture
def shop(app):
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    an_item(app, "螺丝")
    catalog.add_location(
        app.uow(), "tester", {"warehouse": "WH1", "code": "QC", "name": "待检区", "usage": "qc"}
    )
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    a_user(app, "clerk1", "warehouse_clerk", "WH1")
    a_user(app, "clerk2", "warehouse_clerk", "WH2")
    order = a_purchase_order(app, "WH1", "SUP1", {"item": "螺丝", "quantity": "30"})
    receipt = create(app, "receipt", "WH1", {"item": "螺丝", "quantity": "10"}, source=order)
    back = create(
        app,
        "purchase_return",
        "WH1",
        {"item": "螺丝", "quantity": "4", "location": "QC"},
        source=receipt.number,
    )
    return app, order, receipt.number, back.number


def test_each_list_shows_its_documents_to_their_warehouse_only(shop):
    app, order, receipt, back = shop
    clerk1, clerk2 = web_client(app, "clerk1"), web_client(app, "clerk2")

    in_progress = clerk1.get("/orders/in-progress").text
    assert f'href="/documents/{order}"' in in_progress
    assert "部分入库" in in_progress
    assert "下推采购入库单" in in_progress
    assert f'href="/documents/{receipt}"' in clerk1.get("/orders/awaiting-qc").text
    returns = clerk1.get("/orders/returns").text
    assert f'href="/documents/{back}"' in returns
    assert f'href="/documents/{receipt}"' in returns
    assert 'href="/orders/in-progress"' in clerk1.get("/documents").text  # reached from there
    for path in ("/orders/in-progress", "/orders/awaiting-qc", "/orders/returns"):
        assert "CGDD" not in clerk2.get(path).text
        assert "RK" not in clerk2.get(path).text


def test_the_exports_name_their_columns_in_chinese(shop):
    app, order, receipt, back = shop
    clerk = web_client(app, "clerk1")

    progress = sheet(clerk.get("/orders/in-progress?format=xlsx"))
    waiting = table(clerk.get("/orders/awaiting-qc?format=csv"))
    returned = table(clerk.get("/orders/returns?format=csv"))

    assert progress[0][-5:] == ["进度", "订购数量", "已入库/已出库", "未完成数量", "单位"]
    assert progress[1][0] == order
    assert progress[1][-5:] == ["部分入库", 30, 10, 20, "个"]
    assert waiting[0][-3:] == ["采购订单", "入待检数量", "待检数量"]
    assert waiting[1][0] == receipt
    assert waiting[1][-3:] == [order, "10", "6"]
    assert returned[0][-2:] == ["原单", "数量"]
    assert returned[1][0] == back
    assert returned[1][-2:] == [receipt, "4"]


def test_the_api_lists_page_and_the_order_says_which_receipt_was_reversed(shop):
    app, order, receipt, back = shop
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        clerk1, clerk2 = signed_in(client, "clerk1"), signed_in(client, "clerk2")
        documents.reverse(app.uow(), "tester", back, post=True)
        documents.reverse(app.uow(), "tester", receipt, post=True)

        listed = client.get("/api/v1/orders/in-progress?limit=1", headers=clerk1).json()
        assert [(r["number"], r["done"], r["open"], r["progress"]) for r in listed["items"]] == [
            (order, "0", "30", "open")
        ]
        assert listed["next_offset"] is None
        assert client.get("/api/v1/orders/in-progress", headers=clerk2).json()["items"] == []
        assert client.get("/api/v1/receipts/awaiting-qc", headers=clerk1).json()["items"] == []
        returns = client.get("/api/v1/returns", headers=clerk1).json()["items"]
        assert [(r["number"], r["returns"], r["state"]) for r in returns] == [
            (back, receipt, "reversed")
        ]
        made = client.get(f"/api/v1/documents/{order}", headers=clerk1).json()["made_from"]
        assert [(m["number"], m["reversed"]) for m in made] == [(receipt, True)]
        exported = client.get("/api/v1/returns?format=csv", headers=clerk1)
        assert table(exported)[0][-2:] == ["原单", "数量"]
