"""The audit trail's storage: events appended under the chain's head lock, never changed.

Invariant 7: appending locks the one ``audit_chain`` row (``FOR UPDATE`` on PostgreSQL;
SQLite's writer is exclusive), seals the events after the head and moves the head, all in
the caller's transaction, so concurrent writers extend one unbroken chain in commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, select, update

from jxc.db import schema as s
from jxc.domain.audit import AuditEntry, AuditEvent, seal

_event = cast(Table, s.AuditEvent.__table__)
_chain = cast(Table, s.AuditChain.__table__)
_HEAD = 1


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def append(self, entries: Sequence[AuditEntry], occurred_at: datetime) -> list[AuditEvent]:
        if not entries:
            return []
        head = self.connection.execute(
            select(_chain.c.last_sequence, _chain.c.last_hash)
            .where(_chain.c.id == _HEAD)
            .with_for_update()
        ).one()
        events = seal(entries, (head.last_sequence, head.last_hash), occurred_at)
        self.connection.execute(
            insert(_event), [{c.name: getattr(e, c.name) for c in _event.columns} for e in events]
        )
        self.connection.execute(
            update(_chain)
            .where(_chain.c.id == _HEAD)
            .values(last_sequence=events[-1].sequence, last_hash=events[-1].hash)
        )
        return events
