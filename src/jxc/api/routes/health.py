"""Liveness and readiness, for a load balancer or an orchestrator."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from jxc.api.deps import AppDep
from jxc.api.exact import ExactJsonRoute
from jxc.bootstrap import current_revision, head_revision
from jxc.domain.errors import DomainError

router = APIRouter(route_class=ExactJsonRoute, tags=["health"])


@router.get("/health", operation_id="health", summary="The process answers")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    operation_id="ready",
    summary="The database answers and its schema is current (503 otherwise)",
    responses={503: {"description": "Not ready: the database is unreachable or not upgraded"}},
)
def ready(app: AppDep) -> JSONResponse:
    expected = head_revision()
    try:
        found = current_revision(app)
    except DomainError as error:
        return JSONResponse({"status": "unavailable", "reason": error.code}, status_code=503)
    if found != expected:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "schema.outdated",
                "revision": found,
                "expected": expected,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "revision": found})
