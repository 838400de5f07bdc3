"""What an audit export (审计导出) holds: the ledger, documents, lines and audit events of a scope.

Read up to the ledger entry and audit event that were last when reading began, so the four
sections describe one moment even while others post, and the manifest can say which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    and_,
    false,
    func,
    or_,
    select,
    union,
)
from sqlalchemy import cast as sql_cast

from jxc.db import schema as s
from jxc.domain.audit import AuditEvent
from jxc.domain.audit_export import ExportScope
from jxc.domain.errors import Invalid, NotFound
from jxc.queries.audit import events_of
from jxc.queries.documents import DocumentRow, LineRow, documents_query, line_row, lines_query
from jxc.queries.movements import Movement, as_movement, movements_query

_entry = s.StockLedgerEntry
_line = s.DocumentLine
_event = cast(Table, s.AuditEvent.__table__)


@dataclass(frozen=True)
class History:
    ledger_through: int
    audit_through: int
    ledger: list[Movement]
    documents: list[DocumentRow]
    lines: list[LineRow]
    events: list[AuditEvent]


def marks(connection: Connection) -> tuple[int, int]:
    """The last ledger entry and the last audit event now: how far an export reads."""
    ledger = connection.execute(select(func.coalesce(func.max(_entry.id), 0))).scalar_one()
    events = connection.execute(select(s.AuditChain.last_sequence)).scalar_one()
    return int(ledger), int(events)


def history(connection: Connection, scope: ExportScope, zone: tzinfo, limit: int) -> History:
    """Everything recorded about ``scope``; audit events by their day in ``zone``.

    Raises:
        NotFound: item.unknown, batch.unknown, serial.unknown.
        Invalid: audit_export.too_many_rows (a section with more than ``limit`` rows).
    """
    ledger_through, audit_through = marks(connection)
    moved = _entry.id <= ledger_through
    lines_of_subject: ColumnElement[bool] = and_(True)
    item_id = None
    if scope.item is not None:
        item_id = connection.execute(select(s.Item.id).where(s.Item.code == scope.item)).scalar()
        if item_id is None:
            raise NotFound("item.unknown", {"item": scope.item})
        moved &= _entry.item_id == item_id
        lines_of_subject &= _line.item_id == item_id
    if scope.batch is not None:
        batch_id = connection.execute(
            select(s.Batch.id).where(s.Batch.item_id == item_id, s.Batch.batch_no == scope.batch)
        ).scalar()
        if batch_id is None:
            raise NotFound("batch.unknown", {"item": scope.item, "batch": scope.batch})
        moved &= _entry.batch_id == batch_id
        lines_of_subject &= _line.batch_no == scope.batch
    if scope.serial is not None:
        serial_ids = select(s.SerialNumber.id).where(s.SerialNumber.serial_no == scope.serial)
        if item_id is not None:
            serial_ids = serial_ids.where(s.SerialNumber.item_id == item_id)
        if connection.execute(serial_ids.limit(1)).first() is None:
            raise NotFound("serial.unknown", {"serial": scope.serial})
        moved &= _entry.serial_id.in_(serial_ids)
        # A serial in a draft has no ledger entry yet: found in its line's list of serials.
        listed = _like_escaped(json.dumps(scope.serial))
        lines_of_subject &= sql_cast(_line.serials, String).like(f"%{listed}%", escape="\\")
    in_days: ColumnElement[bool] = and_(True)
    if scope.first_day is not None:
        moved &= _entry.business_date >= scope.first_day
        in_days &= s.Document.business_date >= scope.first_day
    if scope.last_day is not None:
        moved &= _entry.business_date <= scope.last_day
        in_days &= s.Document.business_date <= scope.last_day

    if scope.batch is not None or scope.serial is not None:
        # A line may leave its batch (FEFO) or serials to posting: its ledger entries name them.
        moved_lines = select(_entry.document_line_id).where(moved)
        lines_of_subject = or_(lines_of_subject, _line.id.in_(moved_lines))
    subject = scope.item is not None or scope.serial is not None
    if subject:
        concerned = union(
            select(_entry.document_id).where(moved),
            select(_line.document_id).where(lines_of_subject),
        )
        documents = select(s.Document.id).where(s.Document.id.in_(concerned), in_days)
    else:
        documents = select(s.Document.id).where(in_days)
    events_about = _event.c.sequence <= audit_through
    about_documents = and_(
        _event.c.subject_type == "document",
        _event.c.subject.in_(select(s.Document.number).where(s.Document.id.in_(documents))),
    )
    if subject:
        about_item = (
            and_(_event.c.subject_type == "item", _event.c.subject == scope.item)
            if scope.item is not None and scope.batch is None
            else false()
        )
        events_about &= or_(about_documents, about_item)
    if scope.first_day is not None:
        events_about &= _event.c.occurred_at >= datetime.combine(scope.first_day, time.min, zone)
    if scope.last_day is not None:
        following = scope.last_day + timedelta(days=1)
        events_about &= _event.c.occurred_at < datetime.combine(following, time.min, zone)

    line_filter = _line.document_id.in_(documents) & lines_of_subject
    for section, counted in (
        ("ledger", select(func.count()).select_from(_entry).where(moved)),
        ("documents", select(func.count()).select_from(documents.subquery())),
        ("document_lines", select(func.count()).select_from(_line).where(line_filter)),
        ("audit_events", select(func.count()).select_from(_event).where(events_about)),
    ):
        rows = connection.execute(counted).scalar_one()
        if rows > limit:
            raise Invalid(
                "audit_export.too_many_rows", {"section": section, "rows": rows, "limit": limit}
            )

    return History(
        ledger_through=ledger_through,
        audit_through=audit_through,
        ledger=[as_movement(row) for row in connection.execute(movements_query().where(moved))],
        documents=[
            DocumentRow(**row._mapping)
            for row in connection.execute(
                documents_query().where(s.Document.id.in_(documents)).order_by(s.Document.id)
            )
        ],
        lines=[line_row(row) for row in connection.execute(lines_query().where(line_filter))],
        events=events_of(connection, events_about),
    )


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def recorded(connection: Connection, digest: str) -> AuditEvent | None:
    """The audit event that recorded an export with ``digest``, if there is one."""
    found = events_of(
        connection,
        and_(
            _event.c.action == "audit.export",
            _event.c.subject_type == "export",
            _event.c.subject == digest,
        ),
    )
    return found[0] if found else None
