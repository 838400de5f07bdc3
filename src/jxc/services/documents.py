"""Stock documents: create (draft), post, receive a transfer, reverse (红冲).

Every write checks the whole request first and refuses it as a whole, naming every bad
field or line (invariant 8). Posting goes through ``posting.write_posting``, the only
code that changes stock (invariant 1); a posted document changes only by a reversal
document pointing at it (invariant 4); a request id makes each write happen once
(invariant 5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jxc.db.repositories.catalog import BatchRecord
from jxc.db.repositories.documents import LineRecord
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.auth import Action
from jxc.domain.documents import (
    BatchSpec,
    DocumentHeader,
    DocumentState,
    DocumentType,
    PostingStep,
    batch_dates,
    check_line_tracking,
    check_line_unit_cost,
    check_receivable,
    check_reversible,
    format_number,
    posting_step,
    state_after,
)
from jxc.domain.errors import (
    Conflict,
    ErrorCollector,
    ErrorItem,
    InsufficientStock,
    Invalid,
    NotFound,
)
from jxc.domain.items import Item, TrackingMode
from jxc.domain.ledger import Move, mirror
from jxc.domain.locations import VIRTUAL_LOCATIONS, Location, LocationKind
from jxc.domain.periods import booking_date, check_open
from jxc.domain.quantities import check_line_amount, normalized
from jxc.domain.stock import allocate
from jxc.services.auth import require
from jxc.services.base import parse, remember, replay, transactional
from jxc.services.posting import write_posting

MAX_LINES = 10_000
_DEFAULT_COUNTERPART = {DocumentType.RECEIPT: "SUPPLIER", DocumentType.ISSUE: "CUSTOMER"}


class LineIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    item: str = Field(min_length=1, max_length=64)
    quantity: Decimal
    unit: str | None = None
    location: str | None = None
    to_location: str | None = None
    batch: str | None = Field(default=None, max_length=64)
    production_date: date | None = None
    expiry_date: date | None = None
    serials: tuple[str, ...] = ()
    unit_cost: Decimal | None = None


class DocumentIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    document_type: DocumentType
    warehouse: str = Field(min_length=1)
    to_warehouse: str | None = None
    counterpart: str | None = None
    business_date: date | None = None
    note: str | None = Field(default=None, max_length=500)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


@dataclass(frozen=True)
class DocumentResult:
    number: str
    document_type: str
    state: str
    lines: int
    entries: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentResult:
        return cls(
            **{key: data[key] for key in ("number", "document_type", "state", "lines", "entries")}
        )


@transactional
def create(
    uow: UnitOfWork,
    actor: str,
    data: DocumentIn | dict[str, Any],
    request_id: str | None = None,
    post: bool = False,
) -> DocumentResult:
    """Create a draft document, and post it at once when ``post`` is set.

    Raises:
        Invalid: input.invalid (or one of its item codes) naming every bad field and line.
        NotFound: warehouse.unknown.
        InsufficientStock: stock.insufficient when posting, naming every short line.
        Conflict: request.idempotency_key_reused.
    """
    try:
        document = parse(DocumentIn, data)
    except Invalid as malformed:
        raise _with_unknown_codes(uow, data, malformed) from None
    for action in (
        (Action.DOCUMENT_CREATE, Action.DOCUMENT_POST) if post else (Action.DOCUMENT_CREATE,)
    ):
        require(uow, actor, action, document.document_type.value, [document.warehouse])
    payload = {"document": document.model_dump(mode="json"), "post": post} if request_id else None
    seen = replay(uow, request_id, "documents.create", payload)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    header, lines = _insert(uow, actor, document)
    uow.record(
        AuditEntry(
            actor,
            "document.create",
            "document",
            header.number,
            document.model_dump(mode="json", exclude_defaults=True),
            to_state=DocumentState.DRAFT.value,
        )
    )
    entries = 0
    if post:
        header, entries = _post(uow, header, actor, lines)
    result = DocumentResult(
        header.number, header.document_type.value, header.state.value, len(lines), entries
    )
    remember(uow, request_id, "documents.create", payload, result.to_dict())
    uow.commit()
    return result


def _with_unknown_codes(uow: UnitOfWork, data: Any, malformed: Invalid) -> Invalid:
    """``malformed`` plus the unknown warehouse and items the raw data names: all at once."""
    errors = ErrorCollector()
    errors.items = list(malformed.items)
    taken = {item.pointer for item in errors.items}
    raw = data if isinstance(data, dict) else {}
    warehouse = raw.get("warehouse")
    unknown_warehouse = isinstance(warehouse, str) and not uow.catalog.warehouses_by_code(
        [warehouse]
    )
    if unknown_warehouse and "/warehouse" not in taken:
        errors.add("/warehouse", "warehouse.unknown", warehouse=warehouse)
    lines = raw.get("lines")
    named = {
        index: line["item"]
        for index, line in enumerate(lines if isinstance(lines, list) else [], start=1)
        if isinstance(line, dict) and isinstance(line.get("item"), str)
    }
    _report_unknown_items(named, uow.catalog.items_by_code(set(named.values())), errors, taken)
    errors.items.sort(key=_line_order)
    return errors.error() or malformed


def _report_unknown_items(
    named: dict[int, str],
    known: Mapping[str, Item],
    errors: ErrorCollector,
    taken: Collection[str] = (),
) -> None:
    """item.unknown for each line (number → item code) naming no item, unless already reported."""
    for index, code in named.items():
        pointer = f"/lines/{index}/item"
        if code not in known and pointer not in taken:
            errors.add(pointer, "item.unknown", item=code)


def _line_order(item: ErrorItem) -> tuple[int, str]:
    """Header problems first, then line by line."""
    parts = item.pointer.split("/")
    line = int(parts[2]) if len(parts) > 2 and parts[1] == "lines" and parts[2].isdigit() else 0
    return line, item.pointer


@transactional
def post(uow: UnitOfWork, actor: str, number: str, request_id: str | None = None) -> DocumentResult:
    """Post a draft document to the ledger (a transfer: ship it into transit).

    Raises:
        NotFound: document.unknown.
        Conflict: document.already_posted, request.idempotency_key_reused.
        InsufficientStock: stock.insufficient naming every short line.
    """
    return _step(uow, actor, number, request_id, "documents.post", check=None)


@transactional
def receive(
    uow: UnitOfWork, actor: str, number: str, request_id: str | None = None
) -> DocumentResult:
    """Receive a shipped transfer from transit into its destination warehouse.

    Raises:
        NotFound: document.unknown.
        Conflict: document.not_in_transit, request.idempotency_key_reused.
    """
    return _step(uow, actor, number, request_id, "documents.receive", check=check_receivable)


def _step(
    uow: UnitOfWork,
    actor: str,
    number: str,
    request_id: str | None,
    operation: str,
    check: Any,
) -> DocumentResult:
    header = _header(uow, number)
    _require_step(uow, actor, header, receiving=operation == "documents.receive")
    seen = replay(uow, request_id, operation, number)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    if check is not None:
        check(header)
    lines = uow.documents.lines(header.id)
    header, entries = _post(uow, header, actor, lines)
    result = DocumentResult(
        header.number, header.document_type.value, header.state.value, len(lines), entries
    )
    remember(uow, request_id, operation, number, result.to_dict())
    uow.commit()
    return result


@transactional
def reverse(
    uow: UnitOfWork,
    actor: str,
    number: str,
    request_id: str | None = None,
    note: str | None = None,
) -> DocumentResult:
    """Reverse (红冲) a posted document with a new document that mirrors its entries.

    Raises:
        NotFound: document.unknown.
        Conflict: document.not_posted, document.already_reversed,
            document.reversal_not_reversible, request.idempotency_key_reused.
        InsufficientStock: the stock it brought in has already left (every line named).
    """
    original = _header(uow, number)
    require(
        uow,
        actor,
        Action.DOCUMENT_REVERSE,
        original.document_type.value,
        [
            uow.catalog.warehouse_code(warehouse_id)
            for warehouse_id in (original.warehouse_id, original.to_warehouse_id)
            if warehouse_id is not None
        ],
    )
    seen = replay(uow, request_id, "documents.reverse", number)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    check_reversible(original)
    now = uow.clock()
    today = now.date()
    # A reversal of a document in a closed month is booked today (红冲 in the open period).
    booked = booking_date(original.business_date, today, uow.periods.latest_closed())
    reversal_number = format_number(
        DocumentType.REVERSAL,
        today,
        uow.documents.next_sequence(DocumentType.REVERSAL.prefix, today),
    )
    reversal_id = uow.documents.add(
        {
            "number": reversal_number,
            "document_type": DocumentType.REVERSAL.value,
            "state": DocumentState.POSTED.value,
            "business_date": booked,
            "warehouse_id": original.warehouse_id,
            "to_warehouse_id": original.to_warehouse_id,
            "reverses_document_id": original.id,
            "note": note or f"红冲 {original.number}",
            "created_by": actor,
            "created_at": now,
            "posted_by": actor,
            "posted_at": now,
        }
    )
    lines = uow.documents.lines(original.id)
    copied = [
        {
            "line_no": line.line_no,
            "item_id": line.item_id,
            "quantity": line.quantity,
            "unit_id": line.unit_id,
            "base_quantity": line.base_quantity,
            "location_id": line.location_id,
            "to_location_id": line.to_location_id,
            "batch_no": line.batch_no,
            "production_date": line.production_date,
            "expiry_date": line.expiry_date,
            "serials": line.serials,
            "unit_cost": line.unit_cost,
            "reverses_line_id": line.id,
        }
        for line in lines
    ]
    new_ids = uow.documents.add_lines(reversal_id, copied)
    line_for = {
        line.id: (new_id, line.line_no) for line, new_id in zip(lines, new_ids, strict=True)
    }
    locations = uow.catalog.locations_by_id(uow.ledger.location_ids_of(original.id))
    moves = mirror(uow.ledger.entries_of(original.id, locations), line_for)
    entries = write_posting(uow, reversal_id, moves, actor, booked)
    uow.documents.mark_reversed(original, reversal_id)
    uow.record(
        AuditEntry(
            actor,
            "document.reverse",
            "document",
            original.number,
            {"reversal": reversal_number, "note": note},
            original.state.value,
            DocumentState.REVERSED.value,
        ),
        AuditEntry(
            actor,
            "document.post",
            "document",
            reversal_number,
            {"reverses": original.number, "lines": len(lines), "entries": entries},
            to_state=DocumentState.POSTED.value,
        ),
    )
    result = DocumentResult(
        reversal_number,
        DocumentType.REVERSAL.value,
        DocumentState.POSTED.value,
        len(lines),
        entries,
    )
    remember(uow, request_id, "documents.reverse", number, result.to_dict())
    uow.commit()
    return result


def _require_step(uow: UnitOfWork, actor: str, header: DocumentHeader, receiving: bool) -> None:
    """Receiving a transfer is the destination's business; every other posting the source's.

    A receive asks for the receiving permission whatever state the transfer is in, so a
    retried receive gets its first answer back rather than a refusal.
    """
    destination = header.to_warehouse_id
    if destination is not None and (receiving or header.state is DocumentState.IN_TRANSIT):
        action, warehouse_id = Action.DOCUMENT_RECEIVE, destination
    else:
        action, warehouse_id = Action.DOCUMENT_POST, header.warehouse_id
    require(
        uow,
        actor,
        action,
        header.document_type.value,
        [uow.catalog.warehouse_code(warehouse_id)],
    )


def _header(uow: UnitOfWork, number: str) -> DocumentHeader:
    header = uow.documents.header(number, for_update=True)
    if header is None:
        raise NotFound("document.unknown", {"number": number})
    return header


# creating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    warehouse_id: int
    to_warehouse_id: int | None
    counterpart_id: int | None
    items: dict[str, Item]
    locations: dict[str, Location]
    to_locations: dict[str, Location]


def _resolve(uow: UnitOfWork, document: DocumentIn, errors: ErrorCollector) -> _Resolved | None:
    kind = document.document_type
    if kind is DocumentType.REVERSAL:
        errors.add("/document_type", "document.reversal_by_reverse_only")
        return None
    codes = [document.warehouse] + ([document.to_warehouse] if document.to_warehouse else [])
    warehouses = uow.catalog.warehouses_by_code(codes)
    warehouse = warehouses.get(document.warehouse)
    if warehouse is None:
        errors.add("/warehouse", "warehouse.unknown", warehouse=document.warehouse)
    to_warehouse = None
    if kind is DocumentType.TRANSFER:
        if not document.to_warehouse:
            errors.add("/to_warehouse", "transfer.to_warehouse_required")
        elif document.to_warehouse == document.warehouse:
            errors.add("/to_warehouse", "transfer.same_warehouse", warehouse=document.warehouse)
        else:
            to_warehouse = warehouses.get(document.to_warehouse)
            if to_warehouse is None:
                errors.add("/to_warehouse", "warehouse.unknown", warehouse=document.to_warehouse)
    elif document.to_warehouse:
        errors.add("/to_warehouse", "document.to_warehouse_only_for_transfer")
    counterpart_id = None
    if kind is not DocumentType.TRANSFER:
        code = document.counterpart or _DEFAULT_COUNTERPART[kind]
        found = uow.catalog.locations_by_code(None, [code]).get(code)
        if found is None or code not in VIRTUAL_LOCATIONS:
            errors.add(
                "/counterpart",
                "location.not_virtual",
                location=code,
                allowed=", ".join(VIRTUAL_LOCATIONS),
            )
        else:
            counterpart_id = found.id
    elif document.counterpart:
        errors.add("/counterpart", "document.counterpart_not_for_transfer")
    items = uow.catalog.items_by_code({line.item for line in document.lines})
    if warehouse is None or (kind is DocumentType.TRANSFER and to_warehouse is None):
        # The lines cannot be checked against a warehouse, but their items can.
        _report_unknown_items(
            {index: line.item for index, line in enumerate(document.lines, start=1)},
            items,
            errors,
        )
        return None
    locations = uow.catalog.locations_by_code(
        warehouse.id, {line.location for line in document.lines if line.location}
    )
    to_locations = (
        uow.catalog.locations_by_code(
            to_warehouse.id, {line.to_location for line in document.lines if line.to_location}
        )
        if to_warehouse
        else {}
    )
    return _Resolved(
        warehouse.id,
        to_warehouse.id if to_warehouse else None,
        counterpart_id,
        items,
        locations,
        to_locations,
    )


def _line_row(
    line: LineIn,
    index: int,
    document: DocumentIn,
    resolved: _Resolved,
    errors: ErrorCollector,
    unit_ids: dict[str, int],
    uow: UnitOfWork,
) -> dict[str, Any] | None:
    pointer = f"/lines/{index}"
    kind = document.document_type
    before = len(errors.items)
    item = resolved.items.get(line.item)
    if item is None:
        errors.add(f"{pointer}/item", "item.unknown", item=line.item)
        if line.quantity <= 0:
            errors.add(f"{pointer}/quantity", "quantity.not_positive", quantity=str(line.quantity))
    base_quantity = None
    if item is not None:
        try:
            base_quantity = item.to_base(line.quantity, line.unit)
        except Invalid as error:
            field = "unit" if error.code.startswith("unit.") else "quantity"
            errors.extend(error, f"{pointer}/{field}")
        if base_quantity is not None:
            check_line_tracking(
                item, base_quantity, line.batch, line.serials, kind, pointer, errors
            )
    check_line_unit_cost(line.unit_cost, kind, pointer, errors)
    if base_quantity is not None and line.unit_cost is not None and len(errors.items) == before:
        try:
            check_line_amount(base_quantity, line.unit_cost)
        except Invalid as error:
            errors.extend(error, f"{pointer}/unit_cost")
    for field, code, table in (
        ("location", line.location, resolved.locations),
        ("to_location", line.to_location, resolved.to_locations),
    ):
        if code is None:
            continue
        if field == "to_location" and kind is not DocumentType.TRANSFER:
            errors.add(f"{pointer}/to_location", "document.to_location_only_for_transfer")
        elif code not in table:
            errors.add(
                f"{pointer}/{field}",
                "location.unknown",
                location=code,
                warehouse=document.to_warehouse if field == "to_location" else document.warehouse,
            )
        elif table[code].kind is not LocationKind.INTERNAL:
            errors.add(f"{pointer}/{field}", "location.not_internal", location=code)
    if (line.production_date or line.expiry_date) and not line.batch:
        errors.add(f"{pointer}/batch", "batch.dates_without_batch")
    if len(errors.items) > before or item is None or base_quantity is None:
        return None
    unit_code = line.unit or item.base_unit.code
    if unit_code not in unit_ids:
        found = uow.catalog.unit(unit_code)
        assert found is not None
        unit_ids[unit_code] = found[0]
    return {
        "line_no": index,
        "item_id": item.id,
        "quantity": line.quantity,
        "unit_id": unit_ids[unit_code],
        "base_quantity": base_quantity,
        "location_id": resolved.locations[line.location].id if line.location else None,
        "to_location_id": resolved.to_locations[line.to_location].id if line.to_location else None,
        "batch_no": line.batch,
        "production_date": line.production_date,
        "expiry_date": line.expiry_date,
        "serials": list(line.serials) or None,
        "unit_cost": line.unit_cost,
    }


def _insert(
    uow: UnitOfWork, actor: str, document: DocumentIn
) -> tuple[DocumentHeader, list[LineRecord]]:
    errors = ErrorCollector()
    resolved = _resolve(uow, document, errors)
    rows: list[dict[str, Any]] = []
    unit_ids: dict[str, int] = {}
    if resolved is not None:
        for index, line in enumerate(document.lines, start=1):
            row = _line_row(line, index, document, resolved, errors, unit_ids, uow)
            if row is not None:
                rows.append(row)
    if document.business_date is not None:
        try:
            check_open(document.business_date, uow.periods.latest_closed())
        except Conflict as closed:
            errors.extend(closed, "/business_date")
    errors.raise_if_any()
    assert resolved is not None
    now = uow.clock()
    number = format_number(
        document.document_type,
        now.date(),
        uow.documents.next_sequence(document.document_type.prefix, now.date()),
    )
    business_date = document.business_date or now.date()
    document_id = uow.documents.add(
        {
            "number": number,
            "document_type": document.document_type.value,
            "state": DocumentState.DRAFT.value,
            "business_date": business_date,
            "warehouse_id": resolved.warehouse_id,
            "to_warehouse_id": resolved.to_warehouse_id,
            "counterpart_location_id": resolved.counterpart_id,
            "note": document.note,
            "created_by": actor,
            "created_at": now,
        }
    )
    ids = uow.documents.add_lines(document_id, rows)
    header = DocumentHeader(
        document_id,
        number,
        document.document_type,
        DocumentState.DRAFT,
        business_date,
        resolved.warehouse_id,
        resolved.to_warehouse_id,
        None,
        resolved.counterpart_id,
    )
    return header, [LineRecord(id=line_id, **row) for line_id, row in zip(ids, rows, strict=True)]


# posting -------------------------------------------------------------------------------


def _post(
    uow: UnitOfWork, header: DocumentHeader, actor: str, lines: list[LineRecord]
) -> tuple[DocumentHeader, int]:
    step = posting_step(header)
    items = uow.catalog.items_by_id({line.item_id for line in lines})
    placed_serials: set[int] = set()
    if step is PostingStep.RECEIVE:
        assert header.to_warehouse_id is not None
        moves = _receive_moves(uow, header, lines)
    elif header.document_type is DocumentType.RECEIPT:
        moves = _receipt_moves(uow, header, lines, items, placed_serials)
    else:
        moves = _outgoing_moves(uow, header, lines, items)
    booked = header.business_date
    if step is PostingStep.RECEIVE:  # goods that left in a closed month arrive today
        booked = booking_date(booked, uow.clock().date(), uow.periods.latest_closed())
    entries = write_posting(uow, header.id, moves, actor, booked, frozenset(placed_serials))
    new_state = state_after(step)
    now = uow.clock()
    stamp = (
        {"shipped_by": actor, "shipped_at": now}
        if step is PostingStep.SHIP
        else {"posted_by": actor, "posted_at": now}
    )
    uow.documents.move_state(header, new_state, stamp)
    uow.record(
        AuditEntry(
            actor,
            f"document.{step.value}",
            "document",
            header.number,
            {"lines": len(lines), "entries": entries},
            header.state.value,
            new_state.value,
        )
    )
    return replace(header, state=new_state), entries


def _receipt_moves(
    uow: UnitOfWork,
    header: DocumentHeader,
    lines: list[LineRecord],
    items: dict[int, Item],
    placed_serials: set[int],
) -> list[Move]:
    counterpart_id = header.counterpart_location_id
    assert counterpart_id is not None
    location_ids = {counterpart_id} | {line.location_id for line in lines if line.location_id}
    locations = uow.catalog.locations_by_id(location_ids)
    source = locations[counterpart_id]
    default = uow.catalog.default_location(header.warehouse_id)
    batches = uow.catalog.batches(
        (line.item_id, line.batch_no)
        for line in lines
        if line.batch_no and items[line.item_id].tracking is TrackingMode.BATCH
    )
    found = _serials_of(uow, lines)
    owned = uow.catalog.locations_by_id({location for _, location in found.values()})
    errors = ErrorCollector()
    moves: list[Move] = []
    for line in lines:
        item = items[line.item_id]
        target = locations[line.location_id] if line.location_id else default
        pointer = f"/lines/{line.line_no}"
        batch_id = _receipt_batch(uow, item, line, batches, pointer, errors)
        if item.tracking is TrackingMode.SERIAL:
            for serial_no in line.serials or []:
                key = (item.id, serial_no)
                if key in found and owned[found[key][1]].is_owned:
                    errors.add(
                        f"{pointer}/serials",
                        "serial.already_in_stock",
                        serial=serial_no,
                        item=item.code,
                        location=_place(uow, owned[found[key][1]]),
                    )
                    continue
                if key in found:
                    # Back in stock from outside (a return): it moves from where it was.
                    serial_id, current = found[key]
                    if not uow.catalog.move_serials([(serial_id, current, target.id)]):
                        errors.add(
                            f"{pointer}/serials", "serial.moved_concurrently", serial=serial_no
                        )
                else:
                    serial_id = uow.catalog.add_serial(item.id, serial_no, target.id)
                # A later line of this receipt naming it again finds it in stock.
                found[key], owned[target.id] = (serial_id, target.id), target
                placed_serials.add(serial_id)
                moves.append(
                    _move(
                        line,
                        item,
                        source,
                        target,
                        Decimal(1),
                        serial_id=serial_id,
                        unit_cost=line.unit_cost,
                    )
                )
        else:
            moves.append(
                _move(
                    line,
                    item,
                    source,
                    target,
                    line.base_quantity,
                    batch_id,
                    line.batch_no,
                    unit_cost=line.unit_cost,
                )
            )
    errors.raise_if_any()
    return moves


def _move(
    line: LineRecord,
    item: Item,
    source: Location,
    target: Location,
    quantity: Decimal,
    batch_id: int = 0,
    batch_no: str | None = None,
    serial_id: int | None = None,
    unit_cost: Decimal | None = None,
) -> Move:
    return Move(
        line_id=line.id,
        line_no=line.line_no,
        item_id=item.id,
        item_code=item.code,
        from_location=source,
        to_location=target,
        quantity=quantity,
        batch_id=batch_id,
        batch_no=batch_no,
        serial_id=serial_id,
        unit_cost=unit_cost,
    )


def _place(uow: UnitOfWork, location: Location) -> str:
    """A location as people name it: WAREHOUSE/LOCATION, or a virtual location's code."""
    if location.warehouse_id is None:
        return location.code
    return f"{uow.catalog.warehouse_code(location.warehouse_id)}/{location.code}"


def _serials_of(uow: UnitOfWork, lines: list[LineRecord]) -> dict[tuple[int, str], tuple[int, int]]:
    """Every serial the lines name that is known: (item id, serial) → (id, location id)."""
    return uow.catalog.serials(
        (line.item_id, serial) for line in lines for serial in line.serials or []
    )


def _receipt_batch(
    uow: UnitOfWork,
    item: Item,
    line: LineRecord,
    batches: dict[tuple[int, str], BatchRecord],
    pointer: str,
    errors: ErrorCollector,
) -> int:
    """The line's batch id, creating the batch (and remembering it in ``batches``) if new."""
    if item.tracking is not TrackingMode.BATCH:
        return 0
    assert line.batch_no is not None  # required for batch items, checked at creation
    existing = batches.get((item.id, line.batch_no))
    if existing is not None:
        for field, given, known in (
            ("production_date", line.production_date, existing.production_date),
            ("expiry_date", line.expiry_date, existing.expiry_date),
        ):
            if given is not None and given != known:
                errors.add(
                    f"{pointer}/{field}",
                    "batch.dates_conflict",
                    batch=line.batch_no,
                    field=field,
                    given=str(given),
                    known=str(known),
                )
        return int(existing.id)
    spec = BatchSpec(line.batch_no, line.production_date, line.expiry_date)
    try:
        production, expiry = batch_dates(item, spec)
    except Invalid as error:
        errors.extend(error, f"{pointer}/batch")
        return 0
    batch_id = uow.catalog.add_batch(item.id, line.batch_no, production, expiry, uow.clock())
    batches[(item.id, line.batch_no)] = BatchRecord(batch_id, production, expiry)
    return batch_id


def _outgoing_moves(
    uow: UnitOfWork, header: DocumentHeader, lines: list[LineRecord], items: dict[int, Item]
) -> list[Move]:
    """Moves of an issue or a transfer's shipment: from stock picked by FEFO, or the serials."""
    if header.document_type is DocumentType.TRANSFER:
        assert header.to_warehouse_id is not None
        target = uow.catalog.transit_location(header.to_warehouse_id)
    else:
        counterpart_id = header.counterpart_location_id
        assert counterpart_id is not None
        target = uow.catalog.locations_by_id([counterpart_id])[counterpart_id]
    named = uow.catalog.locations_by_id({line.location_id for line in lines if line.location_id})
    default = uow.catalog.default_location(header.warehouse_id)
    warehouse_code = uow.catalog.warehouse_code(header.warehouse_id)
    errors = ErrorCollector()
    short = ErrorCollector()
    moves: list[Move] = []
    taken: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)  # by earlier lines
    stock = uow.balances.slots(
        [line.item_id for line in lines if items[line.item_id].tracking is not TrackingMode.SERIAL],
        header.warehouse_id,
    )
    batches = uow.catalog.batches((line.item_id, line.batch_no) for line in lines if line.batch_no)
    serials = _serials_of(uow, lines)
    places = uow.catalog.locations_by_id({location for _, location in serials.values()})
    # Lock order: by item, so two documents over the same items cannot deadlock.
    for line in sorted(lines, key=lambda line: (line.item_id, line.line_no)):
        item = items[line.item_id]
        source = named.get(line.location_id) if line.location_id else None
        pointer = f"/lines/{line.line_no}"
        if item.tracking is TrackingMode.SERIAL:
            moves.extend(
                _serial_moves(uow, header, line, item, (source, target), serials, places, errors)
            )
            continue
        batch_id = None
        if line.batch_no:
            batch = batches.get((item.id, line.batch_no))
            if batch is None:
                errors.add(f"{pointer}/batch", "batch.unknown", batch=line.batch_no, item=item.code)
                continue
            batch_id = batch.id
        slots = [
            replace(
                slot, available=slot.available - taken[(item.id, slot.location.id, slot.batch_id)]
            )
            for slot in stock[item.id]
            if (source is None or slot.location.id == source.id)
            and (batch_id is None or slot.batch_id == batch_id)
        ]
        picks, missing = allocate(line.base_quantity, slots)
        for slot, quantity in picks:
            taken[(item.id, slot.location.id, slot.batch_id)] += quantity
            moves.append(
                _move(line, item, slot.location, target, quantity, slot.batch_id, slot.batch_no)
            )
        if missing <= 0:
            continue
        place = source or default
        if place.allow_negative_stock and (batch_id or item.tracking is TrackingMode.NONE):
            moves.append(_move(line, item, place, target, missing, batch_id or 0, line.batch_no))
        else:
            short.add(
                pointer,
                "stock.line_short",
                lines=str(line.line_no),
                item=item.code,
                location=source.code if source else warehouse_code,
                batch=f"/{line.batch_no}" if line.batch_no else "",
                requested=str(normalized(line.base_quantity)),
                available=str(normalized(line.base_quantity - missing)),
            )
    errors.raise_if_any()
    if short.items:
        raise InsufficientStock(sorted(short.items, key=lambda i: int(i.pointer.split("/")[2])))
    return moves


def _serial_moves(
    uow: UnitOfWork,
    header: DocumentHeader,
    line: LineRecord,
    item: Item,
    route: tuple[Location | None, Location],
    found: dict[tuple[int, str], tuple[int, int]],
    places: dict[int, Location],
    errors: ErrorCollector,
) -> list[Move]:
    """One move per serial of ``line``, each from where it is.

    ``found`` is as ``_serials_of`` gives it; a serial taken here is removed from it.
    """
    source, target = route
    pointer = f"/lines/{line.line_no}"
    moves = []
    for serial_no in line.serials or []:
        known = found.pop((item.id, serial_no), None)  # taken: a later line cannot have it too
        where = places.get(known[1]) if known else None
        in_stock = (
            where is not None
            and where.kind is LocationKind.INTERNAL
            and where.warehouse_id == header.warehouse_id
            and (source is None or where.id == source.id)
        )
        if not in_stock or where is None:
            errors.add(
                f"{pointer}/serials",
                "serial.not_in_stock",
                serial=serial_no,
                item=item.code,
                location=source.code if source else uow.catalog.warehouse_code(header.warehouse_id),
            )
            continue
        assert known is not None
        moves.append(_move(line, item, where, target, Decimal(1), serial_id=known[0]))
    return moves


def _receive_moves(uow: UnitOfWork, header: DocumentHeader, lines: list[LineRecord]) -> list[Move]:
    """A transfer's receiving leg: what the shipment put in transit, at its shipped value."""
    assert header.to_warehouse_id is not None
    transit = uow.catalog.transit_location(header.to_warehouse_id)
    default = uow.catalog.default_location(header.to_warehouse_id)
    destinations = uow.catalog.locations_by_id(
        {line.to_location_id for line in lines if line.to_location_id}
    )
    target_of = {
        line.id: destinations[line.to_location_id] if line.to_location_id else default
        for line in lines
    }
    locations = uow.catalog.locations_by_id(uow.ledger.location_ids_of(header.id))
    shipped = uow.ledger.entries_of(header.id, locations)
    line_numbers = {line.id: line.line_no for line in lines}
    moves = []
    for entry in shipped:
        moves.append(
            Move(
                line_id=entry.line_id,
                line_no=line_numbers[entry.line_id],
                item_id=entry.item_id,
                item_code=entry.item_code,
                from_location=transit,
                to_location=target_of[entry.line_id],
                quantity=entry.quantity,
                batch_id=entry.batch_id,
                batch_no=entry.batch_no,
                serial_id=entry.serial_id,
                value=entry.value,
            )
        )
    return moves
