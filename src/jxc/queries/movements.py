"""Ledger entries as users read them: 商品流水账 of an item, and trace (来源可查、去向可追)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.errors import Invalid, NotFound
from jxc.domain.locations import OWNED_KINDS, LocationKind
from jxc.queries.documents import kind_of

_entry = s.StockLedgerEntry
_source, _target = aliased(s.Location), aliased(s.Location)
_source_wh, _target_wh = aliased(s.Warehouse), aliased(s.Warehouse)


@dataclass(frozen=True)
class Movement:
    sequence: int
    business_date: date
    recorded_at: datetime
    document: str
    document_type: str
    item: str
    batch: str | None
    serial: str | None
    from_location: str
    to_location: str
    quantity: Decimal
    value: Decimal
    user: str
    unit_cost: Decimal
    from_warehouse: str | None = None  # None: a location outside every warehouse
    to_warehouse: str | None = None
    # signed change of stock in the warehouse a ledger is read for; 0 when not read for one
    change: Decimal = Decimal(0)
    balance: Decimal = Decimal(0)
    partner: str | None = None  # the supplier, customer or channel of its document


def _place(warehouse: str | None, location: str) -> str:
    return f"{warehouse}/{location}" if warehouse else location


def movements_query() -> Any:
    return (
        select(
            _entry.id,
            _entry.business_date,
            _entry.recorded_at,
            s.Document.number,
            kind_of().label("document_type"),  # the name users know it by: 采购入库单 …
            s.Item.code.label("item"),
            s.Batch.batch_no,
            s.SerialNumber.serial_no,
            _source.code.label("from_code"),
            _source_wh.code.label("from_wh"),
            _target.code.label("to_code"),
            _target_wh.code.label("to_wh"),
            _entry.quantity,
            _entry.unit_cost,
            _entry.value,
            _entry.created_by,
            _source.kind.label("from_kind"),
            _target.kind.label("to_kind"),
            _source.warehouse_id.label("from_wh_id"),
            _target.warehouse_id.label("to_wh_id"),
            s.Partner.name.label("partner_name"),
        )
        .join(s.Document, s.Document.id == _entry.document_id)
        .outerjoin(s.DocumentPartner, s.DocumentPartner.document_id == s.Document.id)
        .outerjoin(s.Partner, s.Partner.id == s.DocumentPartner.partner_id)
        .join(s.Item, s.Item.id == _entry.item_id)
        .outerjoin(s.Batch, s.Batch.id == _entry.batch_id)
        .outerjoin(s.SerialNumber, s.SerialNumber.id == _entry.serial_id)
        .join(_source, _source.id == _entry.from_location_id)
        .outerjoin(_source_wh, _source_wh.id == _source.warehouse_id)
        .join(_target, _target.id == _entry.to_location_id)
        .outerjoin(_target_wh, _target_wh.id == _target.warehouse_id)
        .order_by(_entry.id)
    )


def as_movement(row: Any) -> Movement:
    return Movement(
        sequence=row.id,
        business_date=row.business_date,
        recorded_at=row.recorded_at,
        document=row.number,
        document_type=row.document_type,
        item=row.item,
        batch=row.batch_no,
        serial=row.serial_no,
        from_location=_place(row.from_wh, row.from_code),
        to_location=_place(row.to_wh, row.to_code),
        quantity=row.quantity,
        value=row.value,
        user=row.created_by,
        unit_cost=row.unit_cost,
        from_warehouse=row.from_wh,
        to_warehouse=row.to_wh,
        partner=row.partner_name,
    )


def _signed(row: Any, warehouse_id: int | None) -> Decimal:
    inside_from = row.from_kind == LocationKind.INTERNAL.value and (
        warehouse_id is None or row.from_wh_id == warehouse_id
    )
    inside_to = row.to_kind == LocationKind.INTERNAL.value and (
        warehouse_id is None or row.to_wh_id == warehouse_id
    )
    return Decimal(row.quantity) * (int(inside_to) - int(inside_from))


def item_ledger(
    connection: Connection,
    item: str,
    warehouse: str | None = None,
    start: date | None = None,
    end: date | None = None,
    visible: Collection[str] | None = None,
) -> tuple[Decimal, list[Movement]]:
    """商品流水账: the opening quantity at ``start`` and every movement after, with balance.

    ``visible``: the reader's warehouses (None: every one); naming another answers as if it
    did not exist.
    """
    if warehouse is not None and visible is not None and warehouse not in visible:
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    if start is not None and end is not None and start > end:
        raise Invalid("date.range_reversed", {"start": str(start), "end": str(end)})
    item_id = connection.execute(select(s.Item.id).where(s.Item.code == item)).scalar()
    if item_id is None:
        raise NotFound("item.unknown", {"item": item})
    warehouse_id = None
    if warehouse is not None:
        warehouse_id = connection.execute(
            select(s.Warehouse.id).where(s.Warehouse.code == warehouse)
        ).scalar()
        if warehouse_id is None:
            raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    # By business date: a back-dated document counts where it belongs, not where it was typed.
    query = (
        movements_query()
        .where(_entry.item_id == item_id)
        .order_by(None)
        .order_by(_entry.business_date, _entry.id)
    )
    if end is not None:
        query = query.where(_entry.business_date <= end)
    opening, balance, lines = Decimal(0), Decimal(0), []
    for row in connection.execute(query):
        change = _signed(row, warehouse_id)
        if change == 0 and warehouse_id is not None:
            continue  # a move elsewhere, or inside the warehouse: not this warehouse's flow
        balance += change
        if start is not None and row.business_date < start:
            opening = balance
            continue
        lines.append(replace(as_movement(row), change=change, balance=balance))
    return opening, lines


@dataclass(frozen=True)
class Trace:
    subject: str
    backward: list[Movement]
    movements: list[Movement]
    forward: list[Movement]

    @property
    def in_order(self) -> list[Movement]:
        """Every movement shown, oldest first: where it came from, itself, where it went."""
        return [*self.backward, *self.movements, *self.forward]

    def within(self, visible: Collection[str] | None) -> Trace:
        """Only the movements into or out of the ``visible`` warehouses (None: every one)."""
        if visible is None:
            return self

        shown = set(visible)

        def seen(rows: list[Movement]) -> list[Movement]:
            return [row for row in rows if {row.from_warehouse, row.to_warehouse} & shown]

        return Trace(self.subject, seen(self.backward), seen(self.movements), seen(self.forward))


def trace_batch(connection: Connection, item: str, batch: str) -> Trace:
    """Every movement of one batch, from the receipt that brought it in to the customer."""
    batch_id = connection.execute(
        select(s.Batch.id)
        .join(s.Item, s.Item.id == s.Batch.item_id)
        .where(s.Item.code == item, s.Batch.batch_no == batch)
    ).scalar()
    if batch_id is None:
        raise NotFound("batch.unknown", {"item": item, "batch": batch})
    rows = connection.execute(movements_query().where(_entry.batch_id == batch_id))
    return Trace(f"{item} / {batch}", [], [as_movement(r) for r in rows], [])


def trace_serial(connection: Connection, serial: str, item: str | None = None) -> Trace:
    """Every movement of one serial number (of ``item`` when serials repeat across items)."""
    query = select(s.SerialNumber.id).where(s.SerialNumber.serial_no == serial)
    if item is not None:
        query = query.join(s.Item, s.Item.id == s.SerialNumber.item_id).where(s.Item.code == item)
    ids = list(connection.execute(query).scalars())
    if not ids:
        raise NotFound("serial.unknown", {"serial": serial})
    rows = connection.execute(movements_query().where(_entry.serial_id.in_(ids)))
    return Trace(serial, [], [as_movement(r) for r in rows], [])


def trace_document(
    connection: Connection, number: str, visible: Collection[str] | None = None
) -> Trace:
    """A document's movements, where their batches and serials came from and went after.

    Its 红冲 (or the document it undoes) is traced whatever the items' tracking. A document
    of no warehouse in ``visible`` (None: all) is not found: an empty trace would tell that
    it exists.
    """
    found = connection.execute(
        select(s.Document.id, _source_wh.code, _target_wh.code)
        .join(_source_wh, _source_wh.id == s.Document.warehouse_id)
        .outerjoin(_target_wh, _target_wh.id == s.Document.to_warehouse_id)
        .where(s.Document.number == number)
    ).first()
    if found is None or (visible is not None and not ({found[1], found[2]} & set(visible))):
        raise NotFound("document.unknown", {"number": number})
    document_id = found[0]
    own = list(connection.execute(movements_query().where(_entry.document_id == document_id)))
    if not own:
        return Trace(number, [], [], [])
    first, last = own[0].id, own[-1].id
    keys = list(
        connection.execute(
            select(_entry.batch_id, _entry.serial_id)
            .where(_entry.document_id == document_id)
            .distinct()
        )
    )
    batches = {k.batch_id for k in keys if k.batch_id}
    serials = {k.serial_id for k in keys if k.serial_id}
    # Its 红冲, and what it reverses, whatever the items' tracking: every unit it moved
    # is traced to the document that undid it.
    reversal = connection.execute(
        select(s.Document.reverses_document_id).where(s.Document.id == document_id)
    ).scalar()
    undoing = (_entry.document_id == reversal) | _entry.document_id.in_(
        select(s.Document.id).where(s.Document.reverses_document_id == document_id)
    )
    related: Sequence[Any] = list(
        connection.execute(
            movements_query()
            .add_columns(undoing.label("undoing"))
            .where(
                (_entry.batch_id.in_(batches) | _entry.serial_id.in_(serials) | undoing)
                & (_entry.document_id != document_id)
            )
        )
    )
    return Trace(
        number,
        [as_movement(r) for r in _chain(own, [r for r in related if r.id < first], back=True)],
        [as_movement(r) for r in own],
        [as_movement(r) for r in _chain(own, [r for r in related if r.id > last], back=False)],
    )


def _chain(own: Sequence[Any], others: Sequence[Any], back: bool) -> list[Any]:
    """Of ``others`` (oldest first), those the document's own units came by or went on to.

    Backward, the movements that brought its batches and serials to where it took them
    from, and before that to where those came from; forward, from where it put them on.
    Another customer's shipment of the same batch is neither. Its 红冲 (or what it undoes)
    always is.
    """

    def place(row: Any, to: bool) -> tuple[Any, ...] | None:
        """Where a row put (took) its unit; None outside the company's own places.

        Every customer's goods go to the one CUSTOMER location: the way does not go on
        from there to another customer's (nor from SUPPLIER to another supplier's).
        """
        if (row.to_kind if to else row.from_kind) not in OWNED_KINDS:
            return None
        where = (row.to_wh, row.to_code) if to else (row.from_wh, row.from_code)
        return (row.batch_no, row.serial_no, *where)

    reached = {place(row, to=not back) for row in own} - {None}
    chained = []
    for row in reversed(others) if back else others:
        if row.undoing or place(row, to=back) in reached:
            chained.append(row)
            reached.add(place(row, to=not back))
    return chained[::-1] if back else chained
