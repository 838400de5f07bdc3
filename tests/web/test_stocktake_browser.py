"""盘点 on a phone-sized screen in Debian's Chromium: a blind count by scanning, a recount
by someone else, and the manager's approval posting the loss."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jxc.services import catalog, stocktakes
from tests.builders import a_user, a_warehouse, an_item, receive
from tests.web.browsing import scan, sign_in

CUPS_EAN = "6901234567892"
MILK_EAN = "6909876543212"
MILK_B1 = f"(01)0{MILK_EAN}(10)B1(17)270930"

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}}


@pytest.fixture
def shop(app):
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
            "quantity": "2",
            "unit_cost": "90",
            "batch": "B1",
            "expiry_date": "2027-09-30",
        },
    )
    a_user(app, "boss", "warehouse_manager", "WH1")
    a_user(app, "counter1", "warehouse_clerk", "WH1")
    a_user(app, "counter2", "warehouse_clerk", "WH1")
    return app


def test_a_blind_count_by_scan_a_recount_and_the_approval(browser, base_url, shop):
    boss = sign_in(browser, base_url, "boss")
    boss.goto(f"{base_url}/stocktakes")
    boss.click("summary")
    boss.fill("input[name=tolerance_percent]", "10")
    boss.click("#plan-submit")
    boss.wait_for_url(re.compile(r"/stocktakes/PD\d+$"))
    number = boss.url.rsplit("/", 1)[1]
    boss.click("#step-start")
    expect(boss.locator("#stocktake-state")).to_contain_text("盘点中")

    counter = sign_in(browser, base_url, "counter1", **PHONE)
    counter.goto(f"{base_url}/stocktakes/{number}")
    expect(counter.locator("#count-lines")).not_to_contain_text("账面数量")  # blind
    counter.click("#count")
    for code in (CUPS_EAN,) * 3:
        scan(counter, code)
    counter.fill("#quantity", "5")
    scan(counter, CUPS_EAN)  # a sleeve of five
    scan(counter, MILK_B1)
    counter.fill("#scan-batch", "B1")  # typed for the milk's plain barcode: that scan's only
    scan(counter, MILK_EAN)
    expect(counter.locator("#scan-batch")).to_have_value("")
    scan(counter, "6900000000000")  # not our barcode
    expect(counter.locator("#scan-message")).to_contain_text("6900000000000")
    expect(counter.locator("#scan")).to_have_class(re.compile("refused"))
    expect(counter.locator("tr[data-item=杯子] .counted")).to_have_text("8")
    expect(counter.locator("tr[data-item=奶粉] .counted")).to_have_text("2")
    counter.goto(f"{base_url}/stocktakes/{number}")
    counter.click("#step-hand-in")
    expect(counter.locator("#stocktake-state")).to_contain_text("复盘中")
    expect(counter.locator("tr.recount")).to_have_count(1)  # 8 cups against 10: over 10 %

    counter.click("#count")
    scan(counter, CUPS_EAN)  # the first counter may not recount
    expect(counter.locator("#scan-message")).to_contain_text("另一人")

    second = sign_in(browser, base_url, "counter2", **PHONE)
    second.goto(f"{base_url}/stocktakes/{number}/count")
    total = second.locator("tr[data-item=杯子] input[name=total]")
    total.fill("9")
    before = second.locator("#lines").inner_html()
    second.locator("tr[data-item=杯子] button").click()
    second.wait_for_function(
        "before => document.querySelector('#lines').innerHTML !== before", arg=before
    )
    expect(second.locator("tr[data-item=杯子] .recounted")).to_have_text("9")

    boss.goto(f"{base_url}/stocktakes/{number}")
    expect(boss.locator("#count-lines")).to_contain_text("账面数量")
    boss.click("#step-approve")
    expect(boss.locator("#stocktake-state")).to_contain_text("已审核")
    expect(boss.locator("tr.recount .difference")).to_have_text("-1")
    boss.get_by_role("link", name=re.compile(r"^CK")).click()
    expect(boss.locator("h1")).to_contain_text("CK")
    assert stocktakes.view(shop.uow(), "boss", number).stocktake.loss in boss.url


def test_serial_goods_are_counted_by_serial_and_a_unit_read_twice_counts_once(
    browser, base_url, shop
):
    an_item(shop, "电机", name="三相电机", tracking="serial", base_unit="台")
    receive(
        shop,
        "WH1",
        {"item": "电机", "quantity": "2", "unit_cost": "500", "serials": ["SN-1", "SN-2"]},
    )
    number = stocktakes.plan(shop.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(shop.uow(), "boss", number)

    counter = sign_in(browser, base_url, "counter1", **PHONE)
    counter.goto(f"{base_url}/stocktakes/{number}/count")
    motor = counter.locator("tr[data-item=电机]")
    scan(counter, "SN-1")  # the unit's own label: its serial names the item
    expect(motor.locator(".counted")).to_have_text("1")
    scan(counter, "SN-1")  # read again
    expect(counter.locator("#scan-message")).to_contain_text("SN-1")
    expect(counter.locator("#scan-message")).to_contain_text("一台只能盘点一次")
    expect(motor.locator(".counted")).to_have_text("1")
    scan(counter, "电机")  # the item without its serial
    expect(counter.locator("#scan-message")).to_contain_text("序列号")
    counter.fill("#scan-serial", "SN-7")  # a unit the books never had, typed beside
    scan(counter, "电机")
    expect(motor.locator(".counted")).to_have_text("2")
    expect(motor.locator(".serials")).to_contain_text("SN-1, SN-7")
    expect(counter.locator("#scan-serial")).to_have_value("")
    expect(motor.locator("input[name=total][inputmode]")).to_have_count(0)  # no typed total
    before = counter.locator("#lines").inner_html()
    motor.locator("button.clear-count").click()  # SN-7 was a misread: clear and scan again
    counter.wait_for_function(
        "before => document.querySelector('#lines').innerHTML !== before", arg=before
    )
    expect(motor.locator(".counted")).to_have_text("0")
    expect(motor.locator(".serials")).to_have_count(0)
    scan(counter, "SN-2")
    scan(counter, "SN-1")
    expect(motor.locator(".serials")).to_contain_text("SN-2, SN-1")

    boss = sign_in(browser, base_url, "boss")
    boss.goto(f"{base_url}/stocktakes/{number}")
    expect(boss.locator("#count-lines")).to_contain_text("SN-2, SN-1")
