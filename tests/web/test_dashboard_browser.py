"""The KPI dashboard in Debian's Chromium: the figures are drawn, and a click on one leads to
the documents behind it; the same figures come from the API and from `jxc kpi`."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from jxc.api.app import create_app
from jxc.services import documents, stocktakes
from tests.api.test_api import problem
from tests.api.test_api import signed_in as api_signed_in
from tests.builders import a_user, a_warehouse, an_item, create
from tests.cli.conftest import jxc
from tests.web.browsing import sign_in


@pytest.fixture
def shop(app):
    a_warehouse(app, "WH1")
    an_item(app, "杯子")
    create(app, "receipt", "WH1", {"item": "杯子", "quantity": "10", "unit_cost": "4"})
    wrong = create(app, "issue", "WH1", {"item": "杯子", "quantity": "1"})
    documents.reverse(app.uow(), "tester", wrong.number, post=True)
    a_user(app, "boss", "warehouse_manager", "WH1")
    a_user(app, "boss2", "warehouse_manager", "WH1")
    number = stocktakes.plan(app.uow(), "boss", {"warehouse": "WH1"}).number
    stocktakes.start(app.uow(), "boss", number)
    stocktakes.count(app.uow(), "tester", number, {"lines": [{"item": "杯子", "quantity": "9"}]})
    stocktakes.hand_in(app.uow(), "tester", number)
    stocktakes.count(app.uow(), "boss", number, {"lines": [{"item": "杯子", "quantity": "9"}]})
    stocktakes.approve(app.uow(), "boss2", number)
    return app


@pytest.mark.browser
def test_the_dashboard_draws_the_figures_and_leads_to_the_documents(browser, base_url, shop):
    page = sign_in(browser, base_url, "boss")
    page.goto(f"{base_url}/dashboard")
    expect(page.locator("#kpi-count_error .kpi-value")).to_contain_text("100")  # 1 of 1 line
    expect(page.locator("#kpi-movement_accuracy .kpi-value")).to_contain_text("66.67")
    expect(page.locator("#kpi-count_error canvas")).to_have_count(1)  # drawn by ECharts
    axis = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(
                document.querySelector("#kpi-count_error .kpi-chart"));
            return chart.getModel().getComponent("yAxis").axis.scale.getExtent();
        }"""
    )
    assert axis == [0, 100]  # a rate on its whole scale, not 0–160 around one month at 100
    page.click("#kpi-movement_accuracy .kpi-link")
    page.wait_for_url(re.compile(r"/documents\?document_type=reversal"))
    expect(page.locator("table.list")).to_contain_text("HC")


def test_the_api_and_the_command_give_the_same_figures(shop, database_url):
    with TestClient(create_app(shop), raise_server_exceptions=False) as client:
        headers = api_signed_in(client, "boss")
        answer = client.get("/api/v1/kpi", headers=headers)
        assert answer.status_code == 200, answer.text
        by_key = {figure["key"]: figure for figure in answer.json()["figures"]}
        reversed_range = client.get("/api/v1/kpi?from=2026-09-30&to=2026-09-01", headers=headers)
        assert problem(reversed_range, 422)["code"] == "report.range_reversed"
    assert by_key["movement_accuracy"]["value"] == "66.67"  # 2 of 3 lines never reversed
    assert by_key["count_error"]["value"] == "100"

    code, output = jxc(database_url, "kpi", "--json")
    assert code == 0, output
    figures = json.loads(output)["figures"]
    assert figures["movement_accuracy"]["value"] == "66.67"
    code, output = jxc(database_url, "kpi")
    assert "出入库准确率" in output
    assert "66.67%" in output
