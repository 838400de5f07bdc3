"""Driving the web pages without a browser: sign in as a browser does, CSRF tokens included."""

from __future__ import annotations

import json
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


class Entry:
    """One entry screen as a browser holds it: the form's fields and the lines state."""

    def __init__(self, client, entry, **header):
        self.client, self.entry = client, entry
        self.fields = {"warehouse": "WH1", "note": "", **header}
        self.state = ""
        self.message = ""

    def scan(self, code, scan_id=None, **typed):
        """``typed``: form fields sent with this scan only (the count beside the field)."""
        data = {**self.fields, **typed, "code": code, "state": self.state}
        return self._send({**data, "scan_id": scan_id or ""})

    def remove(self, number):
        return self._send({**self.fields, "remove": str(number), "state": self.state})

    def _send(self, data):
        csrf = page_csrf(self.client)
        response = self.client.post(
            f"/{self.entry}/scan", data=data, headers={"X-CSRF-Token": csrf}
        )
        assert response.status_code in (200, 422), response.text
        self.state = scan_state(response.text)
        self.message = re.search(r'id="scan-message"[^>]*>([^<]*)<', response.text).group(1)
        return response.status_code

    @property
    def lines(self):
        return [
            (line["item"], line["quantity"], line["batch"], line["serials"])
            for line in json.loads(self.state)["lines"]
        ]

    def submit(self):
        csrf = page_csrf(self.client)
        return self.client.post(
            f"/{self.entry}",
            data={**self.fields, "state": self.state, "csrf": csrf},
            follow_redirects=False,
        )
