"""Signing in and out: a session token for the ``Authorization: Bearer`` header."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from jxc.api.deps import AppDep, ReaderDep, TokenDep
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import GrantOut, MeOut, SessionIn, SessionOut
from jxc.services import auth

router = APIRouter(route_class=ExactJsonRoute, tags=["sessions"])


@router.post(
    "/sessions",
    operation_id="sessions-create",
    status_code=status.HTTP_201_CREATED,
    summary="Sign in (登录): a token valid for 7 days",
)
def sign_in(app: AppDep, credentials: SessionIn) -> SessionOut:
    session = auth.login(app.uow(), credentials.username, credentials.password)
    return SessionOut(token=session.token, username=session.username, expires_at=session.expires_at)


@router.delete(
    "/sessions/current",
    operation_id="sessions-delete",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out: the token stops working",
)
def sign_out(app: AppDep, token: TokenDep) -> Response:
    auth.logout(app.uow(), token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", operation_id="me-read", summary="Who the token acts as, and where")
def me(reader: ReaderDep) -> MeOut:
    visible = reader.visible_warehouses
    return MeOut(
        username=reader.username,
        grants=[GrantOut(role=g.role.value, warehouse=g.warehouse) for g in reader.grants],
        warehouses=sorted(visible) if visible is not None else None,
    )
