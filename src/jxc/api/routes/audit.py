"""The audit trail (审计日志) for those allowed to read it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from jxc.api.deps import ActorDep, AppDep, Limit
from jxc.api.schemas import EventOut
from jxc.domain.auth import Action
from jxc.queries import audit
from jxc.services import auth

router = APIRouter(tags=["audit"])


@router.get("/audit-events", operation_id="audit-list", summary="Audit events, oldest first")
def list_events(
    app: AppDep,
    actor: ActorDep,
    document: Annotated[str | None, Query(max_length=40)] = None,
    user: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    first_day: date | None = None,
    last_day: date | None = None,
    limit: Limit = 200,
) -> list[EventOut]:
    auth.allow(app.uow(), actor, Action.AUDIT_READ)
    with app.reader() as connection:
        events = audit.log(
            connection,
            document=document,
            actor=user,
            first_day=first_day,
            last_day=last_day,
            action=action,
            limit=limit,
        )
    return [EventOut.of(event) for event in events]
