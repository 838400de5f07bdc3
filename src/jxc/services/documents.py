"""Stock documents: create (draft), post, receive a transfer, reverse (红冲).

Every write checks the whole request first and refuses it as a whole, naming every bad
field or line (invariant 8). Posting goes through ``posting.write_posting``, the only
code that changes stock (invariant 1); a posted document changes only by a reversal
document pointing at it (invariant 4); a request id makes each write happen once
(invariant 5).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jxc.db.repositories.catalog import BatchRecord
from jxc.db.repositories.documents import LineRecord
from jxc.db.repositories.orders import PricedLine
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.auth import Action, authorize_step
from jxc.domain.documents import (
    BatchSpec,
    DocumentHeader,
    DocumentType,
    PostingStep,
    batch_dates,
    check_item_totals,
    check_line_tracking,
    check_line_unit_cost,
    check_produced_by,
    check_receivable,
    check_reversible,
    check_serials_once,
    format_number,
    posting_step,
)
from jxc.domain.errors import (
    Conflict,
    ErrorCollector,
    ErrorItem,
    Forbidden,
    InsufficientStock,
    Invalid,
    NotFound,
    line_of,
    line_order,
    lines_not_named,
)
from jxc.domain.items import Item, TrackingMode
from jxc.domain.ledger import Move, mirror
from jxc.domain.locations import VIRTUAL_LOCATIONS, Location, LocationKind, Warehouse
from jxc.domain.partners import PARTNERS_OF, PartnerKind
from jxc.domain.periods import booking_date, check_not_ahead, check_open, check_plausible
from jxc.domain.picking import SCANNED_STEPS
from jxc.domain.prices import LinePrice
from jxc.domain.quantities import (
    ZERO,
    check_cost_per_base,
    check_line_amount,
    cost_per_base_unit,
    normalized,
    round_money,
    round_unit_cost,
)
from jxc.domain.stock import (
    Refusal,
    allocate,
    allocate_held_back_first,
    expired,
    refused_lines,
    unexpired,
)
from jxc.domain.workflow import (
    COMPLETE,
    DOCUMENT_TYPES,
    RESERVING_TYPES,
    REVERSED,
    DocumentFacts,
    Handler,
    LineFacts,
    Needs,
    Transition,
    Workflow,
    check_step,
    choose,
    needs,
)
from jxc.queries import documents as document_queries
from jxc.queries.documents import DocumentRow
from jxc.services import fulfilment, workflows
from jxc.services.auth import principal, require
from jxc.services.base import (
    WrittenNumber,
    parse,
    reading,
    remember,
    replay,
    told_so_far,
    transactional,
)
from jxc.services.posting import release, reserve, write_posting

MAX_LINES = 10_000
_DEFAULT_COUNTERPART = {
    DocumentType.RECEIPT: "SUPPLIER",
    DocumentType.ISSUE: "CUSTOMER",
    DocumentType.SALES_ORDER: "CUSTOMER",
    DocumentType.SALES_DELIVERY: "CUSTOMER",
    DocumentType.PURCHASE_ORDER: "SUPPLIER",
    DocumentType.SALES_RETURN: "CUSTOMER",
    DocumentType.PURCHASE_RETURN: "SUPPLIER",
}


class LineIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    item: str = Field(min_length=1, max_length=64)
    quantity: WrittenNumber
    unit: str | None = None
    location: str | None = None
    to_location: str | None = None
    batch: str | None = Field(default=None, max_length=64)
    production_date: date | None = None
    expiry_date: date | None = None
    serials: tuple[str, ...] = ()
    unit_cost: WrittenNumber | None = None
    unit_price: WrittenNumber | None = (
        None  # orders: 单价 (with tax unless prices_include_tax is off)
    )
    tax_rate: WrittenNumber | None = None  # percent
    discount_rate: WrittenNumber | None = None  # percent
    source_line: int | None = Field(default=None, ge=1)  # deliveries: the order line fulfilled


class DocumentIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    document_type: DocumentType
    warehouse: str = Field(min_length=1)
    to_warehouse: str | None = None
    counterpart: str | None = None
    partner: str | None = Field(default=None, min_length=1, max_length=32)
    business_date: date | None = None
    note: str | None = Field(default=None, max_length=500)
    source: str | None = Field(default=None, min_length=1, max_length=32)  # 源单: the order
    prices_include_tax: bool = True
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)

    @field_validator("source", mode="before")
    @classmethod
    def _number_as_printed(cls, value: Any) -> Any:
        """A number typed with spaces about it or in lower case is the printed one (XSCK…)."""
        return value.strip().upper() if isinstance(value, str) else value


class DocumentEdit(BaseModel):
    """What an edit changes: the fields given (``lines`` replaces them all), nothing else."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    warehouse: str | None = Field(default=None, min_length=1)
    to_warehouse: str | None = None
    counterpart: str | None = None
    partner: str | None = Field(default=None, min_length=1, max_length=32)
    business_date: date | None = None
    note: str | None = Field(default=None, max_length=500)
    prices_include_tax: bool | None = None
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    based_on: int | None = Field(
        default=None,
        ge=1,
        description=(
            "The document's version the editor saw (the sequence number of its newest audit"
            " event): the edit is refused if it changed since."
        ),
    )


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
    then: str | None = None,
) -> DocumentResult:
    """Create a draft document; ``then`` takes a first step on it in the same transaction.

    ``post`` is ``then="post"``, the one step of the simple workflow. A refused step leaves
    nothing behind: not even the draft.

    Raises:
        Invalid: input.invalid (or one of its item codes) naming every bad field and line.
        NotFound: warehouse.unknown.
        InsufficientStock: stock.insufficient when posting, naming every short line.
        Conflict: request.idempotency_key_reused.
    """
    result = creating(uow, actor, data, request_id, "post" if post else then)
    uow.commit()
    return result


def creating(
    uow: UnitOfWork,
    actor: str,
    data: DocumentIn | dict[str, Any],
    request_id: str | None = None,
    then: str | None = None,
) -> DocumentResult:
    """``create`` inside a transaction another service opened and commits (下推)."""
    document = _parsed(uow, actor, data)
    if then is not None:
        then = _first_step(uow, document.document_type, then)
    payload = {"document": document.model_dump(mode="json"), "then": then} if request_id else None
    seen = replay(uow, actor, request_id, "documents.create", payload)
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
            to_state=header.state,
        )
    )
    entries = 0
    if then is not None:
        header, _, entries = _take(uow, actor, header, then, None, lines)
    if then is None:  # a step taken checks it on its way (_take), a posting as it posts
        _refuse_what_it_could_not_move(uow, header, lines, actor)
    result = DocumentResult(
        header.number, header.document_type.value, header.state, len(lines), entries
    )
    remember(uow, actor, request_id, "documents.create", payload, result.to_dict())
    return result


def _first_step(uow: UnitOfWork, kind: DocumentType, typed: str) -> str:
    """The step a new document of ``kind`` takes at once, as ``typed`` (approve, 审核).

    Asked before the document is written: a refusal naming a number rolled back would
    name a document that does not exist.

    Raises:
        Conflict: document.first_step_not_allowed, delivery.step_by_scan.
    """
    workflow = workflows.definition(uow, kind.value)
    action = workflows.step_named(workflow, typed)
    _refuse_unscanned(kind, action, "NUMBER")  # a delivery pushed down is picked by scanning
    allowed = workflow.allowed(workflow.initial)
    if action not in allowed:
        raise Conflict(
            "document.first_step_not_allowed",
            {
                "document_type": kind.value,
                "state": workflow.initial,
                "action": action,
                "actions": allowed,
            },
        )
    return action


def posting_at_once(
    uow: UnitOfWork, actor: str, data: DocumentIn | dict[str, Any], decided_by: dict[str, Any]
) -> DocumentResult:
    """Create a document and post it now, because another document decided it.

    An approved stocktake's 盘盈 and 盘亏 are its approval's consequence, not documents
    awaiting their own: they are written by the one posting function and land in the
    state their workflow's posting step leads to (已过账, or 待核对 in the SOP), for the
    steps after it. ``decided_by`` names the deciding document on the audit trail.
    The deciding step was authorised, so its consequence needs no permission to create
    documents of its own: finance's 二级审核 of a 盘亏 posts an issue finance could not
    write by hand.
    """
    document = _input(uow, data)
    header, lines = _insert(uow, actor, document)
    workflow = workflows.definition(uow, header.document_type.value)
    # Recorded as its workflow's posting step (执行 in the SOP): separation of duties
    # then keeps whoever posted it from its 核对, as if they had executed it by hand.
    posting = next(t for t in workflow.transitions if t.run is Handler.POST)
    target = posting.target
    entries, stamp = _run(uow, header, actor, Handler.POST, lines)
    uow.documents.move_state(header, target, {"state_since": uow.clock(), **stamp})
    uow.record(
        AuditEntry(
            actor,
            "document.create",
            "document",
            header.number,
            {**document.model_dump(mode="json", exclude_defaults=True), **decided_by},
            to_state=header.state,
        ),
        AuditEntry(
            actor,
            f"document.{posting.action}",
            "document",
            header.number,
            {"lines": len(lines), "entries": entries, **decided_by},
            header.state,
            target,
        ),
    )
    return DocumentResult(header.number, header.document_type.value, target, len(lines), entries)


@reading
def answered(uow: UnitOfWork, actor: str, request_id: str | None) -> bool:
    """Whether ``actor`` already sent ``request_id`` and had it done.

    A resent form is answered as the first was, not checked again against what the first
    changed.
    """
    if request_id is None:
        return False
    seen = uow.requests.get(request_id)
    return seen is not None and seen[1].get("_actor", actor) == actor


@transactional
def check(
    uow: UnitOfWork, actor: str, data: DocumentIn | dict[str, Any], editing: str | None = None
) -> None:
    """Refuse ``data`` as creating it and posting it now would, and write nothing.

    ``editing``: the number of the document ``data`` is to replace (its own lines are not
    among the returns on their way).

    The checks at entry time (a scan): the lines are resolved and their stock taken in a
    transaction that is rolled back, so what is refused here is what posting would refuse.

    Raises:
        Invalid: as ``create``; serial.already_in_stock, serial.not_in_stock,
            serial.in_other_warehouse, serial.reserved, batch.unknown.
        InsufficientStock: stock.insufficient, naming every short line.
    """
    document = _parsed(uow, actor, data)
    edited = uow.documents.header(editing) if editing else None
    header, lines = _insert(uow, actor, document, edited.id if edited else None)
    items = uow.catalog.items_by_id({line.item_id for line in lines})
    if header.document_type.brings_stock_in:
        _receipt_moves(uow, header, lines, items, set())
    # a purchase order moves nothing; a sales return brings stock in
    elif (
        header.document_type.value in RESERVING_TYPES
        or header.document_type.moves_within
        or header.document_type is DocumentType.PURCHASE_RETURN
    ):
        _outgoing_moves(uow, header, lines, items, actor)


def _parsed(uow: UnitOfWork, actor: str, data: DocumentIn | dict[str, Any]) -> DocumentIn:
    """A new document's input, checked as far as it can be before it is written."""
    document = _input(uow, data)
    if uow.catalog.warehouses_by_code([document.warehouse]):
        kind = document.document_type.value
        require(uow, actor, Action.DOCUMENT_CREATE, kind, [document.warehouse])
    else:  # named as unknown when the document is checked, not as one the user may not
        principal(uow, actor)  # write to
    return document


def _input(uow: UnitOfWork, data: DocumentIn | dict[str, Any]) -> DocumentIn:
    try:
        return parse(DocumentIn, data)
    except Invalid as malformed:
        raise _with_unknown_codes(uow, data, malformed) from None


@transactional
def edit(
    uow: UnitOfWork,
    actor: str,
    number: str,
    changes: DocumentEdit | dict[str, Any],
    request_id: str | None = None,
) -> DocumentResult:
    """Change a document while its workflow lets it change (a draft, one sent back by 驳回).

    The fields given replace the document's; ``lines`` replaces every line. The result is
    checked as a whole, as at creation, and the edit is on the audit trail.

    Raises:
        NotFound: document.unknown.
        Conflict: document.not_editable (naming the state and the states that are),
            document.reversal_not_editable, request.idempotency_key_reused,
            document.changed_since_opened (``based_on`` is no longer its version).
        Invalid: every bad field and line at once, as ``create``; document.nothing_to_change
            (nothing given), document.unchanged (only what it holds already).
        Forbidden: auth.forbidden… for the document's warehouse (and a new one).
    """
    result = editing(uow, actor, number, changes, request_id)
    uow.commit()
    return result


def editing(
    uow: UnitOfWork,
    actor: str,
    number: str,
    changes: DocumentEdit | dict[str, Any],
    request_id: str | None = None,
    unchanged_refused: bool = True,
) -> DocumentResult:
    """``edit`` inside a transaction another service opened and commits (拣货 rewrites lines).

    ``unchanged_refused``: an edit that gives only what the document holds is refused, as
    a person's would be; a service whose rewrite may match (a pick of exactly the lines)
    passes False.
    """
    wanted = parse(DocumentEdit, changes)
    header = _header(uow, number)
    given = wanted.model_dump(mode="json", exclude_unset=True, exclude={"based_on"})
    if not given:  # an edit of nothing would still be on the audit trail as one
        raise Invalid("document.nothing_to_change", {"number": number})
    current = _as_input(uow, header, uow.documents.lines(header.id))
    _check_may_edit(uow, actor, header, {current.warehouse, wanted.warehouse or current.warehouse})
    payload = {"number": number, "changes": given, "based_on": wanted.based_on}
    seen = replay(uow, actor, request_id, "documents.edit", payload)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    _check_editable_now(uow, header)
    if wanted.based_on is not None and wanted.based_on != uow.audit.last_sequence_of(
        "document", number
    ):
        raise Conflict("document.changed_since_opened", {"number": number})
    try:
        document = parse(DocumentIn, {**current.model_dump(mode="json"), **given})
    except Invalid as malformed:
        raise _with_unknown_codes(uow, given, malformed) from None
    if unchanged_refused and document == current:  # the same values given again
        raise Invalid("document.unchanged", {"number": number})
    resolved, rows = _validated(uow, document, editing=header.id)
    uow.documents.move_state(
        header,
        header.state,
        {
            "warehouse_id": resolved.warehouse_id,
            "to_warehouse_id": resolved.to_warehouse_id,
            "counterpart_location_id": resolved.counterpart_id,
            "business_date": document.business_date or header.business_date,
            "note": document.note,
        },
    )
    _write_lines(uow, header.id, header.document_type, resolved, rows, replacing=True)
    edited = _header(uow, number)  # in the warehouse the edit may have moved it to
    _refuse_what_it_could_not_move(uow, edited, uow.documents.lines(header.id), actor)
    uow.record(
        AuditEntry(actor, "document.edit", "document", number, given, header.state, header.state)
    )
    result = DocumentResult(number, header.document_type.value, header.state, len(rows), 0)
    remember(uow, actor, request_id, "documents.edit", payload, result.to_dict())
    return result


@reading
def as_entered(uow: UnitOfWork, actor: str, number: str) -> tuple[DocumentIn, int | None]:
    """A document as the request that would create it, for ``actor`` to edit now.

    With its version (what an edit's ``based_on`` names), read in the same transaction.

    Raises:
        NotFound: document.unknown.
        Conflict: document.not_editable, document.reversal_not_editable.
        Forbidden: auth.forbidden… (``actor`` may not edit it).
    """
    header = _header(uow, number, for_update=False)
    _refuse_edit_now(uow, actor, header)
    current = _as_input(uow, header, uow.documents.lines(header.id))
    return current, uow.audit.last_sequence_of("document", number)


@reading
def check_editable(uow: UnitOfWork, actor: str, number: str) -> None:
    """Refuse unless ``actor`` may edit the document now; its lines are not read.

    Raises:
        NotFound: document.unknown.
        Conflict: document.not_editable, document.reversal_not_editable.
        Forbidden: auth.forbidden… (``actor`` may not edit it).
    """
    _refuse_edit_now(uow, actor, _header(uow, number, for_update=False))


@reading
def may_edit(uow: UnitOfWork, actor: str, number: str) -> bool:
    """Whether ``actor`` may edit the document now (a 修改 to offer)."""
    try:
        _refuse_edit_now(uow, actor, _header(uow, number, for_update=False))
    except (Conflict, Forbidden):
        return False
    return True


def _refuse_edit_now(uow: UnitOfWork, actor: str, header: DocumentHeader) -> None:
    """Raises what ``check_editable`` raises, for a header already read."""
    _check_may_edit(uow, actor, header, {uow.catalog.warehouse_code(header.warehouse_id)})
    _check_editable_now(uow, header)


def _check_may_edit(
    uow: UnitOfWork, actor: str, header: DocumentHeader, warehouses: set[str]
) -> None:
    """Refuse an edit by someone who may not make it, or of a document no one may edit.

    Raises:
        Conflict: document.reversal_not_editable.
        Forbidden: auth.forbidden… in one of ``warehouses`` (the document's, and a new one).
    """
    if header.document_type is DocumentType.REVERSAL:
        raise Conflict("document.reversal_not_editable", {"number": header.number})
    require(uow, actor, Action.DOCUMENT_EDIT, header.document_type.value, sorted(warehouses))


def _check_editable_now(uow: UnitOfWork, header: DocumentHeader) -> None:
    """Raises Conflict document.not_editable past the states its workflow lets it change in."""
    workflow = workflows.definition(uow, header.document_type.value)
    if not workflow.editable(header.state):
        raise Conflict(
            "document.not_editable",
            {"number": header.number, "state": header.state, "states": workflow.editable_states},
        )


def _as_input(uow: UnitOfWork, header: DocumentHeader, lines: list[LineRecord]) -> DocumentIn:
    """A stored document as the request that would create it (what an edit starts from)."""
    items = uow.catalog.items_by_id({line.item_id for line in lines})
    units = uow.catalog.unit_codes(line.unit_id for line in lines)
    places = uow.catalog.locations_by_id(
        {line.location_id for line in lines if line.location_id}
        | {line.to_location_id for line in lines if line.to_location_id}
        | ({header.counterpart_location_id} if header.counterpart_location_id else set())
    )

    def code(location_id: int | None) -> str | None:
        return places[location_id].code if location_id else None

    prices = uow.orders.prices([line.id for line in lines])
    source_id = header.source_id
    sources = uow.orders.sources_of_lines([line.id for line in lines])
    source_lines = (
        {p.line_id: p.line_no for p in uow.orders.progress(source_id)} if source_id else {}
    )
    ordering = header.document_type.is_order

    return DocumentIn(
        document_type=header.document_type,
        warehouse=uow.catalog.warehouse_code(header.warehouse_id),
        to_warehouse=(
            uow.catalog.warehouse_code(header.to_warehouse_id) if header.to_warehouse_id else None
        ),
        counterpart=code(header.counterpart_location_id),
        partner=uow.partners.code_of(header.partner_id) if header.partner_id else None,
        business_date=header.business_date,
        note=header.note,
        source=uow.documents.header_by_id(source_id).number if source_id else None,
        prices_include_tax=all(p.price.includes_tax for p in prices.values()),
        lines=[
            LineIn(
                item=items[line.item_id].code,
                quantity=line.quantity,
                unit=units[line.unit_id],
                location=code(line.location_id),
                to_location=code(line.to_location_id),
                batch=line.batch_no,
                production_date=line.production_date,
                expiry_date=line.expiry_date,
                serials=tuple(line.serials or ()),
                unit_cost=line.cost_per_line_unit,
                unit_price=prices[line.id].price.unit_price if ordering else None,
                tax_rate=prices[line.id].price.tax_rate if ordering else None,
                discount_rate=prices[line.id].price.discount_rate if ordering else None,
                source_line=source_lines.get(sources.get(line.id, 0)),
            )
            for line in lines
        ],
    )


@reading
def check_visible(uow: UnitOfWork, actor: str, number: str) -> None:
    """Refuse a document outside every warehouse ``actor`` works in, as if it did not exist.

    For entrypoints where a refusal naming the warehouse would say too much (the API, the
    web app).

    Raises:
        NotFound: document.unknown.
    """
    _visible_header(uow, actor, number)


def _visible_header(uow: UnitOfWork, actor: str, number: str) -> DocumentHeader:
    header = uow.documents.header(number)
    if header is None:
        raise NotFound("document.unknown", {"number": number})
    places = [
        uow.catalog.warehouse_code(warehouse_id)
        for warehouse_id in (header.warehouse_id, header.to_warehouse_id)
        if warehouse_id is not None
    ]
    if not principal(uow, actor).sees(*places):
        raise NotFound("document.unknown", {"number": number})
    return header


class Steps(NamedTuple):
    """The steps a person may take on a document now, and those withheld from them."""

    open: list[str]
    # their role allows these, but they would be refused: each with why (separation of
    # duties, documents made from it)
    withheld: dict[str, ErrorItem]


@reading
def next_steps(uow: UnitOfWork, actor: str, number: str) -> Steps:
    """The steps ``actor`` may take on a document now.

    By role, less those that would be refused for separation of duties or for documents
    made from it (those are ``withheld``, each with why); other guards may still refuse
    one.

    Raises:
        NotFound: document.unknown.
    """
    header = uow.documents.header(number)
    if header is None:
        raise NotFound("document.unknown", {"number": number})
    return _next_steps(uow, workflows.definition(uow, header.document_type.value), actor, header)


def _next_steps(uow: UnitOfWork, workflow: Workflow, actor: str, header: DocumentHeader) -> Steps:
    destination = header.to_warehouse_id
    steps = workflow.steps_of(
        principal(uow, actor),
        header.state,
        uow.catalog.warehouse_code(header.warehouse_id),
        uow.catalog.warehouse_code(destination) if destination is not None else None,
    )
    return _held_up(uow, workflow, header, _steps_open_to(uow, workflow, actor, header, steps))


def check_may_take(uow: UnitOfWork, actor: str, header: DocumentHeader, action: str) -> None:
    """Refuse a step ``actor`` could not take now, before work towards it (a scan screen).

    Raises:
        Conflict: workflow.transition_not_allowed (not a step from the document's state),
            workflow.has_downstream.
        Forbidden: workflow.role_required, workflow.same_person.
        Invalid: workflow.unknown_step (no step of the document's workflow).
    """
    workflow = workflows.definition(uow, header.document_type.value)
    candidates = workflow.candidates(header.state, action, header.number)
    steps = _next_steps(uow, workflow, actor, header)
    if action in steps.withheld:
        held = steps.withheld[action]
        refusal = Forbidden if held.code == "workflow.same_person" else Conflict
        raise refusal(held.code, held.params)
    if action not in steps.open:
        transition = candidates[0]
        warehouse = _step_warehouse(uow, header, transition)
        authorize_step(principal(uow, actor), transition.roles, action, header.number, warehouse)


def _held_up(uow: UnitOfWork, workflow: Workflow, header: DocumentHeader, steps: Steps) -> Steps:
    """``steps`` less those documents made from it hold up, withheld with their names.

    As taking them would refuse: 反审核 of an order with deliveries, say.
    """
    withheld = dict(steps.withheld)
    found: dict[bool, tuple[str, ...]] = {}
    for step in steps.open:
        targets = {
            t.target for t in workflow.transitions if t.action == step and header.state in t.sources
        }
        if targets & workflow.posted_states:
            continue
        back_to_start = targets == {workflow.initial}
        if back_to_start not in found:
            found[back_to_start] = _downstream(uow, header, back_to_start)
        if found[back_to_start]:
            withheld[step] = ErrorItem(
                "/state",
                "workflow.has_downstream",
                {
                    "number": header.number,
                    "action": step,
                    "documents": ", ".join(found[back_to_start]),
                },
            )
    return Steps([step for step in steps.open if step not in withheld], withheld)


@reading
def waiting_for(
    uow: UnitOfWork, actor: str, limit: int = 200
) -> list[tuple[DocumentRow, list[str]]]:
    """Documents with a step ``actor`` may take now (and those steps), longest waiting first.

    Only those some step of theirs takes on: one they could only send back, take an
    approval back from or void is not waiting for them.
    """
    who = principal(uow, actor)
    roles = {grant.role for grant in who.grants}
    flows = {kind: workflows.definition(uow, kind) for kind in DOCUMENT_TYPES}
    states = [
        (kind, state)
        for kind, flow in flows.items()
        for state in flow.states
        if any(state in t.sources and t.roles & roles for t in flow.transitions)
    ]
    mine = [(kind, state) for kind, state in states if flows[kind].editable(state)]
    found: list[tuple[DocumentRow, list[str]]] = []
    offset = 0
    # A page may hold documents whose step is scoped to a warehouse not the user's (a
    # transfer's receipt): read on until ``limit`` are theirs or none are left.
    while len(found) < limit:
        rows = document_queries.in_states(
            uow.connection,
            [pair for pair in states if pair not in mine],
            mine,  # a draft, or one sent back, waits for the one who wrote it
            actor,
            who.visible_warehouses,
            limit,
            offset,
        )
        for row in rows:
            flow = flows[row.document_type]
            steps = flow.steps_of(who, row.state, row.warehouse, row.to_warehouse)
            steps = _steps_open_to(uow, flow, actor, row, steps).open
            if any(flow.moves_on(step, row.state) for step in steps):
                found.append((row, steps))
        if len(rows) < limit:
            break
        offset += limit
    return found[:limit]


def _done_by(
    uow: UnitOfWork, workflow: Workflow, number: str, created_by: str
) -> dict[str, set[str]]:
    """Who took each action on a document in its round, as separation of duties reads it.

    A return to the start begins a new round.
    """
    done_by: dict[str, set[str]] = {"create": {created_by}}
    for recorded, user, to_state in uow.audit.steps_of("document", number):
        action = recorded.removeprefix("document.")
        # An edit leaves the state as it was: only a step back to the start is a new round.
        if to_state == workflow.initial and action not in ("create", "edit"):
            done_by = {"create": {created_by}}
            continue
        done_by.setdefault(action, set()).add(user)
    return done_by


def _steps_open_to(
    uow: UnitOfWork,
    workflow: Workflow,
    actor: str,
    row: DocumentRow | DocumentHeader,
    steps: list[str],
) -> Steps:
    """``steps`` parted: those open to ``actor``, those separation of duties withholds.

    核对 after one's own 执行 is withheld, with what was done. The document's history is
    read only if one of them has such a guard.
    """
    if DocumentType(row.document_type).is_order:  # an order completes as its goods go
        steps = [step for step in steps if step != COMPLETE]
    offered = [t for t in workflow.transitions if t.action in steps and row.state in t.sources]
    if not needs(offered).history:
        return Steps(steps, {})
    done_by = _done_by(uow, workflow, row.number, row.created_by)
    withheld = {
        step: ErrorItem(
            "/actor",
            "workflow.same_person",
            {"user": actor, "did": did, "action": step, "number": row.number},
        )
        for step in steps
        if (did := workflow.barred_by(row.state, step, actor, done_by)) is not None
    }
    return Steps([step for step in steps if step not in withheld], withheld)


def _on_its_way_to_posting(
    workflow: Workflow, header: DocumentHeader, transition: Transition
) -> bool:
    """Whether a step takes a document not yet posted on towards posting (提交, 审核).

    Not back (驳回, 反审核, 作废): those are always open.
    """
    return (
        _names_what_it_moves(header.document_type)
        and transition.run is None
        and header.state not in workflow.posted_states
        and transition.target not in workflow.posted_states
        and workflow.moves_on(transition.action, header.state)
    )


def _step_warehouse(uow: UnitOfWork, header: DocumentHeader, transition: Transition) -> str:
    destination = header.to_warehouse_id
    return uow.catalog.warehouse_code(transition.warehouse(header.warehouse_id, destination))


def _with_unknown_codes(uow: UnitOfWork, data: Any, malformed: Invalid) -> Invalid:
    """``malformed`` plus the unknown warehouse and items the raw data names: all at once."""
    errors, taken = told_so_far(malformed)
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
    reported = {(item.pointer, item.code) for item in errors.items}
    errors.items += [
        item
        for item in _problems_of_the_rest(uow, raw, malformed)
        if (item.pointer, item.code) not in reported
    ]
    errors.items.sort(key=line_order)
    return errors.error() or malformed


def _problems_of_the_rest(
    uow: UnitOfWork, raw: dict[str, Any], malformed: Invalid
) -> list[ErrorItem]:
    """What the lines that did parse would be refused for (a negative quantity, say).

    One answer names every problem, not the malformed ones first and the rest next time.
    """
    lines = raw.get("lines")
    if not isinstance(lines, list):
        return []
    rest = lines_not_named(lines, malformed)
    try:
        document = DocumentIn.model_validate({**raw, "lines": [line for _, line in rest]})
    except ValidationError:
        return []  # the header is malformed too: the lines cannot be judged against it
    found = ErrorCollector()
    resolved = _resolve(uow, document, found)
    if resolved is None:  # its line problems are numbered among the rest only: left out
        return [item for item in found.items if not line_of(item)]
    for (index, _), line in zip(rest, document.lines, strict=True):
        _line_row(line, index, document, resolved, found, {}, uow)
    return found.items


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


@transactional
def act(
    uow: UnitOfWork,
    actor: str,
    number: str,
    action: str,
    reason: str | None = None,
    request_id: str | None = None,
) -> DocumentResult:
    """Take a workflow step on a document: submit, approve, execute, verify, archive.

    What the step may do, who may take it and what it checks is the document type's
    workflow definition; a replayed request id returns the first result (a double click on
    审核 approves once).

    Raises:
        NotFound: document.unknown, workflow.not_installed.
        Conflict: workflow.transition_not_allowed (naming the state and the allowed steps),
            document.changed_concurrently, period.closed, request.idempotency_key_reused,
            delivery.step_by_scan (拣货, 复核: with the scans, by the deliveries service).
        Forbidden: workflow.role_required, workflow.same_person.
        Invalid: every failing guard at once (workflow.field_required …),
            workflow.unknown_step (no step of the document's workflow).
        InsufficientStock: stock.insufficient naming every short line (execute).
    """
    result = stepping(uow, actor, number, action, reason, request_id)
    uow.commit()
    return result


def _refuse_unscanned(kind: DocumentType, action: str, number: str) -> None:
    """拣货 and 复核 of a sales delivery are taken only with what was scanned."""
    if kind is DocumentType.SALES_DELIVERY and action in SCANNED_STEPS:
        raise Conflict(
            "delivery.step_by_scan", {"number": number, "action": action, "step": action}
        )


def stepping(
    uow: UnitOfWork,
    actor: str,
    number: str,
    action: str,
    reason: str | None = None,
    request_id: str | None = None,
    scanned: bool = False,
) -> DocumentResult:
    """``act`` inside a transaction another service opened and commits (拣货, 复核).

    ``action`` by its code or its label (审核); ``scanned``: 拣货 or 复核 taken with the
    scans (the deliveries service), which are refused otherwise.
    """
    header = _header(uow, number)
    principal(uow, actor)
    action = workflows.step_named(workflows.definition(uow, header.document_type.value), action)
    if not scanned:
        _refuse_unscanned(header.document_type, action, number)
    payload = {"number": number, "action": action, "reason": reason, "actor": actor}
    seen = replay(uow, actor, request_id, "documents.act", payload)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    header, lines, entries = _take(uow, actor, header, action, reason)
    result = DocumentResult(header.number, header.document_type.value, header.state, lines, entries)
    remember(uow, actor, request_id, "documents.act", payload, result.to_dict())
    return result


def post(uow: UnitOfWork, actor: str, number: str, request_id: str | None = None) -> DocumentResult:
    """The ``post`` step of a one-step workflow (a transfer: ship it into transit)."""
    return act(uow, actor, number, "post", request_id=request_id)


def receive(
    uow: UnitOfWork, actor: str, number: str, request_id: str | None = None
) -> DocumentResult:
    """The ``receive`` step: a shipped transfer arrives at its destination."""
    return act(uow, actor, number, "receive", request_id=request_id)


def _take(
    uow: UnitOfWork,
    actor: str,
    header: DocumentHeader,
    action: str,
    reason: str | None,
    lines: list[LineRecord] | None = None,
) -> tuple[DocumentHeader, int, int]:
    """Check and take one step; the header after it, its line count and ledger entries."""
    if header.document_type.is_order and action == COMPLETE:
        raise Conflict("order.completes_by_delivery", {"number": header.number})
    workflow = workflows.definition(uow, header.document_type.value)
    candidates = workflow.candidates(header.state, action, header.number)
    wanted = needs(candidates)
    if lines is None and (wanted.value or wanted.lines or any(t.run for t in candidates)):
        lines = uow.documents.lines(header.id)
    facts = _facts(uow, workflow, header, wanted, lines or [])
    transition = choose(candidates, facts)
    authorize_step(
        principal(uow, actor),
        transition.roles,
        action,
        header.number,
        _step_warehouse(uow, header, transition),
    )
    if transition.target == workflow.initial:  # 反审核 changes a month's documents
        check_open(header.business_date, uow.periods.latest_closed())
    if transition.run is Handler.POST:  # the company's zone may have moved west since
        check_not_ahead(header.business_date, uow.today())
    if transition.target not in workflow.posted_states:
        back_to_start = transition.target == workflow.initial
        facts = replace(facts, downstream=_downstream(uow, header, back_to_start))
    check_step(workflow, transition, facts, actor, reason)
    if _on_its_way_to_posting(workflow, header, transition):
        # a serial another document moved since this one was saved: told at 审核
        _refuse_what_it_could_not_move(uow, header, lines or uow.documents.lines(header.id), actor)
    entries, stamp = 0, dict[str, Any]()
    details: dict[str, Any] = {"reason": reason} if reason else {}
    if transition.run in (Handler.RESERVE, Handler.RELEASE):
        assert lines is not None
        held = _hold(uow, header, actor, transition.run, lines)
        details.update(lines=len(lines), reservations=held)
    elif transition.run is not None:
        assert lines is not None
        entries, stamp = _run(uow, header, actor, transition.run, lines)
        details.update(lines=len(lines), entries=entries)
    now = uow.clock()
    uow.documents.move_state(header, transition.target, {"state_since": now, **stamp})
    uow.record(
        AuditEntry(
            actor,
            f"document.{action}",
            "document",
            header.number,
            details,
            header.state,
            transition.target,
        )
    )
    uow.outbox.add(
        [
            {
                "topic": "document.step",
                "key": f"document.step:{uuid.uuid4().hex}",
                "payload": {
                    "number": header.number,
                    "document_type": header.document_type.value,
                    "action": action,
                    "from": header.state,
                    "to": transition.target,
                    "actor": actor,
                    "at": now.isoformat(),
                },
                "created_at": now,
            }
        ]
    )
    count = len(lines) if lines is not None else uow.documents.line_count(header.id)
    return replace(header, state=transition.target), count, entries


def _facts(
    uow: UnitOfWork,
    workflow: Workflow,
    header: DocumentHeader,
    wanted: Needs,
    lines: list[LineRecord],
) -> DocumentFacts:
    """What the step's guards and conditions read, and no more."""
    done_by = (
        _done_by(uow, workflow, header.number, header.created_by)
        if wanted.history
        else {"create": {header.created_by}}
    )
    value = quantity = Decimal(0)
    items = uow.catalog.items_by_id({line.item_id for line in lines}) if lines else {}
    if wanted.value:
        for line, cost in _costed(uow, header.warehouse_id, lines):
            value += line.base_quantity * cost
            quantity += line.base_quantity
    return DocumentFacts(
        number=header.number,
        business_date=header.business_date,
        created_by=header.created_by,
        note=header.note,
        counterpart=str(header.counterpart_location_id or ""),
        value=value,
        quantity=quantity,
        lines=tuple(
            LineFacts(
                line.line_no,
                items[line.item_id].code,
                line.unit_cost,
                str(line.location_id) if line.location_id else None,
                line.batch_no,
                line.expiry_date or _batch_expiry(uow, line, items[line.item_id]),
                items[line.item_id].shelf_life_days,
            )
            for line in lines
        )
        if wanted.lines
        else (),
        done_by={action: frozenset(users) for action, users in done_by.items()},
    )


def _costed(
    uow: UnitOfWork, warehouse_id: int, lines: list[LineRecord]
) -> list[tuple[LineRecord, Decimal]]:
    """Each line with its cost per base unit, as an approval judges a document's value.

    The line's own, else the warehouse's moving average now (0 where it has none).
    """
    costs = uow.balances.unit_costs({line.item_id for line in lines}, warehouse_id)
    return [
        (line, line.unit_cost if line.unit_cost is not None else costs.get(line.item_id, ZERO))
        for line in lines
    ]


@dataclass(frozen=True)
class Estimate:
    """What a document not yet posted would be worth if it were posted now."""

    value: Decimal
    unit_costs: dict[int, Decimal]  # line number → per the line's own unit (箱, not 个)


@reading
def estimate(uow: UnitOfWork, actor: str, number: str) -> Estimate | None:
    """The value an approver weighs (二级审核 above a threshold), before it is posted.

    None once posted (the ledger says what it was worth), for receipts and orders, whose
    lines carry their own costs and prices, and for a 红冲, which takes back exactly what
    its original booked.

    Raises:
        NotFound: document.unknown (also where the actor does not see its warehouses).
    """
    header = _visible_header(uow, actor, number)
    kind = header.document_type
    if header.posted or header.shipped or kind.brings_stock_in or not _names_what_it_moves(kind):
        return None
    costed = _costed(uow, header.warehouse_id, uow.documents.lines(header.id))
    return Estimate(
        round_money(sum((line.base_quantity * cost for line, cost in costed), ZERO)),
        {
            line.line_no: normalized(round_unit_cost(cost * line.base_quantity / line.quantity))
            for line, cost in costed
            if line.quantity
        },
    )


def _batch_expiry(uow: UnitOfWork, line: LineRecord, item: Item) -> date | None:
    """The expiry of the line's batch.

    From its production date and the shelf life, or that of the batch received before.
    """
    if not line.batch_no:
        return None
    if line.production_date is not None:
        try:
            return batch_dates(item, BatchSpec(line.batch_no, line.production_date, None))[1]
        except Invalid:
            return None  # without a shelf life there is no expiry to judge
    known = uow.catalog.batches([(line.item_id, line.batch_no)]).get((line.item_id, line.batch_no))
    return known.expiry_date if known else None


def _downstream(uow: UnitOfWork, header: DocumentHeader, back_to_start: bool) -> tuple[str, ...]:
    """Live documents made from this one (a voided or rejected-and-dropped one is not).

    One in a state the installed workflow no longer has was final when it was replaced
    (installing refuses to strand a document on its way), so it is not live either. An
    order's deliveries on their way hold up any step of it; its posted ones only a step
    back to the start (反审核).
    """
    if header.document_type.is_order:
        return fulfilment.in_flight(uow, header, with_posted=back_to_start)
    made = uow.documents.made_from(header.id)
    if not made:
        return ()
    reversal = workflows.definition(uow, DocumentType.REVERSAL.value)
    dead = {
        name
        for name, state in reversal.states.items()
        if state.final and name not in reversal.posted_states
    }
    return tuple(
        number for number, _, state in made if state in reversal.states and state not in dead
    )


def _both_ends(uow: UnitOfWork, header: DocumentHeader) -> list[str]:
    """The warehouses a document moves goods between (one, or a transfer's two)."""
    return [
        uow.catalog.warehouse_code(warehouse_id)
        for warehouse_id in (header.warehouse_id, header.to_warehouse_id)
        if warehouse_id is not None
    ]


@reading
def may_reverse(uow: UnitOfWork, actor: str, number: str) -> bool:
    """Whether ``actor`` may make the 红冲 of document ``number`` now: its page offers it."""
    original = uow.documents.header(number)
    if original is None:
        return False
    who = principal(uow, actor)
    kind = original.document_type.value
    if not all(who.may(Action.DOCUMENT_REVERSE, kind, w) for w in _both_ends(uow, original)):
        return False
    try:
        _check_reversible_now(uow, original)
    except Conflict:
        return False
    return True


def _check_reversible_now(uow: UnitOfWork, original: DocumentHeader) -> None:
    """Raises Conflict unless ``original`` may be reversed now (see ``reverse``)."""
    _check_nothing_returned(uow, original)
    pending = _downstream(uow, original, back_to_start=False)
    if pending:
        raise Conflict(
            "document.reversal_pending", {"number": original.number, "reversal": pending[0]}
        )


def _check_nothing_returned(uow: UnitOfWork, original: DocumentHeader) -> None:
    """Raises Conflict unless ``original`` is posted, not reversed, and has no returns.

    Its returns are taken back first, else the goods would come back twice. Checked again
    when the reversal posts: a return may have been made meanwhile.
    """
    check_reversible(original)
    returned = fulfilment.in_flight(uow, original, with_posted=True)
    if returned:
        raise Conflict(
            "document.made_from_it",
            {"number": original.number, "documents": ", ".join(returned)},
        )


@transactional
def reverse(
    uow: UnitOfWork,
    actor: str,
    number: str,
    request_id: str | None = None,
    note: str | None = None,
    post: bool = False,
) -> DocumentResult:
    """Make the reversal (红冲) of a posted document, as a draft of its own.

    Once its own workflow executes it, it mirrors the original's entries. ``post`` takes
    its one-step ``post`` at once (where the reversal workflow has one).

    Raises:
        NotFound: document.unknown.
        Conflict: document.not_posted, document.already_reversed, document.reversal_pending,
            document.reversal_not_reversible, request.idempotency_key_reused.
        InsufficientStock: when posting, the stock it brought in has already left.
    """
    original = _header(uow, number)
    if original.document_type is DocumentType.REVERSAL:  # no role may: the rule, not the role
        check_reversible(original)
    require(
        uow, actor, Action.DOCUMENT_REVERSE, original.document_type.value, _both_ends(uow, original)
    )
    payload = {"note": note, "post": post}
    seen = replay(uow, actor, request_id, "documents.reverse", [number, payload])
    if seen is not None:
        return DocumentResult.from_dict(seen)
    _check_reversible_now(uow, original)
    workflow = workflows.definition(uow, DocumentType.REVERSAL.value)
    now = uow.clock()
    today = uow.today()
    # A reversal of a document in a closed month is booked today (红冲 in the open period).
    booked = booking_date(original.business_date, today, uow.periods.latest_closed())
    reversal_number = format_number(
        DocumentType.REVERSAL,
        today,
        uow.documents.next_sequence(DocumentType.REVERSAL.prefix, today),
    )
    note = note or f"红冲 {original.number}"
    reversal_id = uow.documents.add(
        {
            "number": reversal_number,
            "document_type": DocumentType.REVERSAL.value,
            "state": workflow.initial,
            "business_date": booked,
            "warehouse_id": original.warehouse_id,
            "to_warehouse_id": original.to_warehouse_id,
            "reverses_document_id": original.id,
            "note": note,
            "created_by": actor,
            "created_at": now,
            "state_since": now,
        }
    )
    lines = uow.documents.lines(original.id)
    copied = [
        {
            **{field: getattr(line, field) for field in _COPIED_LINE_FIELDS},
            "reverses_line_id": line.id,
        }
        for line in lines
    ]
    uow.documents.add_lines(reversal_id, copied)
    if original.partner_id is not None:
        uow.documents.set_partner(reversal_id, original.partner_id)
    uow.record(
        AuditEntry(
            actor,
            "document.create",
            "document",
            reversal_number,
            {"reverses": original.number, "note": note},
            to_state=workflow.initial,
        )
    )
    header = uow.documents.header_by_id(reversal_id)
    entries = 0
    if post:
        header, _, entries = _take(uow, actor, header, "post", None)
    result = DocumentResult(
        reversal_number, DocumentType.REVERSAL.value, header.state, len(lines), entries
    )
    remember(uow, actor, request_id, "documents.reverse", [number, payload], result.to_dict())
    uow.commit()
    return result


_COPIED_LINE_FIELDS = (
    "line_no",
    "item_id",
    "quantity",
    "unit_id",
    "base_quantity",
    "location_id",
    "to_location_id",
    "batch_no",
    "production_date",
    "expiry_date",
    "serials",
    "unit_cost",
)


def _header(uow: UnitOfWork, number: str, for_update: bool = True) -> DocumentHeader:
    """Raises NotFound document.unknown. Locked for a write; a read takes no row lock."""
    header = uow.documents.header(number, for_update=for_update)
    if header is None:
        raise NotFound("document.unknown", {"number": number})
    return header


# creating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    warehouse_id: int
    to_warehouse_id: int | None
    counterpart_id: int | None
    partner_id: int | None
    items: dict[str, Item]
    locations: dict[str, Location]
    to_locations: dict[str, Location]
    source: fulfilment.Source | None = None


def _resolve(
    uow: UnitOfWork, document: DocumentIn, errors: ErrorCollector, editing: int | None = None
) -> _Resolved | None:
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
    if kind not in (DocumentType.TRANSFER, DocumentType.PUTAWAY):
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

    def unresolved() -> None:
        """The lines cannot be checked against a warehouse, but their items can."""
        named = {index: line.item for index, line in enumerate(document.lines, start=1)}
        _report_unknown_items(named, items, errors)

    if warehouse is None:
        # Its partner and source order are not looked at: they may be another warehouse's,
        # which the user may have no right to see.
        unresolved()
        return None
    partner_id = _partner(uow, document, errors)
    source = _source(uow, document, warehouse, partner_id, errors, editing)
    if source is not None:
        partner_id = source.header.partner_id
    elif kind.is_order and document.partner is None:
        errors.add("/partner", "order.partner_required", document_type=kind)
    if kind is DocumentType.TRANSFER and to_warehouse is None:
        unresolved()
        return None
    locations = uow.catalog.locations_by_code(
        warehouse.id, {line.location for line in document.lines if line.location}
    )
    moved_to = to_warehouse or (warehouse if kind.moves_within else None)
    to_locations = (
        uow.catalog.locations_by_code(
            moved_to.id, {line.to_location for line in document.lines if line.to_location}
        )
        if moved_to
        else {}
    )
    return _Resolved(
        warehouse.id,
        to_warehouse.id if to_warehouse else None,
        counterpart_id,
        partner_id,
        items,
        locations,
        to_locations,
        source,
    )


def _source(
    uow: UnitOfWork,
    document: DocumentIn,
    warehouse: Warehouse | None,
    partner_id: int | None,
    errors: ErrorCollector,
    editing: int | None = None,
) -> fulfilment.Source | None:
    """The order a receipt or delivery is made from: open, in its warehouse, its partner's."""
    kind = document.document_type
    wanted = kind.source_type
    if wanted is None:
        if document.source is not None:
            errors.add("/source", "document.source_not_for_type", document_type=kind)
        return None
    if document.source is None:
        if kind.needs_source:
            errors.add("/source", "order.required", document_type=kind)
        return None
    source = fulfilment.order_of(uow, document.source, wanted, errors, editing)
    if source is None:
        return None
    if warehouse is not None and source.header.warehouse_id != warehouse.id:
        errors.add(
            "/warehouse",
            "order.other_warehouse",
            number=document.source,
            warehouse=uow.catalog.warehouse_code(source.header.warehouse_id),
        )
    if document.partner is not None and partner_id != source.header.partner_id:
        errors.add("/partner", "order.other_partner", number=document.source)
    return source


def _partner(uow: UnitOfWork, document: DocumentIn, errors: ErrorCollector) -> int | None:
    """The id of the partner a document names, if it may name that one."""
    if document.partner is None:
        return None
    found = uow.partners.find(document.partner)
    allowed = PARTNERS_OF.get(document.document_type, ())
    if found is None:
        errors.add("/partner", "partner.unknown", partner=document.partner)
    elif found["kind"] not in allowed:
        errors.add(
            "/partner",
            "partner.wrong_kind",
            partner=document.partner,
            kind=found["kind"],
            document_type=document.document_type.value,
            kinds=[kind.value for kind in allowed],
        )
    elif not found["active"]:
        errors.add("/partner", "partner.inactive", partner=document.partner)
    elif found["kind"] == PartnerKind.CHANNEL and document.warehouse not in found["warehouses"]:
        # A channel sells what its warehouses hold: its orders go out from one of them.
        errors.add(
            "/warehouse",
            "partner.not_sold_from",
            partner=document.partner,
            warehouse=document.warehouse,
            warehouses=", ".join(found["warehouses"]),
        )
    else:
        return int(found["id"])
    return None


def _line_row(
    line: LineIn,
    index: int,
    document: DocumentIn,
    resolved: _Resolved,
    errors: ErrorCollector,
    unit_ids: dict[str, int],
    uow: UnitOfWork,
) -> _LineRow | None:
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
            later = kind.is_order or kind.needs_source or resolved.source is not None
            check_line_tracking(
                item, base_quantity, line.batch, line.serials, kind, pointer, errors, later
            )
    check_line_unit_cost(line.unit_cost, kind, pointer, errors)
    base_cost = None  # the cost is given per the line's unit, kept per base unit
    if (
        item is not None
        and base_quantity is not None
        and line.unit_cost is not None
        and len(errors.items) == before
    ):
        base_cost = cost_per_base_unit(line.unit_cost, line.quantity, base_quantity)
        try:
            unit = line.unit or item.base_unit.code
            check_cost_per_base(base_cost, line.unit_cost, unit, item.base_unit.code)
            check_line_amount(base_quantity, base_cost)
        except Invalid as error:
            errors.extend(error, f"{pointer}/unit_cost")
    for field, code, table in (
        ("location", line.location, resolved.locations),
        ("to_location", line.to_location, resolved.to_locations),
    ):
        if code is None:
            continue
        if field == "to_location" and kind not in (DocumentType.TRANSFER, DocumentType.PUTAWAY):
            errors.add(f"{pointer}/to_location", "document.to_location_only_for_transfer")
        elif code not in table:
            errors.add(
                f"{pointer}/{field}",
                "location.unknown",
                location=code,
                # a put-away's target is in its own warehouse
                warehouse=(field == "to_location" and document.to_warehouse) or document.warehouse,
            )
        elif table[code].kind is not LocationKind.INTERNAL:
            errors.add(f"{pointer}/{field}", "location.not_internal", location=code)
    if (line.production_date or line.expiry_date) and not line.batch:
        errors.add(f"{pointer}/batch", "batch.dates_without_batch")
    if kind.moves_within:
        if not line.location:
            errors.add(f"{pointer}/location", "putaway.location_required")
        if not line.to_location:
            errors.add(f"{pointer}/to_location", "putaway.to_location_required")
        elif line.to_location == line.location:
            errors.add(f"{pointer}/to_location", "putaway.same_location", location=line.location)
    quantities = (line.quantity, base_quantity) if base_quantity is not None else None
    terms = _line_terms(line, document, resolved, item, quantities, pointer, errors)
    if len(errors.items) > before or item is None or base_quantity is None:
        return None
    unit_code = line.unit or item.base_unit.code
    if unit_code not in unit_ids:
        found = uow.catalog.unit(unit_code)
        assert found is not None
        unit_ids[unit_code] = found[0]
    row = {
        "line_no": index,
        "item_id": item.id,
        "quantity": line.quantity,
        "unit_id": unit_ids[unit_code],
        "base_quantity": base_quantity,
        "location_id": resolved.locations[line.location].id if line.location else None,
        "to_location_id": resolved.to_locations[line.to_location].id if line.to_location else None,
        "batch_no": line.batch or (terms.batch if terms else None),
        "production_date": line.production_date,
        "expiry_date": line.expiry_date,
        "serials": list(line.serials) or None,
        # A receipt from a purchase order costs the order's price unless told otherwise.
        "unit_cost": base_cost if line.unit_cost is not None or terms is None else terms.unit_cost,
        "line_unit_cost": line.unit_cost,
    }
    if terms is None:
        return _LineRow(row, None, None)
    return _LineRow(row, terms.priced, terms.source_line_id or None)


@dataclass(frozen=True)
class _LineRow:
    row: dict[str, Any]  # the document_line row
    priced: PricedLine | None
    source_line_id: int | None


def _line_terms(
    line: LineIn,
    document: DocumentIn,
    resolved: _Resolved,
    item: Item | None,
    line_quantity: tuple[Decimal, Decimal] | None,
    pointer: str,
    errors: ErrorCollector,
) -> fulfilment.Fulfils | None:
    """A line's price, or the order line it takes from and what it carries over.

    ``line_quantity``: the line's count in its own unit (an order's price is per that
    unit) and in base units.
    """
    kind = document.document_type
    given = [f for f in ("unit_price", "tax_rate", "discount_rate") if getattr(line, f) is not None]
    if not kind.is_order:
        for field in given:
            errors.add(f"{pointer}/{field}", "price.not_for_type", document_type=kind)
    if line.source_line is not None and kind.source_type is None:
        errors.add(f"{pointer}/source_line", "document.source_not_for_type", document_type=kind)
    if item is None or line_quantity is None:
        return None
    if kind.is_order:
        rates = (line.tax_rate or Decimal(0), line.discount_rate or Decimal(0))
        price = (
            LinePrice(line.unit_price, *rates, document.prices_include_tax)
            if line.unit_price is not None
            else None
        )
        priced = fulfilment.line_price(line_quantity[0], price, pointer, errors, rates)
        return fulfilment.Fulfils(0, priced, None) if priced else None
    if resolved.source is None:
        return None
    found = fulfilment.fulfilling_line(
        resolved.source, line.source_line, item, line_quantity[1], pointer, errors
    )
    if found is not None and kind in (DocumentType.SALES_RETURN, DocumentType.PURCHASE_RETURN):
        fulfilment.check_returned(resolved.source, found, line.batch, line.serials, pointer, errors)
    return found


def _validated(
    uow: UnitOfWork, document: DocumentIn, editing: int | None = None
) -> tuple[_Resolved, list[_LineRow]]:
    """The document's codes resolved and its line rows, or Invalid naming every problem.

    ``editing``: the id of the document these are the new contents of.
    """
    errors = ErrorCollector()
    resolved = _resolve(uow, document, errors, editing)
    rows: list[_LineRow] = []
    unit_ids: dict[str, int] = {}
    if resolved is not None:
        for index, line in enumerate(document.lines, start=1):
            row = _line_row(line, index, document, resolved, errors, unit_ids, uow)
            if row is not None:
                rows.append(row)
        numbered = list(enumerate(document.lines, start=1))
        check_item_totals(
            (
                (r.row["line_no"], numbered[r.row["line_no"] - 1][1].item, r.row["base_quantity"])
                for r in rows
            ),
            errors,
        )
        check_serials_once(((n, ln.item, ln.serials) for n, ln in numbered if ln.serials), errors)
        if resolved.source is not None and not resolved.source.header.document_type.is_order:
            returned = [
                fulfilment.ReturnedLine(
                    r.row["line_no"],
                    numbered[r.row["line_no"] - 1][1].item,
                    r.source_line_id,
                    r.row["batch_no"],
                    r.row["base_quantity"],
                )
                for r in rows
                if r.source_line_id is not None
            ]
            source = resolved.source
            fulfilment.check_batches_returned(
                source.header.number, source.shipped, source.taken_back(), returned, errors
            )
        produced = ((n, ln.production_date) for n, ln in numbered if ln.production_date)
        check_produced_by(produced, document.business_date or uow.today(), errors)
    if document.business_date is not None:
        try:
            check_plausible(document.business_date, uow.today())
            check_open(document.business_date, uow.periods.latest_closed())
        except (Conflict, Invalid) as refused:
            errors.extend(refused, "/business_date")
    errors.raise_if_any()
    assert resolved is not None
    return resolved, rows


def _write_lines(
    uow: UnitOfWork,
    document_id: int,
    kind: DocumentType,
    resolved: _Resolved,
    rows: list[_LineRow],
    replacing: bool = False,
) -> list[int]:
    """A document's lines with their prices and order links, its partner and its source."""
    if replacing:
        uow.orders.drop_lines(document_id)
        ids = uow.documents.replace_lines(document_id, [r.row for r in rows])
    else:
        ids = uow.documents.add_lines(document_id, [r.row for r in rows])
    uow.orders.add_lines(
        ids,
        [r.priced for r in rows],
        [r.source_line_id for r in rows],
        [r.row["base_quantity"] for r in rows] if kind.is_order else None,
    )
    if replacing or resolved.partner_id is not None:
        uow.documents.set_partner(document_id, resolved.partner_id)
    if resolved.source is not None:
        uow.orders.set_source(document_id, resolved.source.header.id)
    return ids


def _insert(
    uow: UnitOfWork, actor: str, document: DocumentIn, editing: int | None = None
) -> tuple[DocumentHeader, list[LineRecord]]:
    resolved, rows = _validated(uow, document, editing)
    initial = workflows.definition(uow, document.document_type.value).initial
    now, today = uow.clock(), uow.today()
    number = format_number(
        document.document_type,
        today,
        uow.documents.next_sequence(document.document_type.prefix, today),
    )
    business_date = document.business_date or today
    document_id = uow.documents.add(
        {
            "number": number,
            "document_type": document.document_type.value,
            "state": initial,
            "business_date": business_date,
            "warehouse_id": resolved.warehouse_id,
            "to_warehouse_id": resolved.to_warehouse_id,
            "counterpart_location_id": resolved.counterpart_id,
            "note": document.note,
            "created_by": actor,
            "created_at": now,
            "state_since": now,
        }
    )
    ids = _write_lines(uow, document_id, document.document_type, resolved, rows)
    header = DocumentHeader(
        document_id,
        number,
        document.document_type,
        initial,
        business_date,
        resolved.warehouse_id,
        resolved.to_warehouse_id,
        None,
        resolved.counterpart_id,
        created_by=actor,
        note=document.note,
        partner_id=resolved.partner_id,
        source_id=resolved.source.header.id if resolved.source else None,
    )
    return header, [LineRecord(id=line_id, **r.row) for line_id, r in zip(ids, rows, strict=True)]


# posting -------------------------------------------------------------------------------


T = TypeVar("T")
_Step = Callable[[UnitOfWork, DocumentHeader, str, Handler, list[LineRecord]], T]


def _noting_refusals(step: _Step[T]) -> _Step[T]:
    """Note a step refused for want of stock on the unit of work (拒绝超卖).

    The service layer records it after the rollback; the step itself still fails.
    """

    @functools.wraps(step)
    def noting(
        uow: UnitOfWork,
        header: DocumentHeader,
        actor: str,
        handler: Handler,
        lines: list[LineRecord],
    ) -> T:
        try:
            return step(uow, header, actor, handler, lines)
        except InsufficientStock as short:
            # A serial moved concurrently is a race lost, and a 红冲 finding the goods gone
            # is history catching up, neither an attempt to oversell.
            refused = (
                () if header.document_type is DocumentType.REVERSAL else tuple(refused_lines(short))
            )
            if refused:
                uow.refused.append(
                    Refusal(
                        actor,
                        header.number,
                        header.document_type.value,
                        header.warehouse_id,
                        refused,
                    )
                )
            raise

    return noting


@_noting_refusals
def _hold(
    uow: UnitOfWork,
    header: DocumentHeader,
    actor: str,
    handler: Handler,
    lines: list[LineRecord],
) -> int:
    """Run a reserve or release step: the number of reservations made or given back."""
    if handler is Handler.RELEASE:
        return release(uow, header.id)
    release(uow, header.id)  # what it held before is available to it again
    if header.document_type is DocumentType.REVERSAL:  # what the original brought in goes
        _, moves, dated = _mirrored(uow, header, lines)
        return reserve(uow, header.id, moves, dated)
    items = uow.catalog.items_by_id({line.item_id for line in lines})
    moves = _outgoing_moves(uow, header, lines, items, actor)
    # An order takes its stock when its deliveries post, on their own dates, not its own.
    on = None if header.document_type.is_order else header.business_date
    return reserve(uow, header.id, moves, on)


@_noting_refusals
def _run(
    uow: UnitOfWork,
    header: DocumentHeader,
    actor: str,
    handler: Handler,
    lines: list[LineRecord],
) -> tuple[int, dict[str, Any]]:
    """Run a step's handler: write the ledger. Its entry count and the header's stamps."""
    placed_serials: set[int] = set()
    reopening: int | None = None  # an order a 红冲 opens again
    now = uow.clock()
    booked = header.business_date
    stamp: dict[str, Any] = {"posted_by": actor, "posted_at": now}
    if handler is Handler.RECEIVE:
        check_receivable(header)
        moves = _receive_moves(uow, header, lines)
        # Goods that left in a closed month arrive today.
        booked = booking_date(booked, uow.today(), uow.periods.latest_closed())
    else:
        step = posting_step(header)
        if header.document_type is DocumentType.REVERSAL:
            release(uow, header.id)  # what its approval held (预占) for its own posting
            moves, booked = _reversal_moves(uow, header, actor, lines)
            stamp["business_date"] = booked
            assert header.reverses_document_id is not None
            original = uow.documents.header_by_id(header.reverses_document_id)
            if original.source_id is not None:
                fulfilment.give_back(uow, original)
                reopening = original.source_id
        elif header.document_type.brings_stock_in:
            items = uow.catalog.items_by_id({line.item_id for line in lines})
            if header.source_id is not None:
                fulfilment.consume(uow, header, lines, items, actor)
            moves = _receipt_moves(uow, header, lines, items, placed_serials)
        else:
            # The posting takes what the document held (预占), whatever state it posts from:
            # an admin may have installed another workflow since it was approved.
            release(uow, header.id)
            items = uow.catalog.items_by_id({line.item_id for line in lines})
            if header.source_id is not None:  # a delivery or a purchase return
                fulfilment.consume(uow, header, lines, items, actor)
            moves = _outgoing_moves(uow, header, lines, items, actor)
        if step is PostingStep.SHIP:
            stamp = {"shipped_by": actor, "shipped_at": now}
    entries = write_posting(uow, header.id, moves, actor, booked, frozenset(placed_serials))
    if reopening is not None:  # once the goods are back, to hold them again
        _reopen(uow, reopening, actor, header.number)
    return entries, stamp


def _reopen(uow: UnitOfWork, order_id: int, actor: str, reversal: str) -> None:
    """An order completed by the document ``reversal`` reverses is open again.

    It goes back to the state it was completed from; a sales order holds its open
    quantity again (预占), as it did before that delivery shipped, where it can.
    """
    order = uow.documents.header_by_id(order_id)
    back_to = fulfilment.reopened_state(uow, order)
    if back_to is None:
        return
    held: int | None = 0
    if order.document_type is DocumentType.SALES_ORDER:
        open_quantity = {p.line_id: p.open for p in uow.orders.progress(order.id)}
        still_open = [
            line._replace(base_quantity=open_quantity[line.id])
            for line in uow.documents.lines(order.id)
            if open_quantity.get(line.id, ZERO) > 0
        ]
        items = uow.catalog.items_by_id({line.item_id for line in still_open})
        try:
            with uow.connection.begin_nested():  # a hold refused halfway leaves nothing
                moves = _outgoing_moves(uow, order, still_open, items, actor)
                held = reserve(uow, order.id, moves, None)
        except InsufficientStock:
            # The 红冲 corrects the books whatever the order can hold: it is open, holding
            # nothing (None on the audit trail), and takes its stock when it ships.
            held = None
    uow.documents.move_state(order, back_to, {"state_since": uow.clock()})
    uow.record(
        AuditEntry(
            actor,
            "document.reopen",
            "document",
            order.number,
            {"by": reversal, "reservations": held},
            order.state,
            back_to,
        )
    )


def _reversal_moves(
    uow: UnitOfWork, header: DocumentHeader, actor: str, lines: list[LineRecord]
) -> tuple[list[Move], date]:
    """The mirror of everything the original posted, and the day it is booked.

    The original is marked reversed.
    """
    original, moves, booked = _mirrored(uow, header, lines)
    uow.documents.move_state(
        original,
        REVERSED,
        {"reversed_by_document_id": header.id, "state_since": uow.clock()},
    )
    uow.record(
        AuditEntry(
            actor,
            "document.reverse",
            "document",
            original.number,
            {"reversal": header.number},
            original.state,
            REVERSED,
        )
    )
    return moves, booked


def _mirrored(
    uow: UnitOfWork, header: DocumentHeader, lines: list[LineRecord]
) -> tuple[DocumentHeader, list[Move], date]:
    """A reversal's original (locked), the mirror of what it posted, and the booking day.

    Raises:
        Conflict: the original is no longer reversible (see ``_check_nothing_returned``).
    """
    assert header.reverses_document_id is not None
    # Locked, as a return posting locks its source: one of the two waits for the other and
    # then sees it, so the goods cannot come back by both.
    original = uow.documents.header_by_id(header.reverses_document_id, for_update=True)
    _check_nothing_returned(uow, original)
    # Booked on the original's day, or today if that month has closed since.
    booked = booking_date(original.business_date, uow.today(), uow.periods.latest_closed())
    line_for = {
        line.reverses_line_id: (line.id, line.line_no)
        for line in lines
        if line.reverses_line_id is not None
    }
    locations = uow.catalog.locations_by_id(uow.ledger.location_ids_of(original.id))
    return original, mirror(uow.ledger.entries_of(original.id, locations), line_for), booked


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
    if header.source_id is not None and header.document_type is DocumentType.RECEIPT:
        # Goods bought wait in 待检 for QC, where the warehouse has one.
        default = uow.catalog.inspection_location(header.warehouse_id) or default
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
        batch_id = 0
        if item.tracking is TrackingMode.BATCH:
            assert line.batch_no is not None  # required for batch items, checked at creation
            spec = BatchSpec(line.batch_no, line.production_date, line.expiry_date)
            batch_id = batch_coming_in(uow, item, spec, batches, pointer, errors)
        if item.tracking is TrackingMode.SERIAL:
            for serial_no in line.serials or []:
                key = (item.id, serial_no)
                if _on_the_shelf(
                    uow, (item, serial_no), found, owned, f"{pointer}/serials", errors
                ):
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
                    value=_line_value(line),
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
    value: Decimal | None = None,
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
        value=value,
    )


def _line_value(line: LineRecord) -> Decimal | None:
    """What a line in another unit than the base one is worth, exactly as entered.

    2 箱 at 10 is 20.00, not 24 个 at 0.833333 (19.999992, rounded 20.00 only while the
    quantity is small). None where the cost per base unit is the cost as entered.
    """
    if line.line_unit_cost is None or line.quantity == line.base_quantity:
        return None
    return round_money(line.quantity * line.line_unit_cost)


def _place(uow: UnitOfWork, location: Location) -> str:
    """A location as people name it: WAREHOUSE/LOCATION, or a virtual location's code."""
    if location.warehouse_id is None:
        return location.code
    return f"{uow.catalog.warehouse_code(location.warehouse_id)}/{location.code}"


def _refuse_what_it_could_not_move(
    uow: UnitOfWork, header: DocumentHeader, lines: list[LineRecord], actor: str
) -> None:
    """Serials and batches a document could not post, refused as it is saved, not at 执行.

    A receipt's serial in stock already, or its batch dates unlike the batch's own (or an
    earlier line's), or missing for a new batch; an issue's, a transfer's or a return's
    serial not in stock where the document takes it from, or held by another document,
    or a batch it names that does not exist.

    Raises:
        Invalid: one item per such serial or date (serial.already_in_stock,
            serial.not_in_stock, serial.in_other_warehouse, serial.reserved,
            serial.awaiting_qc, batch.dates_conflict, batch.date_required, batch.unknown …).
    """
    tracked = [line for line in lines if line.serials or line.batch_no]
    if not _names_what_it_moves(header.document_type) or not tracked:
        return
    items = uow.catalog.items_by_id({line.item_id for line in tracked})
    errors = ErrorCollector()
    if header.document_type.brings_stock_in:
        found = _serials_of(uow, tracked)
        owned = uow.catalog.locations_by_id({location for _, location in found.values()})
        for line in tracked:
            for serial_no in line.serials or []:
                serial = (items[line.item_id], serial_no)
                _on_the_shelf(uow, serial, found, owned, f"/lines/{line.line_no}/serials", errors)
        _batches_as_given(uow, tracked, items, errors)
    else:
        named = uow.catalog.locations_by_id(
            {line.location_id for line in tracked if line.location_id}
        )
        anywhere = uow.catalog.default_location(header.warehouse_id)

        def route(line: LineRecord) -> tuple[Location | None, Location]:
            return named.get(line.location_id or 0), anywhere  # the moves are not kept

        _moves_by_serial(uow, header, (tracked, items), route, (errors, actor))
        batched = [(line, (line.item_id, no)) for line in tracked if (no := line.batch_no)]
        known = uow.catalog.batches(key for _, key in batched)
        for line, key in batched:
            if key not in known:
                item = items[line.item_id].code
                errors.add(f"/lines/{line.line_no}/batch", "batch.unknown", batch=key[1], item=item)
    errors.raise_if_any()


def _batches_as_given(
    uow: UnitOfWork, lines: list[LineRecord], items: Mapping[int, Item], errors: ErrorCollector
) -> None:
    """Collect the batch dates of incoming lines that their posting would refuse."""
    batched = [
        (line, (line.item_id, batch_no))
        for line in lines
        if (batch_no := line.batch_no) and items[line.item_id].tracking is TrackingMode.BATCH
    ]
    known = uow.catalog.batches(key for _, key in batched)
    for line, key in batched:
        spec = BatchSpec(key[1], line.production_date, line.expiry_date)
        dates = _batch_as_given(
            items[line.item_id], spec, known.get(key), f"/lines/{line.line_no}", errors
        )
        if key not in known and dates is not None:  # as the line's posting would make it
            known[key] = BatchRecord(0, *dates)


def _names_what_it_moves(kind: DocumentType) -> bool:
    """Whether a document's own lines name the serials and batches it moves.

    An order's do not (it holds a count), nor a 红冲's (it mirrors what was posted).
    """
    return not kind.is_order and kind is not DocumentType.REVERSAL


def _on_the_shelf(
    uow: UnitOfWork,
    serial: tuple[Item, str],
    found: Mapping[tuple[int, str], tuple[int, int]],
    locations: Mapping[int, Location],
    pointer: str,
    errors: ErrorCollector,
) -> bool:
    """Whether a serial coming in is in stock already (``errors`` then say where)."""
    item, serial_no = serial
    known = found.get((item.id, serial_no))
    if known is None or not locations[known[1]].is_owned:
        return False
    errors.add(
        pointer,
        "serial.already_in_stock",
        serial=serial_no,
        item=item.code,
        location=_place(uow, locations[known[1]]),
    )
    return True


def _serials_of(uow: UnitOfWork, lines: list[LineRecord]) -> dict[tuple[int, str], tuple[int, int]]:
    """Every serial the lines name that is known: (item id, serial) → (id, location id)."""
    return uow.catalog.serials(
        (line.item_id, serial) for line in lines for serial in line.serials or []
    )


def batch_coming_in(
    uow: UnitOfWork,
    item: Item,
    spec: BatchSpec,
    batches: dict[tuple[int, str], BatchRecord],
    pointer: str,
    errors: ErrorCollector,
) -> int:
    """The id of a batch goods come in as, created (and remembered in ``batches``) if new.

    Dates given for a known batch must be its own. 0 where ``errors`` got the problem.
    """
    existing = batches.get((item.id, spec.batch_no))
    dates = _batch_as_given(item, spec, existing, pointer, errors)
    if existing is not None:
        return int(existing.id)
    if dates is None:
        return 0
    batch_id = uow.catalog.add_batch(item.id, spec.batch_no, *dates, uow.clock())
    batches[(item.id, spec.batch_no)] = BatchRecord(batch_id, *dates)
    return batch_id


def _batch_as_given(
    item: Item, spec: BatchSpec, known: BatchRecord | None, pointer: str, errors: ErrorCollector
) -> tuple[date, date] | None:
    """A new batch's dates as ``spec`` gives them, or None where ``errors`` got a problem.

    For a ``known`` batch, the dates given must be its own (None: they are not).
    """
    if known is not None:
        for field, given, own in (
            ("production_date", spec.production_date, known.production_date),
            ("expiry_date", spec.expiry_date, known.expiry_date),
        ):
            if given is not None and given != own:
                errors.add(
                    f"{pointer}/{field}",
                    "batch.dates_conflict",
                    batch=spec.batch_no,
                    field=field,
                    given=str(given),
                    known=str(own),
                )
        return None
    try:
        return batch_dates(item, spec)
    except Invalid as error:
        errors.extend(error, f"{pointer}/batch")
        return None


def _outgoing_moves(
    uow: UnitOfWork,
    header: DocumentHeader,
    lines: list[LineRecord],
    items: dict[int, Item],
    actor: str,
) -> list[Move]:
    """Moves of an issue or a transfer's shipment: from stock picked by FEFO, or the serials.

    A put-away's lines each go to their own location in the warehouse.
    """
    within = uow.catalog.locations_by_id(
        {line.to_location_id for line in lines if line.to_location_id}
        if header.document_type.moves_within
        else set()
    )
    if header.document_type is DocumentType.TRANSFER:
        assert header.to_warehouse_id is not None
        target = uow.catalog.transit_location(header.to_warehouse_id)
    elif header.document_type.moves_within:
        target = uow.catalog.default_location(header.warehouse_id)  # each line names its own
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
    taken: dict[tuple[int, int, int], Decimal] = {}  # by earlier lines
    # Goods must be good on the day they leave: an order's, on the day its deliveries go,
    # no earlier than today (a back-dated or reopened order holds no batch gone off since).
    leaves_on = (
        max(header.business_date, uow.today())
        if header.document_type.is_order
        else header.business_date
    )
    for_sale = header.document_type in (DocumentType.SALES_ORDER, DocumentType.SALES_DELIVERY)
    # A purchase return sends back from 待检 first what its receipt line left there.
    returned_from = (
        uow.orders.sources_of_lines([line.id for line in lines])
        if header.document_type is DocumentType.PURCHASE_RETURN
        else {}
    )
    rejects = uow.orders.rejects_left(set(returned_from.values()))
    stock = uow.balances.slots(
        [line.item_id for line in lines if not _by_serial(items[line.item_id], line)],
        header.warehouse_id,
    )
    batches = uow.catalog.batches((line.item_id, line.batch_no) for line in lines if line.batch_no)

    def route(line: LineRecord) -> tuple[Location | None, Location]:
        return named.get(line.location_id or 0), within.get(line.to_location_id or 0, target)

    by_serial = _moves_by_serial(uow, header, (lines, items), route, (errors, actor))
    # Lock order: by item, so two documents over the same items cannot deadlock.
    for line in sorted(lines, key=lambda line: (line.item_id, line.line_no)):
        item = items[line.item_id]
        source = named.get(line.location_id) if line.location_id else None
        pointer = f"/lines/{line.line_no}"
        goes_to = within.get(line.to_location_id or 0, target)
        if line.id in by_serial:
            moves.extend(by_serial[line.id])
            continue
        batch_id = None
        if line.batch_no:
            batch = batches.get((item.id, line.batch_no))
            if batch is None:
                errors.add(f"{pointer}/batch", "batch.unknown", batch=line.batch_no, item=item.code)
                continue
            if for_sale and expired(batch.expiry_date, leaves_on):
                errors.add(
                    f"{pointer}/batch",
                    "batch.expired_not_for_sale",
                    line=line.line_no,
                    item=item.code,
                    batch=line.batch_no,
                    expiry=str(batch.expiry_date),
                )
                continue
            batch_id = batch.id
        origin = returned_from.get(line.id, 0)
        slots = [
            slot._replace(available=slot.available - used)
            if (used := taken.get((item.id, slot.location.id, slot.batch_id)))
            else slot
            for slot in stock[item.id]
            if (
                slot.location.id == source.id
                if source
                else not slot.held_back or (origin, slot.location.id) in rejects
            )
            and (batch_id is None or slot.batch_id == batch_id)
        ]
        if not source:  # 待检 gives no more than this receipt line left there
            slots = [
                slot._replace(available=min(slot.available, rejects[(origin, slot.location.id)]))
                if slot.held_back
                else slot
                for slot in slots
            ]
        gone_off = ZERO
        if batch_id is None:
            slots, gone_off = unexpired(slots, leaves_on)
        picks, missing = (allocate_held_back_first if returned_from else allocate)(
            line.base_quantity, slots
        )
        for slot, quantity in picks:
            key = (item.id, slot.location.id, slot.batch_id)
            taken[key] = taken.get(key, ZERO) + quantity
            if slot.held_back and not source:
                rejects[(origin, slot.location.id)] -= quantity
            moves.append(
                _move(line, item, slot.location, goes_to, quantity, slot.batch_id, slot.batch_no)
            )
        if missing <= 0:
            continue
        place = source or default
        if place.allow_negative_stock and (batch_id or item.tracking is TrackingMode.NONE):
            moves.append(_move(line, item, place, goes_to, missing, batch_id or 0, line.batch_no))
        else:
            short.add(
                pointer,
                "stock.line_short",
                lines=str(line.line_no),
                item=item.code,
                location=source.label if source else warehouse_code,
                batch=f"/{line.batch_no}" if line.batch_no else "",
                requested=str(normalized(line.base_quantity)),
                available=str(normalized(line.base_quantity - missing)),
                **({"expired": str(normalized(gone_off))} if gone_off else {}),
            )
    errors.raise_if_any()
    if short.items:
        raise InsufficientStock(sorted(short.items, key=lambda i: int(i.pointer.split("/")[2])))
    return moves


def _moves_by_serial(
    uow: UnitOfWork,
    header: DocumentHeader,
    taking: tuple[list[LineRecord], Mapping[int, Item]],
    route: Callable[[LineRecord], tuple[Location | None, Location]],
    told: tuple[ErrorCollector, str],
) -> dict[int, list[Move]]:
    """The moves of the lines that take stock serial by serial, by line id.

    ``route``: a line's location (None: anywhere in the warehouse) and destination.
    ``told``: where refusals go (a serial not there, or held by another document), and
    who is told where a serial is.
    """
    lines, items = taking
    errors, actor = told
    serials = _serials_of(uow, lines)
    held = uow.balances.serials_held([serial_id for serial_id, _ in serials.values()], header.id)
    places = uow.catalog.locations_by_id({location for _, location in serials.values()})
    moves: dict[int, list[Move]] = {}
    for line in sorted(lines, key=lambda line: (line.item_id, line.line_no)):
        item = items[line.item_id]
        if not _by_serial(item, line):
            continue
        elsewhere = {
            serial_no: held[known[0]]
            for serial_no in line.serials or []
            if (known := serials.get((item.id, serial_no))) is not None and known[0] in held
        }
        for serial_no, number in elsewhere.items():
            errors.add(
                f"/lines/{line.line_no}/serials",
                "serial.reserved",
                serial=serial_no,
                item=item.code,
                number=number,
            )
        moves[line.id] = _serial_moves(
            uow, header, line, item, route(line), serials, places, errors, (set(elsewhere), actor)
        )
    return moves


def _by_serial(item: Item, line: LineRecord) -> bool:
    """Whether a line's stock is taken serial by serial; an order holds serial items by count."""
    return item.tracking is TrackingMode.SERIAL and bool(line.serials)


def _serial_moves(
    uow: UnitOfWork,
    header: DocumentHeader,
    line: LineRecord,
    item: Item,
    route: tuple[Location | None, Location],
    found: dict[tuple[int, str], tuple[int, int]],
    places: dict[int, Location],
    errors: ErrorCollector,
    seen: tuple[set[str], str],
) -> list[Move]:
    """One move per serial of ``line``, each from where it is.

    ``found`` is as ``_serials_of`` gives it; a serial taken here is removed from it.
    ``seen``: the serials another document holds (reported already), and who is told
    where a serial is (only a warehouse they work in is named).
    """
    held_elsewhere, viewer = seen
    source, target = route
    pointer = f"/lines/{line.line_no}"
    moves = []
    for serial_no in line.serials or []:
        if serial_no in held_elsewhere:
            continue
        known = found.pop((item.id, serial_no), None)  # taken: a later line cannot have it too
        where = places.get(known[1]) if known else None
        if refuse_serial_not_here(
            uow,
            (header.warehouse_id, source),
            where,
            (item, serial_no),
            viewer,
            f"{pointer}/serials",
            errors,
            held_back_too=header.document_type is DocumentType.PURCHASE_RETURN,
        ):
            continue
        assert known is not None
        assert where is not None
        moves.append(_move(line, item, where, target, Decimal(1), serial_id=known[0]))
    return moves


def refuse_serial_not_here(
    uow: UnitOfWork,
    taken_from: tuple[int, Location | None],
    where: Location | None,
    serial: tuple[Item, str],
    viewer: str,
    pointer: str,
    errors: ErrorCollector,
    held_back_too: bool = False,
) -> bool:
    """Whether a serial at ``where`` (None: unknown) cannot go out; ``errors`` say why.

    ``taken_from``: the warehouse, and the location a line names (None: any in it). A
    serial in another warehouse is named there only to whom works in it. One awaiting QC
    (待检) goes out only where the line names its location, or ``held_back_too`` (a
    purchase return sends rejects back from there).
    """
    warehouse_id, source = taken_from
    item, serial_no = serial
    shelved = where is not None and where.kind is LocationKind.INTERNAL
    elsewhere = (
        place_seen_by(uow, where, viewer)
        if shelved and where is not None and where.warehouse_id != warehouse_id
        else None
    )
    if elsewhere is not None:
        errors.add(
            pointer,
            "serial.in_other_warehouse",
            serial=serial_no,
            item=item.code,
            location=elsewhere,
            warehouse=uow.catalog.warehouse_code(warehouse_id),
        )
        return True
    in_stock = (
        shelved
        and where is not None
        and where.warehouse_id == warehouse_id
        and (source is None or where.id == source.id)
    )
    if not in_stock:
        errors.add(
            pointer,
            "serial.not_in_stock",
            serial=serial_no,
            item=item.code,
            location=source.code if source else uow.catalog.warehouse_code(warehouse_id),
        )
        return True
    if where is not None and where.held_back and source is None and not held_back_too:
        errors.add(
            pointer, "serial.awaiting_qc", serial=serial_no, item=item.code, location=where.label
        )
        return True
    return False


def place_seen_by(uow: UnitOfWork, where: Location, viewer: str) -> str | None:
    """WAREHOUSE/LOCATION, if ``viewer`` works in that warehouse; None if not, or virtual.

    A unit in another warehouse is named there only to whom may see that warehouse.
    """
    if where.warehouse_id is None:
        return None
    visible = principal(uow, viewer).sees(uow.catalog.warehouse_code(where.warehouse_id))
    return _place(uow, where) if visible else None


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
