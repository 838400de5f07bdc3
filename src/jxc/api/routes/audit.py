"""The audit trail (审计日志) for those allowed to read it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, UploadFile

from jxc import exports
from jxc.api.deps import (
    EXPORT_RESPONSES,
    ActorDep,
    AppDep,
    Export,
    Limit,
    LocaleDep,
    Period,
    exported,
    period,
)
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import EventOut, ExportCheckOut
from jxc.domain.audit_export import ExportScope
from jxc.domain.auth import Action
from jxc.exports import XLSX_MAX_ROWS, ExportFormat
from jxc.queries import SEQUENCE_MAX, audit
from jxc.services import audit_exports, auth

router = APIRouter(route_class=ExactJsonRoute, tags=["audit"])
AuditDays = Annotated[Period, Depends(period("first_day", "last_day"))]  # as once spelt


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
    days: AuditDays,
    document: Annotated[str | None, Query(max_length=40)] = None,
    user: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 200,
    before: Annotated[
        int | None,
        Query(
            ge=1,
            le=SEQUENCE_MAX,
            description="Only events older than this sequence number: the page before.",
        ),
    ] = None,
    export_format: Export = None,
) -> Any:
    auth.allow(app.uow(), actor, Action.AUDIT_READ)
    with app.reader() as connection:
        events = audit.log(
            connection,
            document=document,
            actor=user,
            first_day=days.first,
            last_day=days.last,
            action=action,
            zone=app.zone,
            limit=XLSX_MAX_ROWS if export_format else limit,
            before=before,
        )
    if export_format is not None:
        return exported(locale, exports.AUDIT, events, export_format, "audit")
    return [EventOut.of(event) for event in events]


Code = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/audit-export",
    operation_id="audit-export",
    summary="审计导出: the whole history of an item, batch, serial or date range, as one file",
    description=(
        "XLSX, or a ZIP of CSV files (`format=csv`), with a manifest of each section's"
        " SHA-256; the export's digest (also in the `X-Export-Digest` header) is recorded"
        " on the audit trail. Audit events are taken by their day in the company's time"
        " zone (JXC_TIMEZONE)."
    ),
    responses={
        200: {
            "content": {
                ExportFormat.XLSX.media_type: {"schema": {"type": "string", "format": "binary"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def export_history(
    app: AppDep,
    actor: ActorDep,
    locale: LocaleDep,
    days: AuditDays,
    item: Code = None,
    batch: Code = None,
    serial: Code = None,
    export_format: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.XLSX,
) -> Response:
    scope = ExportScope(item, batch, serial, days.first, days.last)
    file, manifest = audit_exports.export_history(app.uow(), actor, scope, export_format, locale)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={**file.headers, "X-Export-Digest": manifest.digest},
    )


@router.post(
    "/audit-export/verify",
    operation_id="audit-export-verify",
    summary="Check an audit export: every section matches its digest, and the digest is on record",
    description="Reads and changes nothing: `ok` is false when a section was changed or the"
    " digest is not on this database's audit trail.",
)
def verify_export(app: AppDep, actor: ActorDep, file: UploadFile) -> ExportCheckOut:
    content = file.file.read()
    return ExportCheckOut.of(audit_exports.verify_export(app.uow(), actor, content))
