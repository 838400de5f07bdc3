"""Driving pages in Chromium as people do: sign in, scan a code the way a scanner types it."""

from __future__ import annotations

from pathlib import Path

from tests.builders import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, never one a tool downloads


def sign_in(browser, base_url, username, **context):
    page = browser.new_context(locale="zh-CN", **context).new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def scan(page, code):
    before = page.locator("#lines").inner_html()
    page.fill("#scan", code)
    page.press("#scan", "Enter")
    page.wait_for_function(
        "before => document.querySelector('#lines').innerHTML !== before", arg=before
    )
    settled(page)


def settled(page):
    """Wait until htmx has settled what it swapped in: then the scan field has the focus
    back (a person never types that fast; a test that did would type into it)."""
    page.wait_for_function(
        "!document.querySelector('.htmx-settling, .htmx-swapping, .htmx-request')"
    )
