"""拣货 and 复核 of a sales delivery by scanning, before it ships.

Picking records what was taken from the shelf: the delivery's lines become what was
picked, batch by batch (a short pick delivers less; the rest stays open on the order),
and the workflow's ``pick`` step is taken. 复核 is a second scan of the same goods by
someone else: each scan is refused at once if it is not what was picked, and the
``check`` step is taken only when everything picked was found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jxc.db.repositories.documents import LineRecord
from jxc.db.uow import UnitOfWork
from jxc.domain.documents import DocumentHeader, DocumentType, check_line_tracking
from jxc.domain.errors import ErrorCollector, Invalid, NotFound
from jxc.domain.items import Item, TrackingMode
from jxc.domain.picking import (
    SCANNED_STEPS,
    Counted,
    check_complete,
    check_scanned,
    picked_per_row,
    shortfall,
)
from jxc.queries.orders import PickRow, pick_list
from jxc.services import documents
from jxc.services.auth import principal
from jxc.services.base import WrittenNumber, parse, reading, remember, replay, transactional
from jxc.services.documents import DocumentResult

PICK, CHECK = SCANNED_STEPS
MAX_SCANNED = 10_000


class ScannedIn(BaseModel):
    """What a scan found: an item, its batch (and serials), a count in base units."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    item: str = Field(min_length=1, max_length=64)
    batch: str | None = Field(default=None, max_length=64)
    quantity: WrittenNumber = Field(gt=0)
    unit: str | None = None  # the base unit where not given
    serials: tuple[str, ...] = ()


class ScansIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    scans: list[ScannedIn] = Field(max_length=MAX_SCANNED)


def _delivery(uow: UnitOfWork, actor: str, number: str) -> DocumentHeader:
    principal(uow, actor)
    header = uow.documents.header(number)
    if header is None or header.document_type is not DocumentType.SALES_DELIVERY:
        raise NotFound("delivery.unknown", {"number": number})
    return header


def _expected(lines: list[LineRecord], items: dict[int, Item]) -> list[Counted]:
    return [
        Counted(
            items[line.item_id].code, line.batch_no, line.base_quantity, tuple(line.serials or ())
        )
        for line in lines
    ]


def _lines(uow: UnitOfWork, header: DocumentHeader) -> tuple[list[LineRecord], dict[int, Item]]:
    lines = uow.documents.lines(header.id)
    return lines, uow.catalog.items_by_id({line.item_id for line in lines})


def _scanned(uow: UnitOfWork, data: ScansIn | dict[str, Any]) -> list[Counted]:
    """The scans in base units; an item the catalogue does not know counts as scanned."""
    scans = parse(ScansIn, data).scans
    items = uow.catalog.items_by_code({s.item for s in scans})
    counted = []
    for index, scan in enumerate(scans, start=1):
        found = items.get(scan.item)
        try:
            quantity = found.to_base(scan.quantity, scan.unit) if found else scan.quantity
        except Invalid as error:
            raise Invalid(error.code, {**error.params, "scan": index}) from None
        counted.append(Counted(scan.item, scan.batch, quantity, scan.serials))
    return counted


def _check_on_the_shelf(
    uow: UnitOfWork,
    actor: str,
    header: DocumentHeader,
    picked: list[ScannedIn],
    counted: list[Counted],
) -> None:
    """Refuse a picked batch or serial that shipping would not find.

    Caught at the scan, not at 发运 after the pick and its 复核, when the delivery could
    only be voided. A picked batch item needs its batch: the pick says which.

    Raises:
        Invalid: batch.required, batch.unknown, batch.not_here (none on the warehouse's
            shelves), serial.unknown, serial.in_other_warehouse, serial.not_in_stock, and
            what ``check_line_tracking`` refuses.
    """
    items = uow.catalog.items_by_code({scan.item for scan in picked})
    known = [(items[s.item], s, c) for s, c in zip(picked, counted, strict=True) if s.item in items]
    batches = uow.catalog.batches((item.id, scan.batch) for item, scan, _ in known if scan.batch)
    serials = uow.catalog.serials(
        (item.id, serial) for item, scan, _ in known for serial in scan.serials
    )
    places = uow.catalog.locations_by_id({location for _, location in serials.values()})
    here = uow.balances.batches_on_hand({b.id for b in batches.values()}, header.warehouse_id)
    # where stock may go negative, a batch ships whatever is on hand (as posting allows)
    negative_allowed = uow.catalog.default_location(header.warehouse_id).allow_negative_stock
    warehouse = uow.catalog.warehouse_code(header.warehouse_id)
    errors = ErrorCollector()
    for item, scan, base in known:
        check_line_tracking(
            item,
            base.quantity,
            scan.batch,
            scan.serials,
            header.document_type,
            "/scans",
            errors,
        )
        if item.tracking is TrackingMode.BATCH:
            batch = batches.get((item.id, scan.batch)) if scan.batch else None
            if not scan.batch:
                errors.add("/scans", "batch.required", item=item.code)
            elif batch is None:
                errors.add("/scans", "batch.unknown", batch=scan.batch, item=item.code)
            elif batch.id not in here and not negative_allowed:
                errors.add(
                    "/scans",
                    "batch.not_here",
                    batch=scan.batch,
                    item=item.code,
                    warehouse=warehouse,
                )
        for serial in scan.serials if item.tracking is TrackingMode.SERIAL else ():
            found = serials.get((item.id, serial))
            if found is None:
                errors.add("/scans", "serial.unknown", serial=serial)
                continue
            documents.refuse_serial_not_here(
                uow,
                (header.warehouse_id, None),
                places[found[1]],
                (item, serial),
                actor,
                "/scans",
                errors,
            )
    errors.raise_if_any()


def _as_picked(expected: list[Counted], scanned: list[Counted]) -> list[Counted]:
    """Scans of an item the delivery takes by FEFO (no batch on its line) count by item."""
    unbatched = {row.item for row in expected if row.batch is None}
    return [replace(s, batch=None) if s.item in unbatched else s for s in scanned]


@reading
def check_step_open(uow: UnitOfWork, actor: str, number: str, step: str) -> None:
    """Refuse a pick or check screen to whom the step would refuse, before they scan.

    A delivery past that step (Back, a stale tab), a user whose role does not take it, the
    picker at the 复核.

    Raises:
        NotFound: delivery.unknown.
        Conflict: workflow.transition_not_allowed, naming the state and what it allows.
        Forbidden: workflow.role_required, workflow.same_person.
        Invalid: workflow.unknown_step (its workflow has no such step).
    """
    documents.check_may_take(uow, actor, _delivery(uow, actor, number), step)


@reading
def check_scans(
    uow: UnitOfWork, actor: str, number: str, step: str, scans: ScansIn | dict[str, Any]
) -> None:
    """Refuse the scans so far the moment one is not on the delivery (one scan at a time).

    Raises:
        NotFound: delivery.unknown.
        Conflict: workflow.transition_not_allowed (the delivery is past this step).
        Invalid: scan.item_not_on_delivery, scan.wrong_batch (复核), scan.too_many,
            workflow.unknown_step.
    """
    header = _delivery(uow, actor, number)
    documents.check_may_take(uow, actor, header, step)
    expected = _expected(*_lines(uow, header))
    parsed = parse(ScansIn, scans)
    scanned = _scanned(uow, parsed)
    if step == CHECK:
        check_scanned(expected, _as_picked(expected, scanned), by_batch=True).raise_if_any()
    else:
        check_scanned(expected, scanned, by_batch=False).raise_if_any()
        _check_on_the_shelf(uow, actor, header, parsed.scans, scanned)


@reading
def pick_progress(
    uow: UnitOfWork, actor: str, number: str, scans: ScansIn | dict[str, Any]
) -> list[tuple[PickRow, Decimal]]:
    """拣货单, each row with what the scans so far took of it (base units).

    Raises:
        NotFound: delivery.unknown (to ``actor`` too, outside their warehouses).
    """
    _delivery(uow, actor, number)
    rows = pick_list(uow.connection, number)
    wanted = [Counted(row.item, row.batch, row.quantity) for row in rows]
    return list(zip(rows, picked_per_row(wanted, _scanned(uow, scans)), strict=True))


@transactional
def pick(
    uow: UnitOfWork,
    actor: str,
    number: str,
    scans: ScansIn | dict[str, Any],
    request_id: str | None = None,
    short_confirmed: bool = True,
) -> DocumentResult:
    """拣货: the delivery's lines become what was picked, and its ``pick`` step is taken.

    ``short_confirmed``: a pick of less than the delivery is meant (the web asks first).

    Raises:
        NotFound: delivery.unknown.
        Invalid: scan.nothing_picked, batch.required (a batch item picked without its
            batch), scan.picked_short (unconfirmed), what ``check_scans`` refuses, and what
            editing the lines refuses.
        Conflict: document.not_editable (picked already), the step's refusals.
    """

    def picked(header: DocumentHeader, parsed: ScansIn) -> None:
        if not parsed.scans:
            errors = ErrorCollector()
            errors.add("/scans", "scan.nothing_picked", number=number)
            errors.raise_if_any()
        lines, items = _lines(uow, header)
        counted = _scanned(uow, parsed)
        check_scanned(_expected(lines, items), counted, by_batch=False).raise_if_any()
        _check_on_the_shelf(uow, actor, header, parsed.scans, counted)
        if not short_confirmed:
            shortfall(_expected(lines, items), counted).raise_if_any()
        rows = _picked_lines(uow, header, lines, items, parsed.scans, counted)
        documents.editing(uow, actor, number, {"lines": rows}, unchanged_refused=False)

    return _scanned_step(uow, actor, number, scans, request_id, PICK, picked)


def _picked_lines(
    uow: UnitOfWork,
    header: DocumentHeader,
    lines: list[LineRecord],
    items: dict[int, Item],
    picked: list[ScannedIn],
    counted: list[Counted],
) -> list[dict[str, Any]]:
    """The delivery's lines, each cut into what was picked of its item, batch by batch."""
    sources = uow.orders.sources_of_lines([line.id for line in lines])
    order_id = header.source_id
    assert order_id is not None
    order_line_no = {p.line_id: p.line_no for p in uow.orders.progress(order_id)}
    pool: dict[str, list[list[Any]]] = defaultdict(list)  # item → [batch, quantity, serials]
    for scan, base in zip(picked, counted, strict=True):
        pool[scan.item].append([scan.batch, base.quantity, list(scan.serials)])
    result: list[dict[str, Any]] = []
    for line in lines:
        item = items[line.item_id]
        wanted = line.base_quantity
        for chunk in pool[item.code]:
            if wanted <= 0:
                break
            taken = min(wanted, chunk[1])
            if taken <= 0:
                continue
            serials = chunk[2][: int(taken)] if chunk[2] else []
            chunk[1] -= taken
            chunk[2] = chunk[2][len(serials) :]
            wanted -= taken
            result.append(
                {
                    "item": item.code,
                    "quantity": str(taken),
                    "batch": chunk[0],
                    "serials": serials,
                    "source_line": order_line_no[sources[line.id]],
                }
            )
    return result


@transactional
def check(
    uow: UnitOfWork,
    actor: str,
    number: str,
    scans: ScansIn | dict[str, Any],
    request_id: str | None = None,
) -> DocumentResult:
    """复核 handed in: everything picked was scanned again; the ``check`` step is taken.

    Raises:
        NotFound: delivery.unknown.
        Invalid: scan.item_not_on_delivery, scan.wrong_batch, scan.too_many, scan.missing.
        Conflict, Forbidden, Invalid: the step's own refusals (复核 by the picker …).
    """

    def checked(header: DocumentHeader, parsed: ScansIn) -> None:
        expected = _expected(*_lines(uow, header))
        check_complete(expected, _as_picked(expected, _scanned(uow, parsed))).raise_if_any()

    return _scanned_step(uow, actor, number, scans, request_id, CHECK, checked)


def _scanned_step(
    uow: UnitOfWork,
    actor: str,
    number: str,
    scans: ScansIn | dict[str, Any],
    request_id: str | None,
    step: str,
    before: Callable[[DocumentHeader, ScansIn], None],
) -> DocumentResult:
    """Take a delivery's ``step`` once ``before`` accepted the scans; a replay changes nothing."""
    parsed = parse(ScansIn, scans)
    payload = {"number": number, "scans": parsed.model_dump(mode="json")}
    seen = replay(uow, actor, request_id, f"deliveries.{step}", payload)
    if seen is not None:
        return DocumentResult.from_dict(seen)
    before(_delivery(uow, actor, number), parsed)
    result = documents.stepping(uow, actor, number, step, scanned=True)
    remember(uow, actor, request_id, f"deliveries.{step}", payload, result.to_dict())
    uow.commit()
    return result
