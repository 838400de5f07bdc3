"""What routes take from a request: the app, the acting user, the language, the request key.

Routes declare these as ``Annotated`` types and stay free of logic of their own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.config import preferred_locale
from jxc.domain.auth import Principal
from jxc.domain.errors import Unauthenticated
from jxc.services import auth

MAX_PAGE = 500
MAX_OFFSET = 10**9
MAX_BODY_BYTES = 8 * 1024 * 1024  # 10,000 lines of a document fit well within it


# Dependencies are ``async`` and hand only their blocking call to the thread pool: FastAPI
# runs each plain ``def`` dependency in the pool on its own, and each hop costs about as
# much as a small posting. Routes that write do the same for their service call.


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
    description="A session token from POST /api/v1/sessions (or `jxc login`).",
)


async def get_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthenticated("auth.token_required", {})
    return credentials.credentials


TokenDep = Annotated[str, Depends(get_token)]


async def get_actor(app: AppDep, token: TokenDep) -> str:
    """Who the request acts as.

    Raises:
        Unauthenticated: auth.token_required, auth.session_ended.
    """
    return await run_in_threadpool(auth.session_user, app.uow(), token)


ActorDep = Annotated[str, Depends(get_actor)]


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
