"""Documents as users look them up: a list with filters and one document with its lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.errors import NotFound


@dataclass(frozen=True)
class DocumentRow:
    number: str
    document_type: str
    state: str
    business_date: date
    warehouse: str
    to_warehouse: str | None
    lines: int
    created_by: str
    posted_by: str | None
    reverses: str | None
    reversed_by: str | None


@dataclass(frozen=True)
class LineRow:
    line_no: int
    item: str
    item_name: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    location: str | None
    to_location: str | None
    batch: str | None
    serials: list[str]
    unit_cost: Decimal | None


def _documents_query() -> Any:
    to_warehouse, reverses, reversed_by = (
        aliased(s.Warehouse),
        aliased(s.Document),
        aliased(s.Document),
    )
    counts = (
        select(s.DocumentLine.document_id, func.count().label("lines"))
        .group_by(s.DocumentLine.document_id)
        .subquery()
    )
    return (
        select(
            s.Document.number,
            s.Document.document_type,
            s.Document.state,
            s.Document.business_date,
            s.Warehouse.code.label("warehouse"),
            to_warehouse.code.label("to_warehouse"),
            func.coalesce(counts.c.lines, 0).label("lines"),
            s.Document.created_by,
            s.Document.posted_by,
            reverses.number.label("reverses"),
            reversed_by.number.label("reversed_by"),
        )
        .join(s.Warehouse, s.Warehouse.id == s.Document.warehouse_id)
        .outerjoin(to_warehouse, to_warehouse.id == s.Document.to_warehouse_id)
        .outerjoin(counts, counts.c.document_id == s.Document.id)
        .outerjoin(reverses, reverses.id == s.Document.reverses_document_id)
        .outerjoin(reversed_by, reversed_by.id == s.Document.reversed_by_document_id)
    )


def documents(
    connection: Connection,
    document_type: str | None = None,
    state: str | None = None,
    warehouse: str | None = None,
    limit: int = 50,
) -> list[DocumentRow]:
    query = _documents_query().order_by(s.Document.id.desc()).limit(limit)
    if document_type:
        query = query.where(s.Document.document_type == document_type)
    if state:
        query = query.where(s.Document.state == state)
    if warehouse:
        query = query.where(s.Warehouse.code == warehouse)
    return [DocumentRow(**r._mapping) for r in connection.execute(query)]


def document(connection: Connection, number: str) -> tuple[DocumentRow, list[LineRow]]:
    header = connection.execute(_documents_query().where(s.Document.number == number)).first()
    if header is None:
        raise NotFound("document.unknown", {"number": number})
    source, target = aliased(s.Location), aliased(s.Location)
    lines = connection.execute(
        select(
            s.DocumentLine.line_no,
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            s.DocumentLine.quantity,
            s.Unit.code.label("unit"),
            s.DocumentLine.base_quantity,
            source.code.label("location"),
            target.code.label("to_location"),
            s.DocumentLine.batch_no.label("batch"),
            s.DocumentLine.serials,
            s.DocumentLine.unit_cost,
        )
        .join(s.Document, s.Document.id == s.DocumentLine.document_id)
        .join(s.Item, s.Item.id == s.DocumentLine.item_id)
        .join(s.Unit, s.Unit.id == s.DocumentLine.unit_id)
        .outerjoin(source, source.id == s.DocumentLine.location_id)
        .outerjoin(target, target.id == s.DocumentLine.to_location_id)
        .where(s.Document.number == number)
        .order_by(s.DocumentLine.line_no)
    )
    return DocumentRow(**header._mapping), [
        LineRow(**{**r._mapping, "serials": list(r.serials or [])}) for r in lines
    ]
