"""The ASGI application: the REST API under /api/v1, health and readiness at the root.

``create_app`` wires one ``App`` (settings, engine) into FastAPI with its routers,
middleware and error handlers; ``jxc.asgi`` adds the web app beside it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import jxc
from jxc.api import problems
from jxc.api.deps import MAX_BODY_BYTES, known_query_only
from jxc.api.routes import (
    audit,
    catalog,
    deliveries,
    documents,
    health,
    kpi,
    movements,
    order_lists,
    partners,
    replenishment,
    reports,
    sessions,
    sop,
    stock,
    stocktakes,
)
from jxc.bootstrap import App
from jxc.domain.errors import Invalid

API_PREFIX = "/api/v1"
access_log = logging.getLogger("jxc.api.access")


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="JXC 进销存 API",
        version=jxc.__version__,
        description=(
            "Purchase, sales and inventory where the books always match the shelves (账实相符). "
            "Sign in with POST /api/v1/sessions and send the token as `Authorization: Bearer`. "
            "Every write takes an `Idempotency-Key`; errors are application/problem+json in "
            "the language of `Accept-Language` (zh-CN by default, en)."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    api.state.jxc = app
    problems.install(api)
    api.add_middleware(RequestLog)
    api.include_router(health.router)
    for router in (
        sessions.router,
        documents.router,
        order_lists.router,
        stock.router,
        catalog.router,
        movements.router,
        audit.router,
        sop.router,
        partners.router,
        deliveries.router,
        stocktakes.router,
        reports.router,
        kpi.router,
        replenishment.router,
    ):
        api.include_router(router, prefix=API_PREFIX, dependencies=[Depends(known_query_only)])
    return api


class RequestLog:
    """Give each request an id, refuse oversized bodies, log one line when it is answered.

    Plain ASGI rather than ``@app.middleware``: that wraps every request in task groups and
    streams, which cost more than a 1-line posting.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # unless a response starts: an exception the error handler answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                given = message.setdefault("headers", [])
                if not any(name.lower() == b"x-request-id" for name, _ in given):
                    given.append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        length = headers.get(b"content-length", b"")
        try:
            refused = None
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                too_large = Invalid("request.too_large", {"limit": MAX_BODY_BYTES})
                refused = problems.problem_response(Request(scope), too_large, 413)
            elif _has_nul(scope):
                nul = Invalid("text.nul_character", {})
                refused = problems.problem_response(Request(scope), nul)
            if refused is not None:
                await refused(scope, receive, send_with_id)
            else:
                await self.app(scope, _limited(receive), send_with_id)
        finally:
            access_log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - began) * 1000, 1),
                    }
                )
            )


def _has_nul(scope: Scope) -> bool:
    """A NUL character in the path or the query: no name or code holds one."""
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"%00" in query.lower()


def _limited(receive: Receive) -> Receive:
    """Count the body as it is read: one sent in chunks, without a length, stops there too."""
    read = 0

    async def counted() -> Message:
        nonlocal read
        message = await receive()
        if message["type"] == "http.request":
            read += len(message.get("body", b""))
            if read > MAX_BODY_BYTES:
                raise HTTPException(status_code=413)
        return message

    return counted
