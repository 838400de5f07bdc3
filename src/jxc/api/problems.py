"""Every error as application/problem+json (RFC 9457), in the request's language.

The only mapping from errors to HTTP: a ``DomainError``'s category decides the status,
its code the ``type`` and the message; each item becomes an entry of ``errors`` with the
JSON pointer of the field or line it is about. Routes never catch errors themselves. An
unexpected exception is a 500 carrying the request id, never the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from jxc.api.deps import MAX_BODY_BYTES, request_locale
from jxc.domain.errors import Category, DomainError, ErrorItem, Invalid, NotFound, Unavailable
from jxc.i18n.messages import translate
from jxc.services.base import invalid_input

PROBLEM_JSON = "application/problem+json"
STATUS = {
    Category.NOT_FOUND: 404,
    Category.INVALID: 422,
    Category.CONFLICT: 409,
    Category.FORBIDDEN: 403,
    Category.UNAUTHENTICATED: 401,
    Category.CONFIRMATION_REQUIRED: 409,
    Category.UNAVAILABLE: 503,
}
_HTTP_CODES = {
    404: "request.route_unknown",
    405: "request.method_not_allowed",
    413: "request.too_large",
}
log = logging.getLogger("jxc.api")


def _json_safe(params: dict[str, Any]) -> dict[str, Any]:
    return {key: _json_value(value) for key, value in params.items()}


def _json_value(value: Any) -> Any:
    """A parameter as JSON holds it: a tuple or a set is a list, anything else its text."""
    if isinstance(value, str | int | bool | None):
        return value
    if isinstance(value, set | frozenset):
        return [_json_value(inner) for inner in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [_json_value(inner) for inner in value]
    return str(value)


def problem_body(
    error: DomainError, locale: str, instance: str, status: int | None = None
) -> dict[str, Any]:
    message = translate(error.code, locale, **dict(error.params))
    items = error.items or (
        (ErrorItem(error.params["pointer"], error.code, error.params),)
        if "pointer" in error.params
        else ()
    )
    return {
        "type": f"/problems/{error.code}",
        "title": message,
        "status": status or STATUS[error.category],
        "detail": message,
        "instance": instance,
        "code": error.code,
        "params": _json_safe(error.params),
        "errors": [
            {
                "pointer": item.pointer,
                "code": item.code,
                "detail": translate(item.code, locale, **dict(item.params)),
                "params": _json_safe(dict(item.params)),
            }
            for item in items
        ],
    }


def problem_response(request: Request, error: DomainError, status: int | None = None) -> Response:
    body = problem_body(error, request_locale(request), request.url.path, status)
    body["request_id"] = getattr(request.state, "request_id", "")
    headers = {"X-Request-ID": body["request_id"]}
    if error.category is Category.UNAUTHENTICATED:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def _pointer_path(kind: str, location: tuple[Any, ...]) -> tuple[Any, ...]:
    """Where a problem is, from the root of the body (malformed JSON: the body itself)."""
    if kind == "json_invalid":
        return ()
    return location[1:] if location[:1] == ("body",) else location


Answer = Callable[[Request, DomainError, int | None], Response]
_READING = frozenset({"GET", "HEAD"})


def _as_read(request: Request, error: DomainError) -> DomainError:
    """A read's bad input is not told that nothing was written: it wrote nothing anyway."""
    if request.method in _READING and error.code == "input.invalid":
        return Invalid("input.invalid_read", error.params, error.items)
    return error


def install(api: FastAPI, answer: Answer = problem_response) -> None:
    """The exception handlers: each turns what went wrong into a ``DomainError``.

    ``answer`` words it: a problem+json by default; the web app answers with a page.
    """

    @api.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        return answer(request, _as_read(request, error), None)

    @api.exception_handler(RequestValidationError)
    async def malformed(request: Request, error: RequestValidationError) -> Response:
        # Pointers into the body start at its root, as the services' own checks do.
        problems = [
            {**problem, "loc": _pointer_path(problem["type"], tuple(problem["loc"]))}
            for problem in error.errors()
        ]
        return answer(request, _as_read(request, invalid_input(problems)), None)

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        code = _HTTP_CODES.get(error.status_code, "request.refused")
        params = {"path": request.url.path, "method": request.method, "limit": MAX_BODY_BYTES}
        return answer(request, NotFound(code, params), error.status_code)

    @api.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        request_id = getattr(request.state, "request_id", "")
        log.exception(
            "unexpected error in %s %s [%s]", request.method, request.url.path, request_id
        )
        failure = Unavailable("request.unexpected", {"request_id": request_id})
        return answer(request, failure, 500)
