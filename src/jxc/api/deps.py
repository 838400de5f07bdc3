"""What routes take from a request: the app, the acting user, the language, the request key.

Routes declare these as ``Annotated`` types and stay free of logic of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Header, Query, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.config import SESSION_COOKIE, preferred_locale
from jxc.domain.auth import Principal, check_csrf
from jxc.domain.errors import Invalid, Unauthenticated
from jxc.exports import Column, ExportFormat, export
from jxc.services import auth

MAX_PAGE = 500
MAX_OFFSET = 10**9
MAX_BODY_BYTES = 8 * 1024 * 1024  # 10,000 lines of a document fit well within it


# Dependencies are ``async`` and hand only their blocking call to the thread pool: FastAPI
# runs each plain ``def`` dependency in the pool on its own, and each hop costs about as
# much as a small posting. Routes that write do the same for their service call, or run
# it on the event loop when it is small (see ``Acting``).

# A body this small is a document of a few dozen lines: its write takes milliseconds.
INLINE_WRITE_MAX_BYTES = 8 * 1024


async def known_query_only(request: Request) -> None:
    """Refuse a query parameter the route does not read.

    A misspelt filter (``from`` where the route reads ``start``) would otherwise answer as
    if no filter were given: a silently wrong answer.

    Raises:
        Invalid: request.parameter_unknown, naming the ones the route reads.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise Invalid(
            "request.parameter_unknown",
            {
                "pointer": f"/query/{unknown[0]}",
                "name": unknown[0],
                "known": ", ".join(sorted(known)) or "—",
            },
        )


_QUERY_NAMES: dict[str, frozenset[str]] = {}  # by route: what its parameters are never changes


def _query_names(route: APIRoute) -> frozenset[str]:
    known = _QUERY_NAMES.get(route.unique_id)
    if known is None:
        known = _QUERY_NAMES[route.unique_id] = _read_query_names(route)
    return known


def _read_query_names(route: APIRoute) -> frozenset[str]:
    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:  # the route's own parameters and its dependencies'
        dependant = dependants.pop()
        names.update(param.alias for param in dependant.query_params)
        dependants.extend(dependant.dependencies)
    return frozenset(names)


@dataclass(frozen=True)
class Period:
    """Business days from ``first`` to ``last``, both included; None: open on that side."""

    first: date | None
    last: date | None


def period(old_first: str, old_last: str) -> Callable[..., Any]:
    """The ``from`` and ``to`` of a route that once spelt them ``old_first``/``old_last``.

    Every route that reads a span of days spells it ``from``/``to``; the old spellings
    are still read (deprecated), and refused only when they disagree with the new.

    Raises:
        Invalid: request.parameter_twice.
    """

    async def read(
        first: Annotated[
            date | None, Query(alias="from", description="First business date, included.")
        ] = None,
        last: Annotated[
            date | None, Query(alias="to", description="Last business date, included.")
        ] = None,
        # Defaults, not annotations: this module's annotations are read as text, where
        # the old names of the closure are not to be found.
        first_as_was: date | None = Query(  # noqa: B008 - FastAPI's way of declaring it
            None, alias=old_first, deprecated=True, description="Use `from`."
        ),
        last_as_was: date | None = Query(  # noqa: B008
            None, alias=old_last, deprecated=True, description="Use `to`."
        ),
    ) -> Period:
        for new, old, name, old_name in (
            (first, first_as_was, "from", old_first),
            (last, last_as_was, "to", old_last),
        ):
            if new is not None and old is not None and new != old:
                raise Invalid(
                    "request.parameter_twice",
                    {"pointer": f"/query/{old_name}", "name": name, "old_name": old_name},
                )
        return Period(first or first_as_was, last or last_as_was)

    return read


async def get_app(request: Request) -> App:
    app: App = request.app.state.jxc
    return app


AppDep = Annotated[App, Depends(get_app)]


def request_locale(request: Request) -> str:
    """The first language of ``Accept-Language`` JXC speaks; Chinese when none is."""
    return preferred_locale(request.headers.get("accept-language", "").split(","))


async def get_locale(request: Request) -> str:
    return request_locale(request)


LocaleDep = Annotated[str, Depends(get_locale)]

_bearer = HTTPBearer(
    auto_error=False,
    description=(
        "An API token (`jxc user token issue`) or a session token from POST /api/v1/sessions"
        " (or `jxc login`). A browser signed in to the web app may use its session cookie"
        " instead, sending the page's CSRF token in `X-CSRF-Token` with every write."
    ),
)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    """An API token or session token (Bearer), else the browser's session cookie.

    A browser's write must also send the session's CSRF token (``X-CSRF-Token``), as the
    web pages do: a page of another site can make the browser send the cookie, not that.

    Raises:
        Unauthenticated: auth.token_required.
        Forbidden: auth.csrf_invalid.
    """
    if credentials is not None:
        return credentials.credentials
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise Unauthenticated("auth.token_required", {})
    if request.method not in _SAFE_METHODS:
        check_csrf(session, request.headers.get("x-csrf-token", ""))
    return session


TokenDep = Annotated[str, Depends(get_token)]


async def get_actor(app: AppDep, token: TokenDep) -> str:
    """Who the request acts as.

    Raises:
        Unauthenticated: auth.token_required, auth.session_ended.
    """
    return await run_in_threadpool(auth.session_user, app.uow(), token)


ActorDep = Annotated[str, Depends(get_actor)]

T = TypeVar("T")


class Acting:
    """A write's work, done as the request's user in one trip to the thread pool, or none.

    Each trip hands a request between the event loop and a worker thread, which costs about
    as much as a 1-line posting's SQL: the sign-in check and the write share one. On SQLite
    a write whose work grows with its body (``bounded_by_body``) and whose body is small
    runs on the event loop itself when nothing would make it wait (``App.write_at_once``):
    SQLite takes one writer at a time anyway, and a writer in a worker thread passes the
    GIL back and forth with the event loop at every statement (``jxc bench --http``: about
    a third less server CPU per posting). Every other write goes to the pool.
    """

    def __init__(self, app: App, token: str, request: Request) -> None:
        self._app, self._token, self._request = app, token, request

    async def __call__(self, work: Callable[[str], T], *, bounded_by_body: bool = False) -> T:
        def run() -> T:
            return work(auth.session_user(self._app.uow(), self._token))

        # The body as read, not its Content-Length: a request may carry both a length
        # and chunked framing. Routes that opt in have read their body already.
        if bounded_by_body and len(await self._request.body()) <= INLINE_WRITE_MAX_BYTES:
            done, result = self._app.write_at_once(run)
            if done:
                return cast(T, result)
        return await run_in_threadpool(run)


async def get_acting(app: AppDep, token: TokenDep, request: Request) -> Acting:
    return Acting(app, token, request)


ActingDep = Annotated[Acting, Depends(get_acting)]


async def get_reader(app: AppDep, actor: ActorDep) -> Principal:
    return await run_in_threadpool(auth.reader, app.uow(), actor)


ReaderDep = Annotated[Principal, Depends(get_reader)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Makes a retried write harmless: the same key returns the first result.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]

Export = Annotated[
    ExportFormat | None,
    Query(
        alias="format",
        description=(
            "Download every matching row as a file (xlsx or csv) instead of a page of JSON;"
            " the column names are in the request's language (Accept-Language)."
        ),
    ),
]
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            ExportFormat.XLSX.media_type: {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


def exported(
    locale: str,
    columns: tuple[Column, ...],
    rows: list[Any],
    export_format: ExportFormat,
    name: str,
) -> Response:
    file = export(columns, rows, export_format, locale, name)
    return Response(file.content, media_type=file.media_type, headers=file.headers)
