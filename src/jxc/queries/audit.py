"""The audit trail as people read it: verify the chain (`jxc audit verify`) and the log."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, select

from jxc.db import schema as s
from jxc.domain.audit import AuditEvent, ChainReport, verify
from jxc.domain.errors import Invalid
from jxc.i18n.messages import ACTIONS

_event = cast(Table, s.AuditEvent.__table__)
_chain = cast(Table, s.AuditChain.__table__)
_COLUMNS = [_event.c[name] for name in AuditEvent.__dataclass_fields__]
_BATCH = 5_000


def _events(rows: Any) -> Iterator[AuditEvent]:
    for row in rows:
        yield AuditEvent(*row)


def chain_report(connection: Connection) -> ChainReport:
    """Recompute every event's hash and link, oldest first, up to the head read first.

    Events appended while this runs lie beyond that head and are left for the next run.
    """
    head = connection.execute(select(_chain.c.last_sequence, _chain.c.last_hash)).one()

    def in_order() -> Iterator[AuditEvent]:
        after = 0
        while True:
            batch = connection.execute(
                select(*_COLUMNS)
                .where(_event.c.sequence > after, _event.c.sequence <= head.last_sequence)
                .order_by(_event.c.sequence)
                .limit(_BATCH)
            ).all()
            yield from _events(batch)
            if len(batch) < _BATCH:
                return
            after = batch[-1].sequence

    return verify(in_order(), (head.last_sequence, head.last_hash))


def events_of(connection: Connection, where: ColumnElement[bool]) -> list[AuditEvent]:
    """Every event ``where`` holds for, oldest first."""
    return list(
        _events(connection.execute(select(*_COLUMNS).where(where).order_by(_event.c.sequence)))
    )


def log(
    connection: Connection,
    document: str | None = None,
    actor: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    action: str | None = None,
    zone: tzinfo = UTC,
    limit: int = 200,
    before: int | None = None,
) -> list[AuditEvent]:
    """The newest ``limit`` events matching every filter given, oldest of them first.

    ``before``: only events older than this sequence number (the page before one shown).

    ``first_day`` and ``last_day`` are whole days in ``zone`` (the reader's time zone).

    Raises:
        Invalid: date.range_reversed; audit.action_unknown (a filter that could match nothing).
    """
    if first_day is not None and last_day is not None and first_day > last_day:
        raise Invalid("date.range_reversed", {"start": first_day, "end": last_day})
    since = datetime.combine(first_day, time.min, zone) if first_day else None
    until = datetime.combine(last_day + timedelta(days=1), time.min, zone) if last_day else None
    query = select(*_COLUMNS)
    if document is not None:  # a stocktake (盘点单 PD…) is one too, to whoever reads the log
        query = query.where(
            _event.c.subject_type.in_(("document", "stocktake")), _event.c.subject == document
        )
    if actor is not None:
        query = query.where(_event.c.actor == actor)
    if since is not None:
        query = query.where(_event.c.occurred_at >= since)
    if until is not None:
        query = query.where(_event.c.occurred_at < until)
    if action is not None:
        query = query.where(_event.c.action == action)
    if before is not None:
        query = query.where(_event.c.sequence < before)
    newest = connection.execute(query.order_by(_event.c.sequence.desc()).limit(limit)).all()
    if action is not None and not newest:
        _check_recorded(connection, action)
    return list(_events(reversed(newest)))


def _check_recorded(connection: Connection, action: str) -> None:
    """Raises Invalid audit.action_unknown for an action no event has: a typo, not a quiet day.

    Names the known actions close to it, or all. A workflow's own steps (document.inspect)
    are known once taken.
    """
    if (
        action in ACTIONS
        or connection.execute(
            select(_event.c.sequence).where(_event.c.action == action).limit(1)
        ).first()
    ):
        return
    close = difflib.get_close_matches(action, ACTIONS, n=5, cutoff=0.6)
    raise Invalid(
        "audit.action_unknown", {"action": action, "actions": ", ".join(close or sorted(ACTIONS))}
    )
