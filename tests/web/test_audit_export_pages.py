"""审计导出 page: one action downloads a scope's history; an uploaded file is checked."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from tests.builders import a_user, a_warehouse, an_item, create
from tests.web.helpers import page_csrf, web_client


@pytest.fixture
def auditor(app):
    a_warehouse(app, "WH1")
    an_item(app, "螺丝-M3")
    create(
        app,
        "receipt",
        "WH1",
        {"item": "螺丝-M3", "quantity": "10", "unit_cost": "2.5"},
        business_date="2026-11-02",
    )
    a_user(app, "auditor1", "auditor")
    a_user(app, "clerk1", "warehouse_clerk")
    return web_client(app, "auditor1")


def test_the_audit_log_leads_to_the_export_form(auditor):
    log = auditor.get("/audit")
    assert 'href="/audit/export"' in log.text
    form = auditor.get("/audit/export")
    assert form.status_code == 200
    assert "审计导出" in form.text
    assert 'name="serial"' in form.text
    assert 'enctype="multipart/form-data"' in form.text


def test_one_action_downloads_the_items_history_and_the_upload_checks_it(auditor):
    download = auditor.get(
        "/audit/export", params={"item": "螺丝-M3", "start": "", "end": "", "format": "xlsx"}
    )
    assert download.status_code == 200, download.text
    book = load_workbook(io.BytesIO(download.content), read_only=True)
    assert [row[3] for row in book["库存流水"].iter_rows(min_row=2, values_only=True)] == [
        next(book["单据"].iter_rows(min_row=2, values_only=True))[0]
    ]
    checked = auditor.post(
        "/audit/export/verify",
        data={"csrf": page_csrf(auditor)},
        files={"file": ("history.xlsx", download.content)},
    )
    assert checked.status_code == 200, checked.text
    assert "审计导出完好" in checked.text
    assert download.headers["X-Export-Digest"] in checked.text


def test_a_changed_file_shows_which_section_changed(auditor):
    download = auditor.get("/audit/export", params={"item": "螺丝-M3", "format": "csv"})
    source = zipfile.ZipFile(io.BytesIO(download.content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            archive.writestr(name, data + b"1,2\r\n" if name == "documents.csv" else data)
    checked = auditor.post(
        "/audit/export/verify",
        data={"csrf": page_csrf(auditor)},
        files={"file": ("history.zip", out.getvalue())},
    )
    assert checked.status_code == 422
    assert "单据：导出后已被改动（现有 2 行，导出时 1 行）" in checked.text
    assert "审计导出校验未通过" in checked.text


def test_bad_input_is_named_on_the_form_and_a_clerk_is_refused(app, auditor):
    empty = auditor.get("/audit/export", params={"format": "xlsx"})
    assert empty.status_code == 422
    assert "请指定导出范围" in empty.text
    bad_day = auditor.get("/audit/export", params={"start": "2026-13-01", "format": "xlsx"})
    assert bad_day.status_code == 422
    assert "2026-13-01" in bad_day.text
    no_csrf = auditor.post("/audit/export/verify", files={"file": ("a.zip", b"x")})
    assert no_csrf.status_code == 403
    clerk = web_client(app, "clerk1")
    assert clerk.get("/audit/export").status_code == 403
    assert (
        clerk.get("/audit/export", params={"item": "螺丝-M3", "format": "xlsx"}).status_code == 403
    )
