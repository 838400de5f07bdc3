"""A sales delivery on the floor, in Debian's Chromium: picked by scanning, 复核 catches a
wrong batch, then it ships and its order is done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jxc.services import catalog, deliveries, documents, orders, partners, workflows
from tests.builders import a_user, a_warehouse, an_item, receive
from tests.web.browsing import scan, sign_in

CUPS_EAN = "6901234567892"
MILK_EAN = "6909876543212"
MILK_B1 = f"(01)0{MILK_EAN}(10)B1(17)270930"
MILK_B2 = f"(01)0{MILK_EAN}(10)B2(17)271231"

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(app):
    """One-step receipts and orders; deliveries on the SOP: 拣货 → 复核 → 发运."""
    workflows.install(app.uow(), "tester", workflows.shipped_source("sop", "sales_delivery"))
    a_warehouse(app, "WH1")
    an_item(app, "杯子", name="马克杯")
    an_item(app, "奶粉", name="婴儿奶粉 900g", tracking="batch", shelf_life_days=720)
    catalog.add_barcode(app.uow(), "tester", "杯子", CUPS_EAN)
    catalog.add_barcode(app.uow(), "tester", "奶粉", MILK_EAN)
    receive(
        app,
        "WH1",
        {"item": "杯子", "quantity": "10", "unit_cost": "4"},
        {
            "item": "奶粉",
            "quantity": "3",
            "unit_cost": "90",
            "batch": "B1",
            "expiry_date": "2027-09-30",
        },
        {
            "item": "奶粉",
            "quantity": "5",
            "unit_cost": "95",
            "batch": "B2",
            "expiry_date": "2027-12-31",
        },
    )
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    a_user(app, "picker", "warehouse_clerk", "WH1")
    a_user(app, "checker", "warehouse_clerk", "WH1")
    order = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "sales_order",
            "warehouse": "WH1",
            "partner": "C1",
            "lines": [
                {"item": "杯子", "quantity": "2", "unit_price": "25"},
                {"item": "奶粉", "quantity": "2", "unit_price": "198"},
            ],
        },
        then="approve",
    ).number
    app.order = order
    app.delivery = orders.push_down(app.uow(), "tester", order).number
    return app


def test_a_delivery_is_picked_by_scanning_its_check_catches_a_wrong_batch_and_it_ships(
    browser, base_url, shop
):
    delivery = shop.delivery
    picker = sign_in(browser, base_url, "picker")
    picker.goto(f"{base_url}/documents/{delivery}")
    picker.click("#scan-pick")
    expect(picker.locator("#pick-list")).to_contain_text("B1")  # FEFO: the batch expiring first
    for code in (CUPS_EAN, CUPS_EAN, MILK_B1, MILK_B1):
        scan(picker, code)
    expect(picker.locator("#pick-list tr.picked")).to_have_count(2)  # each row picked whole
    scan(picker, CUPS_EAN)  # a third cup: the delivery has two
    expect(picker.locator("#scan-message")).to_contain_text("出库单只有 2")
    picker.click("#submit")
    picker.wait_for_url(f"{base_url}/documents/{delivery}")
    expect(picker.locator("h1")).to_contain_text("已拣货")

    checker = sign_in(browser, base_url, "checker")
    checker.goto(f"{base_url}/documents/{delivery}")
    checker.click("#scan-check")
    scan(checker, MILK_B2)
    expect(checker.locator("#scan-message")).to_contain_text("批次不符")
    expect(checker.locator("#scan")).to_have_class(re.compile("refused"))
    checker.fill("#quantity", "2")  # the milk counted, scanned once
    scan(checker, MILK_B1)
    expect(checker.locator("#quantity")).to_have_value("")  # that one scan's count
    scan(checker, CUPS_EAN)
    checker.click("#submit")  # one cup short: named, nothing taken
    expect(checker.locator(".errors, .field-error").first).to_contain_text("杯子")
    scan(checker, CUPS_EAN)
    checker.click("#submit")
    checker.wait_for_url(f"{base_url}/documents/{delivery}")
    expect(checker.locator("h1")).to_contain_text("已复核")

    picker.goto(f"{base_url}/documents/{delivery}")
    picker.get_by_role("button", name="发运").click()
    picker.wait_for_url(f"{base_url}/documents/{delivery}")
    expect(picker.locator("h1")).to_contain_text("已发运")
    picker.goto(f"{base_url}/documents/{shop.order}")
    expect(picker.locator("h1")).to_contain_text("已完成")


def test_goods_that_come_back_are_scanned_from_the_delivery_page(browser, base_url, shop):
    delivery = shop.delivery
    went_out = {
        "scans": [
            {"item": "杯子", "quantity": "2"},
            {"item": "奶粉", "batch": "B1", "quantity": "2"},
        ]
    }
    deliveries.pick(shop.uow(), "picker", delivery, went_out)
    deliveries.check(shop.uow(), "checker", delivery, went_out)
    documents.act(shop.uow(), "picker", delivery, "ship")
    clerk = sign_in(browser, base_url, "picker")
    clerk.goto(f"{base_url}/documents/{delivery}")
    clerk.click("#sales-return-by-scan")

    expect(clerk.locator("input[name=source]")).to_have_value(delivery)
    scan(clerk, MILK_B2)
    expect(clerk.locator("#scan-message")).to_contain_text("批次 B2")
    scan(clerk, MILK_B1)
    expect(clerk.locator("#lines")).to_contain_text("B1")
    clerk.click("#submit")
    clerk.wait_for_url(re.compile(f"{base_url}/documents/XSTH"))
    expect(clerk.locator("main")).to_contain_text(delivery)  # its source
    expect(clerk.locator("main")).to_contain_text("婴儿奶粉 900g")


def test_a_short_pick_confirmed_then_scanned_on_must_be_confirmed_again(browser, base_url, shop):
    delivery = shop.delivery
    picker = sign_in(browser, base_url, "picker")
    picker.goto(f"{base_url}/deliveries/{delivery}/pick")
    scan(picker, MILK_B1)
    picker.click("#submit")  # short of 2 cups and a tin: asked first
    expect(picker.locator("#short-confirmed")).to_be_visible()
    picker.check("#short-confirmed")

    scan(picker, CUPS_EAN)  # the lines changed after the confirmation
    expect(picker.locator("#lines")).to_contain_text("杯子")

    expect(picker.locator("#short-confirmed")).not_to_be_checked()
    picker.click("#submit")
    expect(picker.locator("#short-confirmed")).to_be_visible()  # asked again, nothing taken
    expect(picker.locator("h1")).to_contain_text("拣货")
    picker.check("#short-confirmed")
    picker.click("#submit")
    picker.wait_for_url(f"{base_url}/documents/{delivery}")
    expect(picker.locator("h1")).to_contain_text("已拣货")
