"""Take the README's screenshots of the web app on a fresh demo company.

    python tools/screenshots.py [docs/screenshots]

Loads the demo into a temporary SQLite database, starts ``jxc serve`` on a free port and
drives Debian's Chromium (/usr/bin/chromium) through the main pages as the demo users.
Chinese text needs a CJK font on the machine (Debian: apt-get install fonts-noto-cjk).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "JXC_DATABASE_URL": f"sqlite:///{home}/jxc.db", "JXC_LANG": "zh_CN"}
        jxc = str(Path(sys.executable).with_name("jxc"))
        subprocess.run([jxc, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [jxc, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(base)
            _shoot(base, target)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"jxc-{username}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _scan(page: Page, code: str) -> None:
    before = page.locator("#lines").inner_html()
    page.fill("#scan", code)
    page.press("#scan", "Enter")
    page.wait_for_function(
        "before => document.querySelector('#lines').innerHTML !== before", arg=before
    )
    page.wait_for_function("!document.querySelector('.htmx-settling, .htmx-request')")


def _shoot(base: str, target: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)

        clerk = browser.new_context(locale="zh-CN", viewport=DESK).new_page()
        _sign_in(clerk, base, "clerk.sh01")
        clerk.goto(f"{base}/receive")
        for code in ("6927340151909", "6927340151909", "6980091652200", "0000"):
            _scan(clerk, code)
        clerk.screenshot(path=target / "receive.png")
        clerk.fill("input[name=cost-1]", "180")
        clerk.fill("input[name=cost-2]", "0.35")
        clerk.click("#submit")
        clerk.wait_for_url(f"{base}/documents/RK*")
        clerk.screenshot(path=target / "document.png")

        manager = browser.new_context(locale="zh-CN", viewport=DESK).new_page()
        _sign_in(manager, base, "manager")
        manager.screenshot(path=target / "home.png")
        manager.goto(f"{base}/sop/issue")
        manager.wait_for_selector(".chart svg", timeout=30_000)
        manager.screenshot(path=target / "flow.png", full_page=True)
        manager.goto(f"{base}/stock?warehouse=SH01")
        manager.screenshot(path=target / "stock.png")

        admin = browser.new_context(locale="zh-CN", viewport=DESK).new_page()
        _sign_in(admin, base, "admin")
        admin.goto(f"{base}/settings/users")
        admin.screenshot(path=target / "settings.png")
        admin.goto(f"{base}/stock")
        item, batch = admin.evaluate(
            """() => [...document.querySelectorAll('tr.stock-row')]
                 .map(row => [...row.cells].map(cell => cell.innerText))
                 .filter(cells => cells[4])
                 .map(cells => [cells[0], cells[4]])[0]"""
        )
        admin.goto(f"{base}/trace?item={item}&batch={batch}")
        admin.screenshot(path=target / "trace.png", full_page=True)

        # A sales order part delivered: its money and progress, and 下推 in one click.
        clerk.goto(f"{base}/documents?document_type=sales_order")
        orders = clerk.evaluate(
            """() => [...document.querySelectorAll('table.list tbody tr')]
                 .map(row => row.cells[0].innerText.trim())"""
        )
        for number in orders:
            clerk.goto(f"{base}/documents/{number}")
            if (
                clerk.locator("#push-down").count()
                and clerk.locator(".progress-partially_done").count()
            ):
                break
        clerk.screenshot(path=target / "order.png", full_page=True)
        clerk.click("#push-down")
        clerk.wait_for_url(f"{base}/documents/XSCK*")
        clerk.click("#scan-pick")
        clerk.wait_for_selector("#pick-list")
        clerk.screenshot(path=target / "pick.png")

        phone = browser.new_context(
            locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
        ).new_page()
        _sign_in(phone, base, "clerk.sh01")
        phone.goto(f"{base}/issue")
        _scan(phone, "6927340151909")
        phone.screenshot(path=target / "phone-issue.png")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
