"""Documents and their lines; numbers from a per-type, per-day sequence.

State changes are guarded (``WHERE state = :expected``) so two clerks posting the same
document at once cannot both succeed: the second finds the state already moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update

from jxc.db import schema as s
from jxc.db.bulk import Bulk
from jxc.domain.documents import DocumentHeader, DocumentType
from jxc.domain.errors import Conflict
from jxc.domain.quantities import cost_per_line_unit

_header_columns = (
    s.Document.id,
    s.Document.number,
    s.Document.document_type,
    s.Document.state,
    s.Document.business_date,
    s.Document.warehouse_id,
    s.Document.to_warehouse_id,
    s.Document.reverses_document_id,
    s.Document.counterpart_location_id,
    s.Document.shipped_at,
    s.Document.posted_at,
    s.Document.reversed_by_document_id,
    s.Document.created_by,
    s.Document.note,
    s.DocumentPartner.partner_id,
    s.DocumentSource.source_document_id,
)
_headers = (
    select(*_header_columns)
    .outerjoin(s.DocumentPartner, s.DocumentPartner.document_id == s.Document.id)
    .outerjoin(s.DocumentSource, s.DocumentSource.document_id == s.Document.id)
)
_sequence = s.DocumentSequence
_next_sequence = (
    update(_sequence)
    .where(_sequence.prefix == bindparam("k_prefix"), _sequence.day == bindparam("k_day"))
    .values(last_value=_sequence.last_value + 1)
    .returning(_sequence.last_value)
)
_insert_sequence = insert(_sequence)
_insert_document = insert(s.Document).returning(s.Document.id)
_line_table = cast(Table, s.DocumentLine.__table__)
_insert_lines = Bulk(
    insert(_line_table), [c.name for c in _line_table.columns if not c.primary_key]
)
_line_ids = (
    select(s.DocumentLine.id)
    .where(s.DocumentLine.document_id == bindparam("document_id"))
    .order_by(s.DocumentLine.line_no)
)
_move_state = update(s.Document).where(
    s.Document.id == bindparam("k_id"), s.Document.state == bindparam("k_state")
)


def _header(row: Any) -> DocumentHeader:
    return DocumentHeader(
        id=row.id,
        number=row.number,
        document_type=DocumentType(row.document_type),
        state=row.state,
        business_date=row.business_date,
        warehouse_id=row.warehouse_id,
        to_warehouse_id=row.to_warehouse_id,
        reverses_document_id=row.reverses_document_id,
        counterpart_location_id=row.counterpart_location_id,
        shipped=row.shipped_at is not None,
        posted=row.posted_at is not None,
        reversed=row.reversed_by_document_id is not None,
        created_by=row.created_by,
        note=row.note,
        partner_id=row.partner_id,
        source_id=row.source_document_id,
    )


class LineRecord(NamedTuple):
    """A stored document line, as posting reads it (a tuple: a posting reads hundreds)."""

    id: int
    line_no: int
    item_id: int
    quantity: Decimal
    unit_id: int
    base_quantity: Decimal
    location_id: int | None
    to_location_id: int | None
    batch_no: str | None
    production_date: date | None
    expiry_date: date | None
    serials: list[str] | None
    unit_cost: Decimal | None  # per base unit
    reverses_line_id: int | None = None
    line_unit_cost: Decimal | None = None  # as entered, per the line's unit

    @property
    def cost_per_line_unit(self) -> Decimal | None:
        """The unit cost per the line's unit: as entered, else from the per-base one."""
        return cost_per_line_unit(
            self.line_unit_cost, self.unit_cost, self.quantity, self.base_quantity
        )


_lines_of = (
    select(*(_line_table.c[name] for name in LineRecord._fields))
    .where(_line_table.c.document_id == bindparam("document_id"))
    .order_by(_line_table.c.line_no)
)


class DocumentRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def next_sequence(self, prefix: str, day: date) -> int:
        value = self.connection.execute(
            _next_sequence, {"k_prefix": prefix, "k_day": day}
        ).scalar_one_or_none()
        if value is not None:
            return int(value)
        self.connection.execute(_insert_sequence, {"prefix": prefix, "day": day, "last_value": 1})
        return 1

    def add(self, values: dict[str, Any]) -> int:
        return int(self.connection.execute(_insert_document, values).scalar_one())

    def add_lines(self, document_id: int, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert a document's lines (in line order); return their ids in the same order."""
        # A plain executemany and one SELECT beat INSERT … RETURNING row by row.
        _insert_lines.run(self.connection, [{**row, "document_id": document_id} for row in rows])
        return list(self.connection.execute(_line_ids, {"document_id": document_id}).scalars())

    def replace_lines(self, document_id: int, rows: Sequence[dict[str, Any]]) -> list[int]:
        """A draft's lines, all new (an edit); their ids in line order."""
        self.connection.execute(
            delete(s.DocumentLine).where(s.DocumentLine.document_id == document_id)
        )
        return self.add_lines(document_id, rows)

    def set_partner(self, document_id: int, partner_id: int | None) -> None:
        self.connection.execute(
            delete(s.DocumentPartner).where(s.DocumentPartner.document_id == document_id)
        )
        if partner_id is not None:
            self.connection.execute(
                insert(s.DocumentPartner).values(document_id=document_id, partner_id=partner_id)
            )

    def header(self, number: str, for_update: bool = False) -> DocumentHeader | None:
        query = _headers.where(s.Document.number == number)
        if for_update:
            query = query.with_for_update(of=s.Document)
        row = self.connection.execute(query).first()
        return _header(row) if row else None

    def header_by_id(self, document_id: int, for_update: bool = False) -> DocumentHeader:
        query = _headers.where(s.Document.id == document_id)
        if for_update:
            query = query.with_for_update(of=s.Document)
        return _header(self.connection.execute(query).one())

    def lines(self, document_id: int) -> list[LineRecord]:
        rows = self.connection.execute(_lines_of, {"document_id": document_id})
        return [LineRecord._make(row) for row in rows]

    def move_state(self, header: DocumentHeader, new_state: str, values: dict[str, Any]) -> None:
        """Move ``header`` on from the state it was read in; Conflict if someone else did."""
        result = self.connection.execute(
            _move_state,
            {"k_id": header.id, "k_state": header.state, "state": new_state, **values},
        )
        if result.rowcount != 1:
            raise Conflict("document.changed_concurrently", {"number": header.number})

    def line_count(self, document_id: int) -> int:
        return int(
            self.connection.execute(
                select(func.count()).where(s.DocumentLine.document_id == document_id)
            ).scalar_one()
        )

    def states_in_use(self) -> set[str]:
        """Every state some document is in."""
        return set(self.connection.execute(select(s.Document.state).distinct()).scalars())

    def any_exist(self) -> bool:
        return self.connection.execute(select(s.Document.id).limit(1)).first() is not None

    def made_from(self, document_id: int) -> list[tuple[str, str, str]]:
        """Documents pointing at this one (its reversals): (number, type, state)."""
        rows = self.connection.execute(
            select(s.Document.number, s.Document.document_type, s.Document.state)
            .where(s.Document.reverses_document_id == document_id)
            .order_by(s.Document.id)
        )
        return [(row.number, row.document_type, row.state) for row in rows]
