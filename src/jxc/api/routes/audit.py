"""The audit trail (审计日志) for those allowed to read it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from jxc import exports
from jxc.api.deps import EXPORT_RESPONSES, ActorDep, AppDep, Export, Limit, LocaleDep, exported
from jxc.api.schemas import EventOut
from jxc.domain.auth import Action
from jxc.exports import XLSX_MAX_ROWS
from jxc.queries import audit
from jxc.services import auth

router = APIRouter(tags=["audit"])


@router.get(
    "/audit-events",
    operation_id="audit-list",
    summary="Audit events, oldest first",
    response_model=list[EventOut],
    responses=EXPORT_RESPONSES,
)
def list_events(
    app: AppDep,
    actor: ActorDep,
    locale: LocaleDep,
    document: Annotated[str | None, Query(max_length=40)] = None,
    user: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    first_day: date | None = None,
    last_day: date | None = None,
    limit: Limit = 200,
    export_format: Export = None,
) -> Any:
    auth.allow(app.uow(), actor, Action.AUDIT_READ)
    with app.reader() as connection:
        events = audit.log(
            connection,
            document=document,
            actor=user,
            first_day=first_day,
            last_day=last_day,
            action=action,
            limit=XLSX_MAX_ROWS if export_format else limit,
        )
    if export_format is not None:
        return exported(locale, exports.AUDIT, events, export_format, "audit")
    return [EventOut.of(event) for event in events]
