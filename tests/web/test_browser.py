"""The web app in Debian's Chromium (Playwright): the SOP done by scanning, by four people.

A clerk signs in, scans three codes (one twice; one a GS1 code carrying batch and expiry)
into a receipt and submits it; a manager approves; the clerk executes; a second clerk
verifies; the stock page shows the goods. A clerk sees no approve button; a wrong code is
refused next to the scan field, in Chinese; the scan screen works on a phone, and a phone's
camera (Chromium's fake camera filming a QR code) reads a code into a line once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import segno
from playwright.sync_api import expect, sync_playwright

from jxc.services import auth, catalog
from tests.builders import a_user, a_warehouse, an_item
from tests.web.browsing import CHROMIUM, scan, settled, sign_in

SCREWS_EAN = "6901234567892"
MILK_EAN = "6909876543212"
# GS1-128 as a keyboard-wedge scanner types it (it cannot type the GS separator): GTIN
# (01), batch (10) and expiry (17) in their human-readable form.
MILK_GS1 = f"(01)0{MILK_EAN}(10)B2611(17)271231"

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(sop):
    a_warehouse(sop, "WH1")
    an_item(sop, "螺丝-M3", name="十字螺丝 M3")
    an_item(sop, "奶粉", name="婴儿奶粉 900g", tracking="batch", shelf_life_days=720)
    catalog.add_barcode(sop.uow(), "tester", "螺丝-M3", SCREWS_EAN)
    catalog.add_barcode(sop.uow(), "tester", "奶粉", MILK_EAN)
    a_user(sop, "clerk1", "warehouse_clerk", "WH1")
    a_user(sop, "clerk2", "warehouse_clerk", "WH1")
    a_user(sop, "manager", "warehouse_manager", "WH1")
    a_user(sop, "auditor", "auditor")
    return sop


def take_step(page, base_url, number, step_label):
    page.goto(f"{base_url}/documents/{number}")
    page.get_by_role("button", name=step_label).click()
    page.wait_for_url(f"{base_url}/documents/{number}")


def a_receipt_handed_in(browser, base_url):
    """clerk1's receipt of one screw, scanned and handed in: their page, its number."""
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/receive")
    scan(clerk, SCREWS_EAN)
    clerk.fill("input[name=cost-1]", "0.20")
    clerk.click("#submit")
    clerk.wait_for_url(f"{base_url}/documents/RK*")
    return clerk, clerk.url.rsplit("/", 1)[-1]


def test_a_receipt_is_scanned_in_and_walks_the_sop_by_four_people(browser, base_url):
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.click("text=扫码入库")
    scan(clerk, SCREWS_EAN)
    scan(clerk, SCREWS_EAN)
    scan(clerk, MILK_GS1)
    scan(clerk, "0000")

    assert clerk.locator("#scan-message").inner_text().startswith("条码 0000 不属于任何商品（")
    expect(clerk.locator("#scan")).to_have_class(re.compile("refused"))
    rows = clerk.locator("#lines tr.line")
    assert rows.count() == 2
    expect(rows.nth(0).locator("input[name=qty-1]")).to_have_value("2")
    assert "B2611" in rows.nth(1).inner_text()
    assert "2027-12-31" in rows.nth(1).inner_text()
    clerk.fill("input[name=cost-1]", "0.20")
    clerk.fill("input[name=cost-2]", "198.00")
    clerk.fill("input[name=note]", "供应商到货")
    clerk.click("#submit")
    clerk.wait_for_url(f"{base_url}/documents/RK*")
    number = clerk.url.rsplit("/", 1)[-1]
    assert "审核中" in clerk.locator("h1").inner_text()
    assert clerk.get_by_role("button", name="审核").count() == 0, "a clerk cannot approve"

    manager = sign_in(browser, base_url, "manager")
    take_step(manager, base_url, number, "审核")
    assert "已审核" in manager.locator("h1").inner_text()
    take_step(clerk, base_url, number, "执行")
    assert "已执行" in clerk.locator("h1").inner_text()
    assert clerk.get_by_role("button", name="核对").count() == 0, "the executor cannot verify"
    verifier = sign_in(browser, base_url, "clerk2")
    take_step(verifier, base_url, number, "核对")
    assert "已核对" in verifier.locator("h1").inner_text()

    history = verifier.locator("ol.history").inner_text()
    for who in ("clerk1", "manager", "clerk2"):
        assert who in history

    verifier.goto(f"{base_url}/stock?warehouse=WH1")
    stock = {
        row.locator("td").nth(0).inner_text(): row.locator("td").nth(5).inner_text()
        for row in verifier.locator("tr.stock-row").all()
    }
    assert stock == {"螺丝-M3": "2", "奶粉": "1"}


def test_the_scan_screen_works_on_a_phone(browser, base_url):
    phone = sign_in(
        browser,
        base_url,
        "clerk1",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    phone.goto(f"{base_url}/receive")
    scan(phone, SCREWS_EAN)

    assert phone.locator("#lines tr.line").count() == 1
    expect(phone.locator("#scan")).to_be_focused()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing sticks out sideways on a phone"


def test_on_a_phone_each_cell_of_a_list_says_which_column_it_is(browser, base_url):
    phone = sign_in(
        browser, base_url, "clerk1", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone.goto(f"{base_url}/receive")
    scan(phone, SCREWS_EAN)

    quantity = phone.locator("#lines tr.line td").nth(2)  # redrawn by htmx after the scan
    assert quantity.get_attribute("data-label") == "数量"
    shown = quantity.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert shown == '"数量 "'
    assert phone.locator("#lines thead").is_hidden()


@pytest.mark.parametrize("late_script", ["htmx.min.js", "html5-qrcode.min.js"])
def test_a_code_scanned_before_the_scripts_have_loaded_is_sent_once_they_have(
    browser, base_url, late_script
):
    """On a slow phone the scan field is on screen before htmx has started (it waits for
    every deferred script): the scanner's Enter must neither submit the whole receipt nor
    be lost."""
    clerk = sign_in(browser, base_url, "clerk1")
    held, posted = [], []
    clerk.route(f"**/static/{late_script}", lambda route: held.append(route))
    clerk.on(
        "request",
        lambda request: (
            request.method == "POST" and posted.append(request.url.removeprefix(base_url))
        ),
    )
    clerk.goto(f"{base_url}/receive", wait_until="commit")
    clerk.fill("#scan", SCREWS_EAN)
    clerk.press("#scan", "Enter")
    clerk.wait_for_timeout(300)
    assert posted == [], "Enter submitted the whole receipt"
    assert held, "htmx was requested"
    held[0].continue_()

    expect(clerk.locator("#lines tr.line")).to_have_count(1)
    assert posted == ["/receive/scan"]
    expect(clerk.locator("#scan")).to_have_value("")
    expect(clerk.locator("#scan")).to_be_focused()


def test_codes_scanned_faster_than_the_server_answers_each_count_once_with_their_own_count(
    browser, base_url, shop
):
    """A scanner types the next code while the last scan is still on its way: each scan
    is sent with the code and count that were in the fields when its Enter was pressed,
    one after another, and a code half-typed meanwhile stays in the field."""
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/receive")
    held = []
    clerk.route("**/receive/scan", lambda route: held.append(route))
    field = clerk.locator("#scan")
    clerk.fill("#quantity", "12")
    for code in (SCREWS_EAN, MILK_GS1, SCREWS_EAN):
        field.press_sequentially(code)
        field.press("Enter")
    field.press_sequentially("690")
    expect(clerk.locator("#quantity")).to_have_value("")

    sent = []
    for number in range(3):
        for _ in range(50):  # Playwright hands over held requests while it waits
            if len(held) > number:
                break
            clerk.wait_for_timeout(100)
        assert len(held) == number + 1, "each scan is sent once the one before has been answered"
        fields = parse_qs(held[number].request.post_data)
        sent.append((fields["code"], fields.get("quantity", [""])))
        held[number].continue_()
    settled(clerk)

    assert sent == [([SCREWS_EAN], ["12"]), ([MILK_GS1], [""]), ([SCREWS_EAN], [""])]
    expect(clerk.locator("#lines tr.line")).to_have_count(2)
    expect(clerk.locator("#lines input[name=qty-1]")).to_have_value("13")
    expect(field).to_have_value("690")
    assert not held[3:], "no scan was sent twice"


def test_a_refused_scans_count_is_not_carried_to_the_next_code(browser, base_url, shop):
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/receive")
    clerk.fill("#quantity", "12")
    scan(clerk, "0000")
    expect(clerk.locator("#scan-message")).to_contain_text("条码 0000 不属于任何商品（")
    expect(clerk.locator("#quantity")).to_have_value("")
    scan(clerk, SCREWS_EAN)
    expect(clerk.locator("#lines input[name=qty-1]")).to_have_value("1")


def test_a_batch_typed_beside_the_scan_with_its_expiry_goes_with_that_scan_only(
    browser, base_url, shop
):
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/receive")
    clerk.fill("#scan-batch", "B7")
    clerk.fill("#scan-expiry", "2028-10-31")
    clerk.fill("#quantity", "6")
    scan(clerk, "奶粉")
    expect(clerk.locator("#lines")).to_contain_text("B7")
    expect(clerk.locator("#lines")).to_contain_text("2028-10-31")
    expect(clerk.locator("#scan-batch")).to_have_value("")
    expect(clerk.locator("#scan-expiry")).to_have_value("")
    scan(clerk, "奶粉")  # no batch this time: refused, not given B7
    expect(clerk.locator("#scan-message")).to_contain_text("批次")
    expect(clerk.locator("#lines input[name=qty-1]")).to_have_value("6")


def test_a_serial_typed_beside_the_scan_goes_with_that_scan_only(browser, base_url, shop):
    an_item(shop, "电机", name="三相电机", tracking="serial", base_unit="台")
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/receive")
    clerk.fill("#scan-serial", "SN-71")
    scan(clerk, "电机")
    expect(clerk.locator("#lines")).to_contain_text("SN-71")
    expect(clerk.locator("#scan-serial")).to_have_value("")
    scan(clerk, "电机")  # no serial this time: refused, not given SN-71 again
    expect(clerk.locator("#scan-message")).to_contain_text("序列号")
    expect(clerk.locator("#lines")).to_contain_text("SN-71")


def test_a_box_is_counted_by_typing_a_line_corrected_and_another_taken_out(browser, base_url, shop):
    """A count typed beside the scan field, a line's quantity typed over and Enter pressed
    there, a wrong line taken out: the receipt is not handed in until 提交 is clicked."""
    clerk = sign_in(browser, base_url, "clerk1")
    posted: list[str] = []
    clerk.on(
        "request",
        lambda request: request.method == "POST" and posted.append(request.url.split("/")[-1]),
    )
    clerk.goto(f"{base_url}/receive")
    clerk.fill("#quantity", "48")
    scan(clerk, SCREWS_EAN)
    expect(clerk.locator("#quantity")).to_have_value("")  # the count was that scan's
    scan(clerk, MILK_GS1)
    expect(clerk.locator("#lines input[name=qty-1]")).to_have_value("48")

    clerk.fill("#lines input[name=qty-1]", "50")
    clerk.press("#lines input[name=qty-1]", "Enter")
    expect(clerk.locator("#scan")).to_be_focused()
    clerk.locator("#lines tr.line").nth(1).get_by_role("button", name="删除").click()
    expect(clerk.locator("#lines tr.line")).to_have_count(1)
    settled(clerk)
    assert "receive" not in posted, "Enter in a line handed the receipt in"
    expect(clerk.locator("#lines input[name=qty-1]")).to_have_value("50")

    clerk.fill("input[name=cost-1]", "0.20")
    clerk.fill("input[name=note]", "到货")
    clerk.press("input[name=note]", "Enter")
    expect(clerk.locator("#scan")).to_be_focused()
    assert "receive" not in posted, "Enter in the note handed the receipt in"
    clerk.click("#submit")
    clerk.wait_for_url(f"{base_url}/documents/RK*")
    assert "50" in clerk.locator("table.list").first.inner_text()
    assert "奶粉" not in clerk.locator("table.list").first.inner_text()


def test_a_rejected_receipt_is_put_right_on_its_scan_screen_and_handed_in_again(browser, base_url):
    clerk, number = a_receipt_handed_in(browser, base_url)
    manager = sign_in(browser, base_url, "manager")
    manager.goto(f"{base_url}/documents/{number}")
    manager.fill("input[name=reason]", "应为 12 个")
    manager.get_by_role("button", name="驳回").click()
    manager.wait_for_url(f"{base_url}/documents/{number}")

    clerk.goto(f"{base_url}/documents/{number}")
    assert "应为 12 个" in clerk.locator("ol.history").inner_text()
    clerk.click("#edit")
    expect(clerk.locator("h1")).to_have_text(f"修改 {number}")
    clerk.fill("#lines input[name=qty-1]", "12")
    clerk.click("#submit")
    clerk.wait_for_url(f"{base_url}/documents/{number}")

    assert "12" in clerk.locator("table.list").first.inner_text()
    take_step(clerk, base_url, number, "提交")
    assert "审核中" in clerk.locator("h1").inner_text()


def test_a_scan_after_the_session_ended_goes_to_the_sign_in_page(browser, base_url, shop):
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/receive")
    scan(clerk, SCREWS_EAN)
    auth.set_active(shop.uow(), "tester", "clerk1", False)

    clerk.fill("#scan", SCREWS_EAN)
    clerk.press("#scan", "Enter")

    clerk.wait_for_url(f"{base_url}/login")
    assert clerk.locator("form#entry").count() == 0


def test_html_in_a_name_is_shown_as_text(browser, base_url, shop):
    an_item(shop, "XSS-1", name="<script>window.hacked=1</script>")
    catalog.add_barcode(shop.uow(), "tester", "XSS-1", "6900000000019")
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/receive")
    scan(clerk, "6900000000019")

    assert "<script>" in clerk.locator("#lines").inner_text()
    assert clerk.evaluate("window.hacked") is None


def test_a_form_from_another_site_is_refused(browser, base_url):
    clerk = sign_in(browser, base_url, "clerk1")

    response = clerk.request.post(
        f"{base_url}/receive/scan", form={"code": SCREWS_EAN, "csrf": "forged"}
    )

    assert response.status == 403
    assert "表单已过期或来自其他网站" in response.text()


def test_the_flow_is_drawn_with_live_counts_and_late_steps_reach_the_managers_home(
    browser, base_url, shop
):
    clerk, number = a_receipt_handed_in(browser, base_url)

    clerk.goto(f"{base_url}/sop/receipt")
    # Mermaid draws after the page loads; on a busy machine that takes a few seconds.
    expect(clerk.locator(".chart svg")).to_contain_text("审核中 · 1", timeout=30_000)
    counts = {
        row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
        for row in clerk.locator("tr.flow-state").all()
    }
    assert counts["审核中"] == "1"

    later = shop.clock() + timedelta(hours=30)  # past the 24 hours a step may wait
    shop.clock = lambda: later
    manager = sign_in(browser, base_url, "manager")
    overdue = manager.locator("table.overdue")
    assert number in overdue.inner_text()
    assert "仓库主管" in overdue.inner_text()


def test_only_an_auditor_reads_the_audit_log(browser, base_url):
    clerk = sign_in(browser, base_url, "clerk1")
    clerk.goto(f"{base_url}/audit")
    assert "无权" in clerk.locator(".errors").inner_text()

    auditor = sign_in(browser, base_url, "auditor")
    auditor.goto(f"{base_url}/audit?actor=tester")
    actions = auditor.locator("tr.audit-event td:nth-child(4)").all_inner_texts()
    assert "新增商品" in actions


def _camera_film(path: Path, text: str) -> Path:
    """A one-frame Y4M film of ``text`` as a QR code: what Chromium's fake camera shows."""
    width, height, scale, border = 640, 480, 12, 1
    matrix = segno.make_qr(text, error="m").matrix  # not Micro QR, which cameras rarely read
    size = (len(matrix) + 2 * border) * scale
    top, left = (height - size) // 2, (width - size) // 2
    luma = bytearray(b"\xff" * (width * height))
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            if not dark:
                continue
            for y in range(scale):
                start = (top + (row + border) * scale + y) * width + left
                start += (column + border) * scale
                luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (width * height // 2)
    path.write_bytes(
        f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
        + b"FRAME\n"
        + bytes(luma)
        + chroma
    )
    return path


def test_a_phone_camera_reads_a_code_into_a_line_once_while_it_stays_in_view(base_url, tmp_path):
    # The GS1 form a label carries. (html5-qrcode's ZXing misses a digits-only QR code drawn
    # with large modules; the same code as GS1 text reads at every size tried.)
    film = _camera_film(tmp_path / "camera.y4m", f"(01)0{SCREWS_EAN}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={film}",
            ],
        )
        phone = sign_in(
            browser, base_url, "clerk1", viewport={"width": 390, "height": 844}, is_mobile=True
        )
        phone.context.grant_permissions(["camera"], origin=base_url)
        # A slow phone: it decodes the code in view less than once a second.
        phone.context.new_cdp_session(phone).send("Emulation.setCPUThrottlingRate", {"rate": 40})
        phone.goto(f"{base_url}/receive")
        phone.click("#camera")

        expect(phone.locator("#lines tr.line")).to_have_count(1, timeout=60_000)
        phone.wait_for_timeout(5_000)  # the code stays in view: it is not counted again

        assert phone.locator("#lines tr.line td").nth(1).inner_text().startswith("螺丝-M3")
        expect(phone.locator("#lines input[name=qty-1]")).to_have_value("1")
        expect(phone.locator("#camera")).to_have_text("关闭摄像头")
        browser.close()
