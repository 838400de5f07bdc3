"""Every filter form of the web app, handed in as a browser sends it, with its fields as
they stand: blank dates, all warehouses, the first choice of every list."""

from __future__ import annotations

import pytest

from tests.web.browsing import sign_in
from tests.web.test_browser import shop  # noqa: F401 - the company the pages show

pytestmark = pytest.mark.browser

PAGES = {
    "manager": [
        "/documents",
        "/stock",
        "/ledger",
        "/trace",
        "/alerts",
        "/dashboard",
        "/partners",
        "/replenishment",
        "/stocktakes",
        "/reports/stock-summary",
        "/reports/stock-ageing",
        "/reports/dormant-stock",
        "/reports/expiry-alert",
        "/reports/in-transit",
    ],
    "auditor": ["/audit", "/audit/export"],
}
# Forms that, left as they stand, are refused by design: what the refusal says.
REFUSED_AS_THEY_STAND = {"/audit/export": "请指定导出范围：商品、商品的批次、序列号或日期范围"}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_every_filter_form_handed_in_as_it_stands_shows_its_page(browser, base_url, username):
    person = sign_in(browser, base_url, username)
    handed_in = 0
    for path in PAGES[username]:
        person.goto(f"{base_url}{path}")
        forms = person.locator("main form[method=get]")
        for number in range(forms.count()):
            person.goto(f"{base_url}{path}")
            form = person.locator("main form[method=get]").nth(number)
            for field in form.locator("input[required]:not([type=date])").all():
                if not field.input_value():
                    field.fill("螺丝-M3")  # an item code: what every required text field takes
            with person.expect_navigation() as shown:
                form.evaluate("form => form.requestSubmit()")
            status = shown.value.status if shown.value else 200
            if path in REFUSED_AS_THEY_STAND:
                assert status == 422, path
                assert REFUSED_AS_THEY_STAND[path] in person.locator(".errors").inner_text()
            else:
                assert status == 200, f"{path} form {number + 1}: {status} {person.url}"
            handed_in += 1
    assert handed_in >= len(PAGES[username])
