"""The one ASGI application ``jxc serve`` runs: the REST API and the web app side by side.

The API (``/api/v1``) answers errors as problem+json; the web pages answer them as a page
in the user's language, and send whoever is not signed in to the sign-in page.
"""

from __future__ import annotations

import sys
from importlib import resources
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from jxc.api import problems
from jxc.api.app import API_PREFIX, create_app
from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.domain.errors import DomainError
from jxc.i18n.messages import translate
from jxc.web import audit_exports as web_audit_exports
from jxc.web import deliveries as web_deliveries
from jxc.web import editing as web_editing
from jxc.web import kpi as web_kpi
from jxc.web import movements as web_movements
from jxc.web import order_lists as web_order_lists
from jxc.web import pages
from jxc.web import partners as web_partners
from jxc.web import replenishment as web_replenishment
from jxc.web import reports as web_reports
from jxc.web import settings as web_settings
from jxc.web import stocktakes as web_stocktakes
from jxc.web.forms import form_errors
from jxc.web.render import locale_of, page


def create_server(app: App) -> FastAPI:
    server = create_app(app)
    server.include_router(web_editing.router)  # before pages' /documents/{number}/{step}
    server.include_router(pages.router)
    server.include_router(web_movements.router)
    server.include_router(web_order_lists.router)
    server.include_router(web_settings.router)
    server.include_router(web_partners.router)
    server.include_router(web_deliveries.router)
    server.include_router(web_stocktakes.router)
    server.include_router(web_replenishment.router)
    server.include_router(web_reports.router)
    server.include_router(web_kpi.router)
    server.include_router(web_audit_exports.router)
    server.mount(
        "/static", StaticFiles(directory=str(resources.files("jxc.web") / "static")), "static"
    )

    @server.exception_handler(pages.SignInRequired)
    async def sign_in(request: Request, _: pages.SignInRequired) -> Response:
        if request.headers.get("HX-Request"):
            # A scan after the session ended: the whole page goes to sign-in, rather than
            # the sign-in page being drawn where the scanned lines were.
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        if request.method != "GET" or request.url.path == "/":
            return RedirectResponse("/login", status_code=303)
        # back to the page asked for (a document's link in a reminder) once signed in; as
        # sent, still encoded: a code holding # or / comes back to the same page
        path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        asked = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': asked})}", status_code=303)

    problems.install(server, answer=_answer)
    server.add_middleware(BlankFiltersLeftOut)
    return server


class BlankFiltersLeftOut:
    """A web page's filter left blank is no filter: ``?item=X&start=&end=`` reads as ``?item=X``.

    A browser sends every field of a GET form, an empty date field as ``start=``, which
    would not read as a date: a field left blank takes the page's default, as if not
    sent. The API is left as sent: there a blank value is the caller's mistake, to be
    named.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["query_string"]
            and not scope["path"].startswith(API_PREFIX)
        ):
            given = scope["query_string"].split(b"&")
            kept = [part for part in given if part.partition(b"=")[2]]
            if len(kept) < len(given):
                scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


def _answer(request: Request, error: DomainError, status: int | None) -> Response:
    """The API answers a refusal with problem+json; the web app with a page that says it."""
    if request.url.path.startswith(API_PREFIX):
        return problems.problem_response(request, error, status)
    locale = locale_of(request)
    found = form_errors(error, locale)
    message = (found.summary or found.placed or [translate(error.code, locale, **error.params)])[0]
    # A page asked for with a filter it cannot read: what is wrong with each, and the page
    # itself without them.
    details = [placed for placed in found.placed if placed != message]
    again = request.url.path if request.method == "GET" and request.url.query else None
    status_code = status or problems.STATUS[error.category]
    return page(request, "error.html", status_code, message=message, details=details, again=again)


# The worker holding the database's write turn gives up the GIL at every statement; with
# CPython's default 5 ms switch interval it can then wait that long to get it back while
# the event loop reads the next requests, and every other writer waits behind it. A short
# interval hands it back sooner (`jxc bench --http`: 309 against 275 postings/s, mean of 3).
SWITCH_INTERVAL_S = 0.0001


def serve_app() -> FastAPI:
    """The application for ``jxc serve``: settings from the environment (``JXC_*``)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return create_server(build(Settings()))
