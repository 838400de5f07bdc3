"""GET /api/v1/audit-export and POST /api/v1/audit-export/verify over HTTP."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from jxc.api.app import create_app
from tests.api.test_reports_api import PROBLEM, signed_in
from tests.builders import a_user, a_warehouse, an_item, create


@pytest.fixture
def client(app):
    a_warehouse(app, "WH1")
    an_item(app, "胶水", tracking="batch", shelf_life_days=365)
    create(
        app,
        "receipt",
        "WH1",
        {
            "item": "胶水",
            "quantity": "5",
            "unit_cost": "2",
            "batch": "G1",
            "production_date": "2026-09-01",
        },
        business_date="2026-10-01",
    )
    a_user(app, "auditor1", "auditor")
    a_user(app, "clerk1", "warehouse_clerk")
    with TestClient(create_app(app), raise_server_exceptions=False) as test_client:
        yield test_client


def test_an_auditor_downloads_a_batch_history_and_the_digest_checks_out(client):
    auditor = signed_in(client, "auditor1", "secret-password")
    response = client.get(
        "/api/v1/audit-export", params={"item": "胶水", "batch": "G1"}, headers=auditor
    )
    assert response.status_code == 200, response.text
    digest = response.headers["X-Export-Digest"]
    assert response.headers["Content-Disposition"].endswith(f'{digest[:8]}.xlsx"')
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert [row[6] for row in book["库存流水"].iter_rows(min_row=2, values_only=True)] == ["G1"]

    checked = client.post(
        "/api/v1/audit-export/verify",
        files={"file": ("export.xlsx", response.content)},
        headers=auditor,
    )
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert (body["ok"], body["digest"], body["recorded_by"]) == (True, digest, "auditor1")
    assert body["scope"] == {"item": "胶水", "batch": "G1"}
    assert [section["rows_found"] for section in body["sections"]][0] == 1


def test_a_changed_csv_file_is_reported_not_ok_naming_the_section(client):
    auditor = signed_in(client, "auditor1", "secret-password", language="en")
    response = client.get(
        "/api/v1/audit-export", params={"item": "胶水", "format": "csv"}, headers=auditor
    )
    assert response.headers["Content-Type"] == "application/zip"
    source = zipfile.ZipFile(io.BytesIO(response.content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            archive.writestr(name, data.replace(b",5,", b",50,") if name == "ledger.csv" else data)
    body = client.post(
        "/api/v1/audit-export/verify", files={"file": ("x.zip", out.getvalue())}, headers=auditor
    ).json()
    assert body["ok"] is False
    assert [s["name"] for s in body["sections"] if not s["matches"]] == ["ledger"]


def test_a_clerk_is_refused_and_a_bad_scope_is_named_in_the_readers_language(client):
    clerk = signed_in(client, "clerk1", "secret-password")
    refused = client.get("/api/v1/audit-export", params={"item": "胶水"}, headers=clerk)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")

    auditor = signed_in(client, "auditor1", "secret-password")
    nothing = client.get("/api/v1/audit-export", headers=auditor)
    assert nothing.status_code == 422
    assert nothing.headers["Content-Type"].startswith(PROBLEM)
    assert nothing.json()["code"] == "audit_export.scope_required"
    assert "请指定导出范围" in nothing.json()["detail"]

    unknown = client.get("/api/v1/audit-export", params={"serial": "NOPE"}, headers=auditor)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "serial.unknown")

    not_export = client.post(
        "/api/v1/audit-export/verify", files={"file": ("a.txt", b"hello")}, headers=auditor
    )
    assert (not_export.status_code, not_export.json()["code"]) == (
        422,
        "audit_export.not_an_export",
    )
