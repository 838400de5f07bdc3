"""A buyer in Debian's Chromium: from the document list to 在途订单, then 下推 the purchase
order they find there into a receipt."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jxc.services import partners
from tests.builders import a_purchase_order, a_user, a_warehouse, an_item
from tests.web.browsing import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(app):
    a_warehouse(app, "WH1")
    an_item(app, "螺丝", name="螺丝 M3")
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    a_user(app, "clerk", "warehouse_clerk", "WH1")
    app.order = a_purchase_order(app, "WH1", "SUP1", {"item": "螺丝", "quantity": "40"})
    return app


def test_a_purchase_order_in_progress_is_pushed_down_from_the_list(shop, base_url, browser):
    page = sign_in(browser, base_url, "clerk")

    page.goto(f"{base_url}/documents")
    page.click("#document-tabs >> text=在途订单")
    row = page.locator("#in-progress tbody tr", has_text=shop.order)
    expect(row).to_contain_text("未入库")
    expect(row).to_contain_text("40")
    row.locator("a.push-down").click()
    page.click("#push-down")

    page.wait_for_url(re.compile(r".*/documents/RK\d+$"))
    expect(page.locator("p.meta").first).to_contain_text("采购入库单")
    expect(page.locator(f'a[href="/documents/{shop.order}"]')).to_be_visible()
