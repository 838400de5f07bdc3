"""Installed workflow definitions (cached with the master data) and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jxc.db import schema as s
from jxc.db.repositories.catalog import CatalogRepository

_definition = cast(Table, s.WorkflowDefinition.__table__)
_outbox = cast(Table, s.OutboxEvent.__table__)


@dataclass(frozen=True)
class StoredWorkflow:
    document_type: str
    name: str
    source: str
    digest: str
    installed_by: str
    installed_at: datetime


class WorkflowRepository:
    def __init__(self, connection: Connection, catalog: CatalogRepository) -> None:
        self.connection = connection
        self._catalog = catalog

    def get(self, document_type: str) -> StoredWorkflow | None:
        known = self._catalog.view().workflows
        if document_type not in known:
            row = self.connection.execute(
                select(_definition).where(_definition.c.document_type == document_type)
            ).first()
            known[document_type] = StoredWorkflow(**row._mapping) if row else None
        stored: StoredWorkflow | None = known[document_type]
        return stored

    def installed(self) -> list[StoredWorkflow]:
        rows = self.connection.execute(select(_definition).order_by(_definition.c.document_type))
        return [StoredWorkflow(**row._mapping) for row in rows]

    def put(self, workflow: StoredWorkflow) -> None:
        """Install ``workflow`` for its document type, replacing the one before."""
        self._catalog.changed()
        self.connection.execute(
            delete(_definition).where(_definition.c.document_type == workflow.document_type)
        )
        self.connection.execute(insert(_definition).values(**workflow.__dict__))


_ADD_EVENT = {
    dialect: builder(_outbox).on_conflict_do_nothing(index_elements=["key"]).returning(_outbox.c.id)
    for dialect, builder in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


class OutboxRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, events: Sequence[dict[str, Any]]) -> int:
        """Write events (topic, key, payload, created_at); a key already there is skipped.

        Returns how many were new.
        """
        if not events:
            return 0
        statement = _ADD_EVENT[self.connection.dialect.name]
        # Rows returned, not rowcount: PostgreSQL reports -1 for this statement.
        return sum(len(self.connection.execute(statement, event).all()) for event in events)
