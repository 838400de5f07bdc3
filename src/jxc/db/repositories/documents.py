"""Documents and their lines; numbers from a per-type, per-day sequence.

State changes are guarded (``WHERE state = :expected``) so two clerks posting the same
document at once cannot both succeed: the second finds the state already moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from jxc.db import schema as s
from jxc.domain.documents import DocumentHeader, DocumentState, DocumentType
from jxc.domain.errors import Conflict

_header_columns = (
    s.Document.id,
    s.Document.number,
    s.Document.document_type,
    s.Document.state,
    s.Document.business_date,
    s.Document.warehouse_id,
    s.Document.to_warehouse_id,
    s.Document.reverses_document_id,
)


def _header(row: Row[Any]) -> DocumentHeader:
    return DocumentHeader(
        id=row.id,
        number=row.number,
        document_type=DocumentType(row.document_type),
        state=DocumentState(row.state),
        business_date=row.business_date,
        warehouse_id=row.warehouse_id,
        to_warehouse_id=row.to_warehouse_id,
        reverses_document_id=row.reverses_document_id,
    )


class DocumentRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def next_sequence(self, prefix: str, day: date) -> int:
        table = s.DocumentSequence
        value = self.connection.execute(
            update(table)
            .where(table.prefix == prefix, table.day == day)
            .values(last_value=table.last_value + 1)
            .returning(table.last_value)
        ).scalar_one_or_none()
        if value is not None:
            return int(value)
        self.connection.execute(insert(table).values(prefix=prefix, day=day, last_value=1))
        return 1

    def add(self, values: dict[str, Any]) -> int:
        return int(
            self.connection.execute(
                insert(s.Document).values(**values).returning(s.Document.id)
            ).scalar_one()
        )

    def add_lines(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        result = self.connection.execute(
            insert(s.DocumentLine).returning(s.DocumentLine.id, sort_by_parameter_order=True),
            list(rows),
        )
        return [row.id for row in result]

    def header(self, number: str, for_update: bool = False) -> DocumentHeader | None:
        query = select(*_header_columns).where(s.Document.number == number)
        if for_update:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return _header(row) if row else None

    def header_by_id(self, document_id: int) -> DocumentHeader:
        return _header(
            self.connection.execute(
                select(*_header_columns).where(s.Document.id == document_id)
            ).one()
        )

    def lines(self, document_id: int) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(s.DocumentLine)
                .where(s.DocumentLine.document_id == document_id)
                .order_by(s.DocumentLine.line_no)
            )
        )

    def counterpart_location_id(self, document_id: int) -> int | None:
        return self.connection.execute(
            select(s.Document.counterpart_location_id).where(s.Document.id == document_id)
        ).scalar_one()

    def move_state(
        self,
        header: DocumentHeader,
        new_state: DocumentState,
        values: dict[str, Any],
    ) -> None:
        result = self.connection.execute(
            update(s.Document)
            .where(s.Document.id == header.id, s.Document.state == header.state.value)
            .values(state=new_state.value, **values)
        )
        if result.rowcount != 1:
            raise Conflict("document.changed_concurrently", {"number": header.number})

    def mark_reversed(self, header: DocumentHeader, reversal_id: int) -> None:
        self.move_state(header, DocumentState.REVERSED, {"reversed_by_document_id": reversal_id})
