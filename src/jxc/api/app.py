"""The ASGI application: the REST API under /api/v1, health and readiness at the root.

``create_app`` wires one ``App`` (settings, engine) into FastAPI with its routers,
middleware and error handlers; ``serve_app`` is the factory ``jxc serve`` hands to uvicorn.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

import jxc
from jxc.api import problems
from jxc.api.routes import audit, catalog, documents, health, sessions, sop, stock
from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.domain.errors import Invalid

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 8 * 1024 * 1024  # 10,000 lines of a document fit well within it
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
    api.middleware("http")(_request_log)
    api.include_router(health.router)
    for router in (
        sessions.router,
        documents.router,
        stock.router,
        catalog.router,
        audit.router,
        sop.router,
    ):
        api.include_router(router, prefix=API_PREFIX)
    return api


async def _request_log(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Give the request an id, refuse oversized bodies, log one line when it is answered."""
    began = time.perf_counter()
    request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
    request.state.request_id = request_id
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        too_large = Invalid("request.too_large", {"limit": MAX_BODY_BYTES, "size": int(length)})
        response: Response = problems.problem_response(request, too_large, 413)
    else:
        response = await call_next(request)
    response.headers["X-Request-ID"] = request_id
    access_log.info(
        json.dumps(
            {
                "request_id": request_id,
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - began) * 1000, 1),
            }
        )
    )
    return response


def serve_app() -> FastAPI:
    """The application for ``jxc serve``: settings from the environment (``JXC_*``)."""
    return create_app(build(Settings()))
