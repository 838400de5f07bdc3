"""Documents as users look them up: a list with filters and one document with its lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, or_, select, tuple_
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.db.types import UtcDateTime
from jxc.domain.documents import DocumentKind, DocumentType
from jxc.domain.errors import Invalid, NotFound
from jxc.domain.quantities import cost_per_line_unit, normalized, round_unit_cost
from jxc.domain.workflow import DOCUMENT_TYPES
from jxc.queries.catalog import check_known


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
    state_since: datetime | None
    note: str | None
    partner: str | None = None
    partner_name: str | None = None
    created_at: datetime | None = None
    posted_at: datetime | None = None
    kind: str = ""  # what users call it (DocumentKind): 采购入库单 where a receipt has an order


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
    document: str = ""
    production_date: date | None = None
    expiry_date: date | None = None


def _pushed_down(document: Any) -> ColumnElement[bool]:
    link = aliased(s.DocumentSource)  # its own, should the query join the links too
    return exists().where(link.document_id == document.id)


def kind_of(document: Any = s.Document) -> ColumnElement[str]:
    """The document's ``DocumentKind``: its type, unless being made from an order tells more."""
    return case(
        *(
            (
                and_(document.document_type == kind.document_type.value, _pushed_down(document)),
                kind.value,
            )
            for kind in DocumentKind
            if kind.pushed_down
        ),
        else_=document.document_type,
    )


def of_kind(query: Any, kind: DocumentKind) -> Any:
    """Only documents of ``kind`` (by their stored type first, so its index serves)."""
    query = query.where(s.Document.document_type == kind.document_type.value)
    if kind.pushed_down is None:
        return query
    pushed = _pushed_down(s.Document)
    return query.where(pushed if kind.pushed_down else ~pushed)


@cache
def documents_query() -> Any:
    """Documents as lists show them, in no order yet.

    Built once: a statement is immutable (each filter makes a new one), and building its
    aliases costs more than running it (the home page asks once per state with a time limit).
    """
    to_warehouse, reverses, reversed_by = (
        aliased(s.Warehouse),
        aliased(s.Document),
        aliased(s.Document),
    )
    # Counted per document shown, by its lines' index: a grouped count of every line of
    # every document would be read in full for each list or each SLA state asked.
    line_count = (
        select(func.count())
        .where(s.DocumentLine.document_id == s.Document.id)
        .correlate(s.Document)
        .scalar_subquery()
    )
    return (
        select(
            s.Document.number,
            s.Document.document_type,
            s.Document.state,
            s.Document.business_date,
            s.Warehouse.code.label("warehouse"),
            to_warehouse.code.label("to_warehouse"),
            line_count.label("lines"),
            s.Document.created_by,
            s.Document.posted_by,
            reverses.number.label("reverses"),
            reversed_by.number.label("reversed_by"),
            s.Document.state_since,
            s.Document.note,
            s.Partner.code.label("partner"),
            s.Partner.name.label("partner_name"),
            s.Document.created_at,
            s.Document.posted_at,
            kind_of().label("kind"),
        )
        .join(s.Warehouse, s.Warehouse.id == s.Document.warehouse_id)
        .outerjoin(s.DocumentPartner, s.DocumentPartner.document_id == s.Document.id)
        .outerjoin(s.Partner, s.Partner.id == s.DocumentPartner.partner_id)
        .outerjoin(to_warehouse, to_warehouse.id == s.Document.to_warehouse_id)
        .outerjoin(reverses, reverses.id == s.Document.reverses_document_id)
        .outerjoin(reversed_by, reversed_by.id == s.Document.reversed_by_document_id)
    )


def visible_to(query: Any, visible: Collection[str] | None) -> Any:
    """Only documents from or to the ``visible`` warehouses (None: every one)."""
    if visible is None:
        return query
    destination = aliased(s.Warehouse)
    return query.where(
        s.Warehouse.code.in_(sorted(visible))
        | s.Document.to_warehouse_id.in_(
            select(destination.id).where(destination.code.in_(sorted(visible)))
        )
    )


def documents(
    connection: Connection,
    document_type: str | None = None,
    state: str | None = None,
    warehouse: str | None = None,
    limit: int = 50,
    offset: int = 0,
    visible: Collection[str] | None = None,
    partner: str | None = None,
    kind: DocumentKind | None = None,
) -> list[DocumentRow]:
    """The newest documents first; ``visible``: only those from or to these warehouses.

    ``document_type`` is the stored type (a workflow's documents); ``kind`` the user's word.

    Raises:
        Invalid: document.type_unknown (a filter that names no type lists nothing, silently).
        NotFound: warehouse.unknown.
    """
    if document_type and document_type not in DOCUMENT_TYPES:
        raise Invalid(
            "document.type_unknown", {"value": document_type, "types": list(DOCUMENT_TYPES)}
        )
    check_known(connection, warehouse or None)
    query = documents_query().order_by(s.Document.id.desc()).limit(limit).offset(offset)
    query = visible_to(query, visible)
    if document_type:
        query = query.where(s.Document.document_type == document_type)
    if kind:
        query = of_kind(query, kind)
    if state:
        query = query.where(s.Document.state == state)
    if warehouse:
        query = query.where(s.Warehouse.code == warehouse)
    if partner:
        query = query.where(s.Partner.code == partner)
    return [DocumentRow(**r._mapping) for r in connection.execute(query)]


def in_states(
    connection: Connection,
    states: Collection[tuple[str, str]],
    own_states: Collection[tuple[str, str]],
    creator: str,
    visible: Collection[str] | None,
    limit: int,
    offset: int = 0,
) -> list[DocumentRow]:
    """Documents in ``states`` (type, state pairs), the longest there first.

    Those in ``own_states`` too, if ``creator`` made them.
    """
    kind_and_state = tuple_(s.Document.document_type, s.Document.state)
    wanted = [
        condition
        for condition in (
            kind_and_state.in_(list(states)) if states else None,
            (kind_and_state.in_(list(own_states)) & (s.Document.created_by == creator))
            if own_states
            else None,
        )
        if condition is not None
    ]
    if not wanted:
        return []
    query = (
        visible_to(documents_query(), visible)
        .where(or_(*wanted))
        .order_by(s.Document.state_since, s.Document.id)
        .limit(limit)
        .offset(offset)
    )
    return [DocumentRow(**r._mapping) for r in connection.execute(query)]


def document(connection: Connection, number: str) -> tuple[DocumentRow, list[LineRow]]:
    header = connection.execute(documents_query().where(s.Document.number == number)).first()
    if header is None:
        raise NotFound("document.unknown", {"number": number})
    lines = connection.execute(lines_query().where(s.Document.number == number))
    return DocumentRow(**header._mapping), [line_row(row) for row in lines]


def booked_unit_costs(connection: Connection, number: str) -> dict[int, Decimal]:
    """Each posted line's unit cost as the ledger booked it, per the line's own unit.

    What an issue, a delivery or a purchase return took out at (the moving average then),
    where nothing was entered: their lines carry no cost of their own.
    """
    entry, line = s.StockLedgerEntry, s.DocumentLine
    rows = connection.execute(
        select(
            line.line_no,
            line.quantity,
            line.base_quantity,
            func.sum(entry.value),
            func.sum(entry.quantity),
        )
        .join(entry, entry.document_line_id == line.id)
        .join(s.Document, s.Document.id == line.document_id)
        .where(s.Document.number == number, entry.quantity != 0)
        .group_by(line.line_no, line.quantity, line.base_quantity)
    )
    return {
        int(line_no): cost
        for line_no, quantity, base_quantity, value, moved in rows
        if (
            cost := cost_per_line_unit(
                None, round_unit_cost(value / moved), quantity, base_quantity
            )
        )
        is not None
    }


def batches_taken(connection: Connection, number: str) -> dict[int, str]:
    """The batches the ledger moved for each posted line that named none (FEFO chose them).

    Line number → batch numbers, earliest expiry first.
    """
    entry, line = s.StockLedgerEntry, s.DocumentLine
    rows = connection.execute(
        select(line.line_no, s.Batch.batch_no)
        .join(entry, entry.document_line_id == line.id)
        .join(s.Batch, s.Batch.id == entry.batch_id)
        .join(s.Document, s.Document.id == line.document_id)
        .where(s.Document.number == number, line.batch_no.is_(None), entry.quantity != 0)
        .group_by(line.line_no, s.Batch.batch_no, s.Batch.expiry_date)
        .order_by(line.line_no, s.Batch.expiry_date, s.Batch.batch_no)
    )
    taken: dict[int, list[str]] = defaultdict(list)
    for line_no, batch_no in rows:
        taken[int(line_no)].append(batch_no)
    return {line_no: ", ".join(batches) for line_no, batches in taken.items()}


def returned_per_line(connection: Connection, number: str) -> dict[int, tuple[Decimal, str]]:
    """A receipt's lines once returned to: what posted purchase returns sent back of each.

    In the item's base unit, with that unit's code; empty for a receipt never returned to
    (its lines get their progress then) and for other documents.
    """
    base_unit = aliased(s.Unit)
    rows = connection.execute(
        select(s.DocumentLine.line_no, s.OrderLine.delivered, base_unit.code)
        .join(s.OrderLine, s.OrderLine.document_line_id == s.DocumentLine.id)
        .join(s.Document, s.Document.id == s.DocumentLine.document_id)
        .join(s.Item, s.Item.id == s.DocumentLine.item_id)
        .join(base_unit, base_unit.id == s.Item.base_unit_id)
        .where(s.Document.number == number, s.Document.document_type == DocumentType.RECEIPT.value)
    )
    return {int(line_no): (normalized(returned), unit) for line_no, returned, unit in rows}


def lines_query() -> Any:
    """Document lines as people read them, in their document's order."""
    source, target = aliased(s.Location), aliased(s.Location)
    return (
        select(
            s.Document.number.label("document"),
            s.DocumentLine.line_no,
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            s.DocumentLine.quantity,
            s.Unit.code.label("unit"),
            s.DocumentLine.base_quantity,
            source.code.label("location"),
            target.code.label("to_location"),
            s.DocumentLine.batch_no.label("batch"),
            s.DocumentLine.production_date,
            s.DocumentLine.expiry_date,
            s.DocumentLine.serials,
            s.DocumentLine.unit_cost,
            s.DocumentLine.line_unit_cost,
        )
        .join(s.Document, s.Document.id == s.DocumentLine.document_id)
        .join(s.Item, s.Item.id == s.DocumentLine.item_id)
        .join(s.Unit, s.Unit.id == s.DocumentLine.unit_id)
        .outerjoin(source, source.id == s.DocumentLine.location_id)
        .outerjoin(target, target.id == s.DocumentLine.to_location_id)
        .order_by(s.DocumentLine.document_id, s.DocumentLine.line_no)
    )


def line_row(row: Any) -> LineRow:
    """A line as it was entered: its unit cost per its own unit (stored per base unit)."""
    fields = dict(row._mapping)
    cost = cost_per_line_unit(
        fields.pop("line_unit_cost"), row.unit_cost, row.quantity, row.base_quantity
    )
    return LineRow(**{**fields, "serials": list(row.serials or []), "unit_cost": cost})


def state_counts(
    connection: Connection, document_type: str, visible: Collection[str] | None = None
) -> dict[str, int]:
    """How many documents of a type are in each state now (from or to ``visible``)."""
    query = (
        select(s.Document.state, func.count())
        .join(s.Warehouse, s.Warehouse.id == s.Document.warehouse_id)
        .where(s.Document.document_type == document_type)
        .group_by(s.Document.state)
    )
    rows = connection.execute(visible_to(query, visible))
    return {state: int(count) for state, count in rows}


def waiting(
    connection: Connection, document_type: str, state: str, entered_before: datetime
) -> list[DocumentRow]:
    """Documents of a type that entered ``state`` before a moment and are still there."""
    query = (
        documents_query()
        .where(
            s.Document.document_type == document_type,
            s.Document.state == state,
            s.Document.state_since < entered_before,
        )
        .order_by(s.Document.state_since)
    )
    return [DocumentRow(**r._mapping) for r in connection.execute(query)]


def stays(
    connection: Connection, document_type: str, since: datetime, until: datetime
) -> list[tuple[str, datetime, datetime]]:
    """Every finished stay of a type's documents in a state, from the audit trail.

    (state, entered, left) for each stay that began in [since, until).
    """
    event = s.AuditEvent
    steps = (
        select(
            event.to_state,
            event.occurred_at.label("entered"),
            func.lead(event.occurred_at, type_=UtcDateTime())
            .over(partition_by=event.subject, order_by=event.sequence)
            .label("left"),
        )
        .join(s.Document, s.Document.number == event.subject)
        .where(
            event.subject_type == "document",
            event.to_state.is_not(None),
            s.Document.document_type == document_type,
        )
        .subquery()
    )
    rows = connection.execute(
        select(steps.c.to_state, steps.c.entered, steps.c.left).where(
            steps.c.left.is_not(None), steps.c.entered >= since, steps.c.entered < until
        )
    )
    return [(state, entered, left) for state, entered, left in rows]
