"""The audit trail's storage: events appended under the chain's head lock, never changed.

Invariant 7: appending locks the one ``audit_chain`` row (``FOR UPDATE`` on PostgreSQL;
SQLite's writer is exclusive), seals the events after the head and moves the head, all in
the caller's transaction, so concurrent writers extend one unbroken chain in commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update

from jxc.db import schema as s
from jxc.db.bulk import Bulk
from jxc.domain.audit import AuditEntry, AuditEvent, seal

_event = cast(Table, s.AuditEvent.__table__)
_chain = cast(Table, s.AuditChain.__table__)
_HEAD = 1
# Built once: every write transaction runs these, so statement construction would show.
_read_head = (
    select(_chain.c.last_sequence, _chain.c.last_hash).where(_chain.c.id == _HEAD).with_for_update()
)
_move_head = (
    update(_chain)
    .where(_chain.c.id == _HEAD)
    .values(last_sequence=bindparam("new_sequence"), last_hash=bindparam("new_hash"))
)
_insert_events = Bulk(insert(_event), [c.name for c in _event.columns])


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def append(self, entries: Sequence[AuditEntry], occurred_at: datetime) -> list[AuditEvent]:
        if not entries:
            return []
        sequence, previous = self.connection.execute(_read_head).one()
        events = seal(entries, (sequence, previous), occurred_at)
        _insert_events.run(self.connection, [vars(event) for event in events])
        self.connection.execute(
            _move_head, {"new_sequence": events[-1].sequence, "new_hash": events[-1].hash}
        )
        return events

    def last_sequence_of(self, subject_type: str, subject: str) -> int | None:
        """The sequence number of a subject's newest event: which version of it one saw."""
        newest: int | None = self.connection.scalar(
            select(func.max(_event.c.sequence)).where(
                _event.c.subject_type == subject_type, _event.c.subject == subject
            )
        )
        return newest

    def left_state(self, subject_type: str, subject: str, action: str) -> str | None:
        """The state a subject was in when ``action`` was last taken on it (None: never)."""
        state: str | None = self.connection.scalar(
            select(_event.c.from_state)
            .where(
                _event.c.subject_type == subject_type,
                _event.c.subject == subject,
                _event.c.action == action,
            )
            .order_by(_event.c.sequence.desc())
            .limit(1)
        )
        return state

    def steps_of(self, subject_type: str, subject: str) -> list[tuple[str, str, str | None]]:
        """A subject's recorded actions in order: (action, actor, state it went to)."""
        rows = self.connection.execute(
            select(_event.c.action, _event.c.actor, _event.c.to_state)
            .where(_event.c.subject_type == subject_type, _event.c.subject == subject)
            .order_by(_event.c.sequence)
        )
        return [(row.action, row.actor, row.to_state) for row in rows]
