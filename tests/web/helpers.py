"""Driving the web pages without a browser: sign in as a browser does, CSRF tokens included."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from jxc.asgi import create_server
from jxc.bootstrap import App
from jxc.config import SESSION_COOKIE
from jxc.domain.auth import csrf_token
from tests.builders import PASSWORD


def login_form_token(client: TestClient) -> str:
    """The sign-in form's CSRF token (its page sets the cookie it is made from)."""
    page = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def signed_in(client: TestClient, username: str) -> TestClient:
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": login_form_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def web_client(app: App, username: str) -> TestClient:
    return signed_in(TestClient(create_server(app), raise_server_exceptions=False), username)


def page_csrf(client: TestClient) -> str:
    """The token the signed-in session's pages send with every write."""
    return csrf_token(client.cookies[SESSION_COOKIE])


def scan_state(page: str) -> str:
    """The lines a scan screen holds (its hidden ``state``), as the browser sends them back."""
    found = re.search(r'name="state" value="([^"]*)"', page)
    assert found, page
    return unescape(found.group(1))
