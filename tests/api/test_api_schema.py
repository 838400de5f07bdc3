"""Schemathesis over the OpenAPI schema: whatever a client sends, the API never fails (no 5xx).

Generated requests (valid and invalid paths, queries, headers and bodies) run against the
app with an admin's token and a small shop, so they reach the services, not just the
validation in front of them.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from jxc.api.app import create_app
from jxc.bootstrap import build
from jxc.config import Settings
from jxc.services import auth
from tests.builders import a_warehouse, an_item, create
from tests.conftest import TESTER, TESTER_PASSWORD

# The schema is read once from an app on no database; each test points it at its own.
API = create_app(build(Settings(database_url="sqlite://")))
# Signing out would end the token the other generated requests use.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", API).exclude(
    operation_id="sessions-delete"
)


@pytest.fixture
def admin_headers(app):
    a_warehouse(app, "WH1")
    an_item(app, "螺丝-M3")
    create(app, "receipt", "WH1", {"item": "螺丝-M3", "quantity": "10", "unit_cost": "2"})
    API.state.jxc = app
    token = auth.login(app.uow(), TESTER, TESTER_PASSWORD).token
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,  # the same requests every run: CI stays reproducible
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_makes_the_api_fail(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])
