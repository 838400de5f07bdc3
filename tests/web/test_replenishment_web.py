"""库存预警 and 补货建议 pages without a browser: levels set by form, one click makes drafts."""

from __future__ import annotations

import re

from jxc.services import partners
from tests.builders import a_user, a_warehouse, an_item, receive
from tests.web.helpers import page_csrf, web_client


def test_levels_form_alerts_page_home_counts_and_one_click_drafts(app):
    a_warehouse(app, "SH")
    an_item(app, "杯子")
    partners.add(app.uow(), "tester", {"code": "SUP-1", "name": "杯厂", "kind": "supplier"})
    receive(app, "SH", {"item": "杯子", "quantity": "5", "unit_cost": "4"})
    a_user(app, "boss", "warehouse_manager", "SH")
    a_user(app, "chief", "admin")
    boss = web_client(app, "boss")
    form = {"csrf": page_csrf(boss), "warehouse": "SH", "item": "杯子"}
    refused = boss.post(
        "/replenishment/levels",
        data={**form, "safety_stock": "20", "reorder_point": "10", "max_quantity": "30"},
    )
    assert refused.status_code == 422
    assert "再订货点 10 低于安全库存 20" in refused.text
    done = boss.post(
        "/replenishment/levels",
        data={**form, "safety_stock": "6", "reorder_point": "10", "max_quantity": "30"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    alerts = boss.get("/alerts")
    assert "低于安全库存" in alerts.text
    assert 'id="alert-counts"' in boss.get("/").text
    dashboard = boss.get("/dashboard").text  # the KPI dashboard shows them too
    assert re.search(r'id="alert-counts".*低于安全库存 · 1', dashboard, re.S)
    suggestions = boss.get("/replenishment?warehouse=SH")
    assert "建议补货量" in suggestions.text
    assert "25" in suggestions.text

    admin = web_client(app, "chief")
    click = {"csrf": page_csrf(admin), "warehouse": "SH", "supplier": "SUP-1", "request_id": "1"}
    made = [admin.post("/replenishment/accept", data=click) for _ in range(2)]  # double click
    assert all(response.status_code == 200 for response in made)
    numbers = set(re.findall(r'href="/documents/([^"]+)"', made[1].text))
    assert len(numbers) == 1
    assert "暂无补货建议" in made[1].text
