"""Stocktakes (盘点): plan → start (freeze the book) → count → hand in → recount → approve.

Approving posts the differences as two ordinary documents through the one posting
function: a 盘盈 receipt and a 盘亏 issue against ``INVENTORY-LOSS``, valued at the
current cost, each naming the stocktake; so every unit a count found or lost is traced
to the document that moved it.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jxc.db.repositories.catalog import BatchRecord
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.auth import Action, Principal, authorize_step
from jxc.domain.documents import BatchSpec, DocumentType, check_produced_by, numbered
from jxc.domain.errors import (
    Conflict,
    DomainError,
    ErrorCollector,
    Forbidden,
    Invalid,
    NotFound,
    line_of,
    line_order,
    lines_not_named,
)
from jxc.domain.items import Item, TrackingMode
from jxc.domain.locations import VARIANCE_LOCATION, Location, LocationKind
from jxc.domain.quantities import ZERO, normalized, round_money
from jxc.domain.stock import BalanceKey
from jxc.domain.stocktakes import (
    ACTIVE_STATES,
    CountedSerial,
    CountLine,
    CountMode,
    Difference,
    Notice,
    StocktakeHeader,
    StocktakeState,
    abc_classes,
    after_count,
    check_no_overlap,
    check_ready,
    check_recounter,
    check_serials_counted,
    check_state,
    counted_base,
    expired_batch_notice,
    over_tolerance,
    quantity_difference,
    serial_difference,
)
from jxc.domain.workflow import SecondApproval
from jxc.queries import documents as document_queries
from jxc.queries import stocktakes as stocktake_queries
from jxc.services import documents, posting, workflows
from jxc.services.auth import principal, require
from jxc.services.base import WrittenNumber, parse, reading, remember, replay, transactional

PREFIX = "PD"
MAX_COUNT_LINES = 1000  # one request of counts; a phone sends one scan at a time


class PlanIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    warehouse: str = Field(min_length=1, max_length=32)
    locations: tuple[str, ...] = Field(default=(), max_length=500)
    category: str | None = Field(default=None, min_length=1, max_length=100)
    abc_class: Literal["A", "B", "C"] | None = None
    not_counted_days: int | None = Field(default=None, ge=1, le=3650)
    blind: bool = True
    tolerance_percent: WrittenNumber = Field(default=Decimal(5), ge=0, le=100, decimal_places=2)
    note: str | None = Field(default=None, max_length=500)


class CountIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    item: str = Field(min_length=1, max_length=64)
    quantity: WrittenNumber
    unit: str | None = None
    location: str | None = Field(default=None, min_length=1, max_length=64)
    batch: str | None = Field(default=None, min_length=1, max_length=64)
    # a batch the books do not know, found on the shelf: its dates, as a receipt gives them
    production_date: date | None = None
    expiry_date: date | None = None
    # a serial-tracked item is counted unit by unit: the serials found (quantity: how many)
    serials: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = Field(
        default=(), max_length=MAX_COUNT_LINES
    )


class CountsIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    mode: CountMode = CountMode.SET
    lines: list[CountIn] = Field(min_length=1, max_length=MAX_COUNT_LINES)


@dataclass(frozen=True)
class StocktakeResult:
    number: str
    state: str
    lines: int
    recounts: int = 0
    gain: str | None = None  # 盘盈 receipt
    loss: str | None = None  # 盘亏 issue
    entries: int = 0  # ledger entries the approval wrote
    # 预占 the 盘亏 took back from orders: {"document", "line" (item@location/batch), "quantity"}
    released: list[dict[str, str]] = field(default_factory=list)
    # A 盘亏 over the 二级审核 value, left for its second approver: {"value", "over", "roles"}
    second_approval: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _result(seen: dict[str, Any]) -> StocktakeResult:
    return StocktakeResult(**{k: v for k, v in seen.items() if not k.startswith("_")})


def _replayed(
    uow: UnitOfWork, actor: str, request_id: str | None, step: str, payload: dict[str, Any]
) -> StocktakeResult | None:
    """The first result of a request replayed with its id, or None for a new one."""
    seen = replay(uow, actor, request_id, f"stocktakes.{step}", payload)
    return None if seen is None else _result(seen)


def _settle(
    uow: UnitOfWork,
    actor: str,
    step: str,
    states: tuple[StocktakeState | None, StocktakeState | None],
    result: StocktakeResult,
    details: dict[str, Any],
    request_id: str | None,
    payload: dict[str, Any],
    audited_as: str | None = None,
) -> StocktakeResult:
    """A step done: audited, remembered for a replay of its request, and committed.

    ``states``: the stocktake's state before and after the step, where it moved one.
    """
    uow.record(
        AuditEntry(
            actor,
            f"stocktake.{audited_as or step}",
            "stocktake",
            result.number,
            details,
            *(state.value if state else None for state in states),
        )
    )
    remember(uow, actor, request_id, f"stocktakes.{step}", payload, result.to_dict())
    uow.commit()
    return result


def _found(uow: UnitOfWork, number: str, for_update: bool = True) -> StocktakeHeader:
    header = uow.stocktakes.header(number, for_update=for_update)
    if header is None:
        raise NotFound("stocktake.unknown", {"number": number})
    return header


def _require(uow: UnitOfWork, actor: str, action: Action, header: StocktakeHeader) -> str:
    warehouse = uow.catalog.warehouse_code(header.warehouse_id)
    require(uow, actor, action, warehouses=[warehouse])
    return warehouse


@transactional
def plan(
    uow: UnitOfWork, actor: str, data: PlanIn | dict[str, Any], request_id: str | None = None
) -> StocktakeResult:
    """计划盘点: choose what to count; nothing is frozen until it starts.

    Raises:
        Invalid: input.invalid, location.unknown, location.not_internal, stocktake.category_empty.
        NotFound: warehouse.unknown.
        Forbidden: auth.forbidden_in_warehouse.
    """
    wanted = parse(PlanIn, data)
    payload = {**wanted.model_dump(mode="json"), "actor": actor}
    seen = _replayed(uow, actor, request_id, "plan", payload)
    if seen is not None:
        return seen
    warehouse = uow.catalog.warehouses_by_code([wanted.warehouse]).get(wanted.warehouse)
    if warehouse is None:
        raise NotFound("warehouse.unknown", {"warehouse": wanted.warehouse})
    require(uow, actor, Action.STOCKTAKE_PLAN, warehouses=[warehouse.code])
    errors = ErrorCollector()
    locations = uow.catalog.locations_by_code(warehouse.id, set(wanted.locations))
    for index, code in enumerate(wanted.locations, start=1):
        if code not in locations:
            errors.add(
                f"/locations/{index}", "location.unknown", location=code, warehouse=warehouse.code
            )
        elif locations[code].kind is not LocationKind.INTERNAL:
            errors.add(f"/locations/{index}", "location.not_internal", location=code)
    if wanted.category and not uow.stocktakes.items_in_category(wanted.category):
        errors.add("/category", "stocktake.category_empty", category=wanted.category)
    errors.raise_if_any()
    now, today = uow.clock(), uow.today()
    number = numbered(PREFIX, today, uow.documents.next_sequence(PREFIX, today))
    scope = {
        "locations": list(wanted.locations),
        "category": wanted.category,
        "abc_class": wanted.abc_class,
        "not_counted_days": wanted.not_counted_days,
    }
    uow.stocktakes.add(
        {
            "number": number,
            "warehouse_id": warehouse.id,
            "state": StocktakeState.PLANNED.value,
            "blind": wanted.blind,
            "tolerance_percent": wanted.tolerance_percent,
            "scope": scope,
            "note": wanted.note,
            "created_by": actor,
            "created_at": now,
        }
    )
    result = StocktakeResult(number, StocktakeState.PLANNED.value, 0)
    return _settle(
        uow, actor, "plan", (None, StocktakeState.PLANNED), result, payload, request_id, payload
    )


@transactional
def start(
    uow: UnitOfWork, actor: str, number: str, request_id: str | None = None
) -> StocktakeResult:
    """开始盘点: freeze the book of everything in scope; work goes on meanwhile.

    Raises:
        NotFound: stocktake.unknown.
        Conflict: stocktake.wrong_state, stocktake.nothing_in_scope.
        Forbidden: auth.forbidden_in_warehouse.
    """
    payload = {"number": number, "actor": actor}
    seen = _replayed(uow, actor, request_id, "start", payload)
    if seen is not None:
        return seen
    header = _found(uow, number)
    _require(uow, actor, Action.STOCKTAKE_PLAN, header)
    check_state(header, StocktakeState.PLANNED)
    location_ids = _scope_locations(uow, header)
    item_ids = _scope_items(uow, header)
    if not location_ids or (item_ids is not None and not item_ids):
        raise Conflict("stocktake.nothing_in_scope", {"number": number})
    check_no_overlap(number, location_ids, item_ids, uow.stocktakes.active_in(header.warehouse_id))
    frozen = uow.stocktakes.freeze(header.id, location_ids, item_ids)
    now = uow.clock()
    scope = {
        "locations": list(header.scope.locations),
        "category": header.scope.category,
        "abc_class": header.scope.abc_class,
        "not_counted_days": header.scope.not_counted_days,
        "location_ids": sorted(location_ids),
        "item_ids": None if item_ids is None else sorted(item_ids),
    }
    uow.stocktakes.move(
        header.id,
        StocktakeState.COUNTING,
        {"started_by": actor, "started_at": now, "scope": scope},
    )
    result = StocktakeResult(number, StocktakeState.COUNTING.value, frozen)
    states = (header.state, StocktakeState.COUNTING)
    return _settle(uow, actor, "start", states, result, {"lines": frozen}, request_id, payload)


def _scope_locations(uow: UnitOfWork, header: StocktakeHeader) -> set[int]:
    """The internal locations counted: those named with every one below them, or all."""
    tree = uow.stocktakes.location_tree(header.warehouse_id)
    internal = {id_ for id_, _, _, kind in tree if kind == LocationKind.INTERNAL.value}
    if not header.scope.locations:
        return internal
    children: dict[int | None, list[int]] = {}
    for id_, parent, _, _ in tree:
        children.setdefault(parent, []).append(id_)
    chosen = [id_ for id_, _, code, _ in tree if code in header.scope.locations]
    found: set[int] = set()
    while chosen:
        current = chosen.pop()
        if current not in found:
            found.add(current)
            chosen.extend(children.get(current, ()))
    return found & internal


def _scope_items(uow: UnitOfWork, header: StocktakeHeader) -> set[int] | None:
    """The items counted, or None for every item."""
    scope = header.scope
    items: set[int] | None = None
    if scope.category:
        items = uow.stocktakes.items_in_category(scope.category)
    if scope.abc_class:
        classes = abc_classes(uow.stocktakes.stock_values(header.warehouse_id))
        chosen = {item_id for item_id, name in classes.items() if name == scope.abc_class}
        items = chosen if items is None else items & chosen
    if scope.not_counted_days:
        since = uow.clock() - timedelta(days=scope.not_counted_days)
        recent = uow.stocktakes.counted_since(header.warehouse_id, since)
        stocked = set(uow.stocktakes.stock_values(header.warehouse_id))
        chosen = stocked - recent
        items = chosen if items is None else items & chosen
    return items


@transactional
def count(
    uow: UnitOfWork,
    actor: str,
    number: str,
    data: CountsIn | dict[str, Any],
    request_id: str | None = None,
) -> StocktakeResult:
    """盘点录入: record what was found; a recount once the count is handed in.

    Each count also records the book at that moment, so what moved since the freeze is
    not mistaken for a difference. Every bad line is named at once; nothing is written.

    Raises:
        NotFound: stocktake.unknown.
        Conflict: stocktake.wrong_state.
        Invalid: item.unknown, location.unknown, batch.required, batch.unknown,
            stocktake.count_negative, stocktake.item_not_in_plan,
            stocktake.location_not_in_plan, stocktake.line_not_for_recount,
            stocktake.same_counter, unit.not_convertible, quantity.too_precise;
            for serial-tracked items, counted by serial: stocktake.serials_needed,
            serial.count_mismatch, serial.duplicated, stocktake.serial_counted_twice,
            serial.in_other_warehouse, stocktake.serial_booked_at,
            stocktake.serial_booked_elsewhere …
        Forbidden: auth.forbidden_in_warehouse.
    """
    counts, indexed, malformed = _counts_in(data)
    payload = {"number": number, "counts": counts.model_dump(mode="json"), "actor": actor}
    seen = None if malformed else _replayed(uow, actor, request_id, "count", payload)
    if seen is not None:
        return seen
    header = _found(uow, number)
    warehouse = _require(uow, actor, Action.STOCKTAKE_COUNT, header)
    check_state(header, StocktakeState.COUNTING, StocktakeState.REVIEWING)
    items = uow.catalog.items_by_code({line.item for line in counts.lines})
    locations = uow.catalog.locations_by_code(
        header.warehouse_id, {line.location for line in counts.lines if line.location}
    )
    default = uow.catalog.default_location(header.warehouse_id)
    batches = uow.catalog.batches(
        (items[line.item].id, line.batch)
        for line in counts.lines
        if line.batch and line.item in items
    )
    errors = ErrorCollector()
    recounting = header.state is StocktakeState.REVIEWING
    serials = _SerialsCounted.of(uow, header, actor, recounting, counts, items)
    now = uow.clock()
    for index, wanted in indexed:
        pointer = f"/lines/{index}"
        item = items.get(wanted.item)
        if item is None:
            errors.add(f"{pointer}/item", "item.unknown", item=wanted.item)
            continue
        location = locations.get(wanted.location) if wanted.location else default
        if location is None:
            errors.add(
                f"{pointer}/location",
                "location.unknown",
                location=wanted.location,
                warehouse=warehouse,
            )
            continue
        try:
            quantity = counted_base(item, wanted.quantity, wanted.unit)
        except Invalid as error:
            field = "unit" if error.code.startswith("unit.") else "quantity"
            errors.extend(error, f"{pointer}/{field}")
            quantity = None
        if wanted.production_date is not None:  # goods on the shelf were made by today
            dated = ErrorCollector()
            check_produced_by([(index, wanted.production_date)], uow.today(), dated)
            if dated.items:
                errors.items += dated.items
                continue
        batch_id = _batch_id(uow, item, wanted, quantity, batches, pointer, errors)
        if batch_id is None or quantity is None:
            continue
        key = (item.id, location.id, batch_id)
        line = uow.stocktakes.line(header.id, *key)
        try:
            serials.check(item, location, quantity, wanted.serials, line, counts.mode)
            if recounting:
                line_id = _recount(uow, actor, (header, line), counts.mode, quantity, item, now)
            else:
                names = (item.code, location.code)
                line_id = _count(uow, header, actor, line, key, names, counts.mode, quantity, now)
        except DomainError as error:
            errors.extend(error, pointer)
            continue
        if item.tracking is TrackingMode.SERIAL:
            serials.record(line_id, location, item, wanted.serials, counts.mode, now)
    if malformed is not None:  # what was counted above is rolled back with the refusal
        errors.items = sorted([*malformed.items, *errors.items], key=line_order)
    errors.raise_if_any()
    result = StocktakeResult(number, header.state.value, len(counts.lines))
    details = counts.model_dump(mode="json")
    audited = "recount" if recounting else "count"
    return _settle(uow, actor, "count", (None, None), result, details, request_id, payload, audited)


def _counts_in(
    data: CountsIn | dict[str, Any],
) -> tuple[CountsIn, list[tuple[int, CountIn]], Invalid | None]:
    """The counts, each with its line number; if some lines are malformed, the rest.

    A typo in one line (5O for 50) is reported with whatever is wrong in the others (an
    item not in the plan), not first and alone. Returns the error of the malformed lines
    to be raised with the others'.

    Raises:
        Invalid: only malformed lines, or a malformed mode.
    """
    try:
        counts = parse(CountsIn, data)
        return counts, list(enumerate(counts.lines, start=1)), None
    except Invalid as malformed:
        lines = data.get("lines") if isinstance(data, dict) else None
        indexed = []
        for index, line in lines_not_named(lines if isinstance(lines, list) else [], malformed):
            try:
                indexed.append((index, CountIn.model_validate(line)))
            except ValidationError:  # its problems hid behind another line's NUL character
                continue
        if any(not line_of(item) for item in malformed.items) or not indexed:
            raise
        rest = {**(data if isinstance(data, dict) else {}), "lines": [line for _, line in indexed]}
        return parse(CountsIn, rest), indexed, malformed


def _batch_id(
    uow: UnitOfWork,
    item: Item,
    wanted: CountIn,
    quantity: Decimal | None,
    batches: dict[tuple[int, str], BatchRecord],
    pointer: str,
    errors: ErrorCollector,
) -> int | None:
    """The batch a count line is of (0: the item has none); None where ``errors`` says why.

    Goods found of a batch the books never had (a receipt booked under another batch
    number, a label misread) are counted all the same: the batch is created with the
    dates the count gives, as a receipt would, so that its 盘盈 brings it in.
    """
    if item.tracking is not TrackingMode.BATCH:
        if wanted.batch:
            errors.add(f"{pointer}/batch", "batch.not_tracked", item=item.code)
            return None
        if wanted.production_date or wanted.expiry_date:
            errors.add(f"{pointer}/batch", "batch.dates_without_batch")
            return None
        return 0
    if not wanted.batch:
        errors.add(f"{pointer}/batch", "batch.required", item=item.code)
        return None
    known = batches.get((item.id, wanted.batch))
    if known is not None:  # what its label says of its dates is not the count's business
        return int(known.id)
    if quantity is None or quantity <= 0:
        errors.add(f"{pointer}/batch", "batch.unknown", item=item.code, batch=wanted.batch)
        return None
    spec = BatchSpec(wanted.batch, wanted.production_date, wanted.expiry_date)
    batch_id = documents.batch_coming_in(uow, item, spec, batches, pointer, errors)
    return batch_id or None


@dataclass
class _SerialsCounted:
    """The serials one count names, checked against those counted before and the books.

    One unit is counted once on each pass (a second scan of it is a double read); a unit
    the books hold elsewhere, in another warehouse or at another location of this one, is
    counted where the books hold it or moved here by a document first: a 盘盈 here and a
    盘亏 there would write off and bring in at once what only stood on the wrong shelf.
    """

    uow: UnitOfWork
    header: StocktakeHeader
    actor: str
    recount: bool
    earlier: dict[tuple[int, str], CountedSerial]  # this pass, before this request
    booked: dict[tuple[int, str], tuple[int, int]]  # (item, serial) → (serial id, location)
    places: dict[int, Location]
    in_request: dict[tuple[int, str], str] = field(default_factory=dict)  # → location code

    @classmethod
    def of(
        cls,
        uow: UnitOfWork,
        header: StocktakeHeader,
        actor: str,
        recount: bool,
        counts: CountsIn,
        items: dict[str, Item],
    ) -> _SerialsCounted:
        named = {
            (items[line.item].id, serial)
            for line in counts.lines
            if line.item in items
            for serial in line.serials
        }
        earlier = {
            (counted.item_id, counted.serial_no): counted
            for counted in uow.stocktakes.counted_serials(header.id, {item for item, _ in named})
            if counted.recount == recount
        }
        booked = uow.catalog.serials(named)
        places = uow.catalog.locations_by_id(
            {location for _, location in booked.values()}
            | {counted.location_id for counted in earlier.values()}
        )
        return cls(uow, header, actor, recount, earlier, booked, places)

    def check(
        self,
        item: Item,
        location: Location,
        quantity: Decimal,
        serials: tuple[str, ...],
        line: CountLine | None,
        mode: CountMode,
    ) -> None:
        """Raises: Invalid, naming every serial that cannot be counted here now."""
        problems = ErrorCollector()
        try:
            check_serials_counted(item, quantity, serials)
        except Invalid as error:
            problems.extend(error, "/serials")
            problems.raise_if_any()
        for serial in serials:
            key = (item.id, serial)
            earlier = self.earlier.get(key)
            if mode is CountMode.SET and line is not None and earlier is not None:
                earlier = None if earlier.line_id == line.id else earlier  # counted anew
            where = self.in_request.get(key) or (
                self.places[earlier.location_id].code if earlier is not None else None
            )
            if where is not None:
                problems.add(
                    "/serials",
                    "stocktake.serial_counted_twice",
                    serial=serial,
                    item=item.code,
                    location=where,
                )
            else:
                self._check_booked(item, location, serial, problems)
        problems.raise_if_any()
        self.in_request.update({(item.id, serial): location.code for serial in serials})

    def _check_booked(
        self, item: Item, location: Location, serial: str, problems: ErrorCollector
    ) -> None:
        place = self.booked.get((item.id, serial))
        where = None if place is None else self.places[place[1]]
        if where is None or not where.is_owned:
            return  # unknown to the books, or sold or scrapped: goods found
        if where.warehouse_id == self.header.warehouse_id:
            if where.id != location.id:
                problems.add(
                    "/serials",
                    "stocktake.serial_booked_at",
                    serial=serial,
                    item=item.code,
                    location=where.code,
                )
            return
        elsewhere = documents.place_seen_by(self.uow, where, self.actor)
        if elsewhere is not None:
            problems.add(
                "/serials",
                "serial.in_other_warehouse",
                serial=serial,
                item=item.code,
                location=elsewhere,
                warehouse=self.uow.catalog.warehouse_code(self.header.warehouse_id),
            )
        else:
            problems.add(
                "/serials", "stocktake.serial_booked_elsewhere", serial=serial, item=item.code
            )

    def record(
        self,
        line_id: int,
        location: Location,
        item: Item,
        serials: tuple[str, ...],
        mode: CountMode,
        now: datetime,
    ) -> None:
        if mode is CountMode.SET:
            self.uow.stocktakes.clear_serials(line_id, self.recount)
            self.earlier = {
                key: counted for key, counted in self.earlier.items() if counted.line_id != line_id
            }
        self.uow.stocktakes.add_serials(
            [
                {
                    "stocktake_id": self.header.id,
                    "line_id": line_id,
                    "item_id": item.id,
                    "recount": self.recount,
                    "serial_no": serial,
                    "counted_by": self.actor,
                    "counted_at": now,
                }
                for serial in serials
            ]
        )
        self.earlier.update(
            {
                (item.id, serial): CountedSerial(
                    line_id, item.id, self.recount, serial, location.id, now
                )
                for serial in serials
            }
        )


def _count(
    uow: UnitOfWork,
    header: StocktakeHeader,
    actor: str,
    line: CountLine | None,
    key: tuple[int, int, int],
    names: tuple[str, str],
    mode: CountMode,
    quantity: Decimal,
    now: datetime,
) -> int:
    """A first count: of a frozen line, or of goods found where the book has none.

    Returns the line's id.
    """
    counted = {
        "counted_by": actor,
        "counted_at": now,
        "book_at_count": uow.stocktakes.on_hand(*key),
    }
    if line is not None:
        uow.stocktakes.update_line(
            line.id, {**counted, "counted": after_count(line.counted, mode, quantity)}
        )
        return line.id
    item_id, location_id, batch_id = key
    if header.scope.item_ids is not None and item_id not in header.scope.item_ids:
        raise Invalid("stocktake.item_not_in_plan", {"number": header.number, "item": names[0]})
    if location_id not in header.scope.location_ids:
        raise Invalid(
            "stocktake.location_not_in_plan", {"number": header.number, "location": names[1]}
        )
    return uow.stocktakes.add_line(
        {
            "stocktake_id": header.id,
            "item_id": item_id,
            "location_id": location_id,
            "batch_id": batch_id,
            "book_quantity": Decimal(0),
            "counted": quantity,
            **counted,
        }
    )


def _recount(
    uow: UnitOfWork,
    actor: str,
    at: tuple[StocktakeHeader, CountLine | None],
    mode: CountMode,
    quantity: Decimal,
    item: Item,
    now: datetime,
) -> int:
    header, line = at
    if line is None or not line.needs_recount:
        rows = stocktake_queries.count_lines(uow.connection, header.number)
        awaiting = [row.label for row in rows if row.item == item.code and row.line.awaits_recount]
        raise Invalid(
            "stocktake.line_not_for_recount",
            {"item": item.code, "recount_awaits": awaiting},
        )
    check_recounter(line, actor)
    uow.stocktakes.update_line(
        line.id,
        {
            "recounted": after_count(line.recounted, mode, quantity),
            "recounted_by": actor,
            "recounted_at": now,
            "book_at_recount": uow.stocktakes.on_hand(
                line.item_id, line.location_id, line.batch_id
            ),
        },
    )
    return line.id


@transactional
def hand_in(
    uow: UnitOfWork, actor: str, number: str, request_id: str | None = None
) -> StocktakeResult:
    """交盘: the count is done; every line over the tolerance goes for a recount.

    Raises:
        NotFound: stocktake.unknown.
        Conflict: stocktake.wrong_state, stocktake.lines_not_counted (naming them),
            stocktake.count_serials_again.
        Forbidden: auth.forbidden_in_warehouse.
    """
    payload = {"number": number, "actor": actor}
    seen = _replayed(uow, actor, request_id, "hand_in", payload)
    if seen is not None:
        return seen
    header = _found(uow, number)
    _require(uow, actor, Action.STOCKTAKE_COUNT, header)
    check_state(header, StocktakeState.COUNTING)
    rows = stocktake_queries.count_lines(uow.connection, number)
    check_ready(header, [row.label for row in rows if row.line.counted is None])
    by_serial = _serial_differences(uow, header, rows)
    recounts = [
        row.line.id
        for row in rows
        if row.line.counted is not None
        and row.line.book_at_count is not None
        and (
            over_tolerance(row.line.book_at_count, row.line.counted, header.tolerance_percent)
            # a serial found or missing is named by a second count before anything is posted
            or bool(by_serial.get(row.line.id))
        )
    ]
    uow.stocktakes.flag_recounts(recounts)
    uow.stocktakes.move(header.id, StocktakeState.REVIEWING, {})
    result = StocktakeResult(number, StocktakeState.REVIEWING.value, len(rows), len(recounts))
    details = {"lines": len(rows), "recounts": len(recounts)}
    return _settle(
        uow,
        actor,
        "hand_in",
        (header.state, StocktakeState.REVIEWING),
        result,
        details,
        request_id,
        payload,
    )


@transactional
def approve(
    uow: UnitOfWork, actor: str, number: str, request_id: str | None = None
) -> StocktakeResult:
    """审核盘点: post 盘盈 and 盘亏 for every difference, valued at the current cost.

    The difference of a line is its final count against the book when that count was
    taken (the freeze plus what moved since), applied to the stock as it is now.

    Raises:
        NotFound: stocktake.unknown.
        Conflict: stocktake.wrong_state, stocktake.lines_awaiting_recount (naming them),
            stocktake.count_serials_again, stock.insufficient (a loss larger than what is on
            hand now).
        Forbidden: stocktake.approver_counted, stocktake.same_approver (the second
            approval by the first approver: separation of duties, as for documents);
            auth.forbidden_in_warehouse; workflow.role_required (a second
            approval by a role the issue workflow does not name for it).

    A gain or a loss worth more than the issue workflow's 二级审核 limit is not posted on
    the first approval: the stocktake waits in ``first_approved`` for the second.

    A loss larger than what is available gives back what orders hold there, newest hold
    first: the count is the shelf's truth, so the books follow it. The result, the audit
    trail of the stocktake and of each order name what was given back.
    """
    payload = {"number": number, "actor": actor}
    seen = _replayed(uow, actor, request_id, "approve", payload)
    if seen is not None:
        return seen
    header = _found(uow, number)
    check_state(header, StocktakeState.REVIEWING, StocktakeState.FIRST_APPROVED)
    second = _second_approval(uow)
    warehouse = _approver(uow, actor, header, second)
    rows = stocktake_queries.count_lines(uow.connection, number)
    check_ready(header, [row.label for row in rows if row.line.final is None], for_recount=True)
    if any(actor in (row.line.counted_by, row.line.recounted_by) for row in rows):
        raise Forbidden("stocktake.approver_counted", {"number": number, "user": actor})
    items = uow.catalog.items_by_code({row.item for row in rows})
    differing = _differences(uow, header, rows)
    item_ids = {items[row.item].id for row, _ in differing}
    # Goods found of an item this warehouse has no cost for yet: the company's average.
    costs = {
        **uow.stocktakes.average_costs(item_ids),
        **uow.balances.unit_costs(item_ids, header.warehouse_id),
    }
    losses = [(row, difference) for row, difference in differing if difference.missing]
    # The larger of the two decides: a gain of a miscount books value out of thin air as
    # surely as a loss writes it off.
    weighed = max(
        (_value(differing, items, costs, gain), "gain" if gain else "loss")
        for gain in (False, True)
    )
    if header.state is StocktakeState.REVIEWING and second and weighed[0] > second.value_over:
        return _left_for_second_approval(
            uow, actor, header, (len(rows), len(differing)), weighed, second, (request_id, payload)
        )
    decided = {"stocktake": number}
    # what the approver was warned of, kept with the approval (the units are ours after it)
    labels = {row.line.id: row.label for row in rows}
    noticed = _notices(uow, rows, {row.line.id: difference for row, difference in differing})
    warned = [
        {"line": labels[line_id], "code": notice.code, "params": dict(notice.params)}
        for line_id, notices in noticed.items()
        for notice in notices
    ]
    released = _release_for_losses(uow, actor, number, losses)
    posted: dict[str, str | None] = {"gain": None, "loss": None}
    entries = 0
    for name, document_type in (("gain", DocumentType.RECEIPT), ("loss", DocumentType.ISSUE)):
        gain = document_type is DocumentType.RECEIPT
        lines = [
            {
                "item": row.item,
                "quantity": str(difference.found if gain else difference.missing),
                "location": row.location,
                "batch": row.batch,
                **(
                    {"serials": list(serials)}
                    if (serials := difference.found_serials if gain else difference.missing_serials)
                    else {}
                ),
                **({"unit_cost": str(costs.get(items[row.item].id, ZERO))} if gain else {}),
            }
            for row, difference in differing
            if (difference.found if gain else difference.missing)
        ]
        if lines:
            made = documents.posting_at_once(
                uow,
                actor,
                {
                    "document_type": document_type.value,
                    "warehouse": warehouse,
                    "counterpart": VARIANCE_LOCATION,
                    "note": f"{'盘盈' if gain else '盘亏'} {number}",
                    "lines": lines,
                },
                decided,
            )
            posted[name], entries = made.number, entries + made.entries
    documents_ids: dict[str, int] = {}
    for name, found in posted.items():
        document = uow.documents.header(found) if found else None
        if document is not None:
            documents_ids[f"{name}_document_id"] = document.id
    uow.stocktakes.move(
        header.id,
        StocktakeState.APPROVED,
        {"finished_by": actor, "finished_at": uow.clock(), **documents_ids},
    )
    result = StocktakeResult(
        number,
        StocktakeState.APPROVED.value,
        len(rows),
        gain=posted["gain"],
        loss=posted["loss"],
        entries=entries,
        released=released,
    )
    details: dict[str, Any] = {"lines": len(rows), "differences": len(differing), **posted}
    if released:
        details["released"] = released
    details["notices"] = warned  # empty too: the page then knows there were none
    return _settle(
        uow,
        actor,
        "approve",
        (header.state, StocktakeState.APPROVED),
        result,
        details,
        request_id,
        payload,
    )


@transactional
def cancel(
    uow: UnitOfWork, actor: str, number: str, reason: str, request_id: str | None = None
) -> StocktakeResult:
    """作废: a stocktake not approved yet is dropped, with a reason; nothing was posted.

    Raises:
        NotFound: stocktake.unknown.
        Conflict: stocktake.wrong_state.
        Invalid: workflow.reason_required.
        Forbidden: auth.forbidden_in_warehouse.
    """
    payload = {"number": number, "reason": reason, "actor": actor}
    seen = _replayed(uow, actor, request_id, "cancel", payload)
    if seen is not None:
        return seen
    if not reason.strip():
        raise Invalid("workflow.reason_required", {"action": "void", "number": number})
    header = _found(uow, number)
    _require(uow, actor, Action.STOCKTAKE_PLAN, header)
    check_state(header, StocktakeState.PLANNED, *ACTIVE_STATES)
    uow.stocktakes.move(
        header.id, StocktakeState.CANCELLED, {"finished_by": actor, "finished_at": uow.clock()}
    )
    result = StocktakeResult(number, StocktakeState.CANCELLED.value, 0)
    details = {"reason": reason}
    return _settle(
        uow,
        actor,
        "cancel",
        (header.state, StocktakeState.CANCELLED),
        result,
        details,
        request_id,
        payload,
    )


@dataclass(frozen=True)
class StocktakeView:
    stocktake: stocktake_queries.StocktakeRow
    lines: list[stocktake_queries.CountLineRow]
    shows_book: bool  # False while the count is blind to this user
    may_count: bool
    may_plan: bool
    may_approve: bool
    # Every shelf the plan covers, empty ones too: goods found there are counted as well.
    locations: list[str]
    released: list[dict[str, str]]  # 预占 its 盘亏 took back from orders
    # awaiting 二级审核: the value, the limit, who, and whether a gain or a loss weighed
    second_approval: dict[str, Any] | None
    # line id → the serials its latest count found (as blind as the counts themselves)
    serials: dict[int, list[str]] = field(default_factory=dict)
    # line id → the very units approval would post, for those who see the book
    serial_changes: dict[int, Difference] = field(default_factory=dict)
    # line id → what to know before approving: a unit the books say was sold, expired goods
    notices: dict[int, list[Notice]] = field(default_factory=dict)
    approval_withheld: Notice | None = None  # why this approver may not approve it

    @property
    def awaiting_recount(self) -> int:
        """Lines sent for a recount that nobody has recounted yet."""
        return sum(1 for row in self.lines if row.line.awaits_recount)


def _second_approval(uow: UnitOfWork) -> SecondApproval | None:
    """The 二级审核 a 盘亏 or 盘盈 needs: that of issues, as the count's losses post.

    One limit for both, so a gain cannot pass where a loss of the same value would not.
    """
    return workflows.definition(uow, DocumentType.ISSUE.value).second_approval


def _differences(
    uow: UnitOfWork, header: StocktakeHeader, rows: list[stocktake_queries.CountLineRow]
) -> list[tuple[stocktake_queries.CountLineRow, Difference]]:
    """Each line's difference that approval posts; serial-tracked lines unit by unit."""
    by_serial = _serial_differences(uow, header, rows)
    differing = []
    for row in rows:
        difference = (
            by_serial[row.line.id] if row.line.id in by_serial else quantity_difference(row.line)
        )
        if difference:
            differing.append((row, difference))
    return differing


def _serial_differences(
    uow: UnitOfWork, header: StocktakeHeader, rows: list[stocktake_queries.CountLineRow]
) -> dict[int, Difference]:
    """Line id → the difference of each counted serial-tracked line, unit by unit.

    The serials its latest count found against those the books place there now, less
    those a document moved since that count.

    Raises:
        Conflict: stocktake.count_serials_again (a line counted without its serials).
    """
    by_serial = [row for row in rows if row.by_serial and row.line.final is not None]
    if not by_serial:
        return {}
    counted: dict[tuple[int, bool], dict[str, datetime]] = defaultdict(dict)
    for serial in uow.stocktakes.counted_serials(
        header.id, {row.line.item_id for row in by_serial}
    ):
        counted[serial.line_id, serial.recount][serial.serial_no] = serial.counted_at
    found = {row.line.id: counted[row.line.id, row.line.final_pass[0]] for row in by_serial}
    # Counted before counts kept their serials (a database upgraded mid-count): as then,
    # such a line passes where its quantity agrees with the book and is refused where not.
    unlisted = [
        row
        for row in by_serial
        if (final := row.line.final) is not None and final[0] != len(found[row.line.id])
    ]
    differing = [row.label for row in unlisted if row.line.difference]
    if differing:
        raise Conflict(
            "stocktake.count_serials_again",
            {"number": header.number, "lines": ", ".join(differing)},
        )
    by_serial = [row for row in by_serial if row not in unlisted]
    booked = uow.catalog.serials_at({(row.line.item_id, row.line.location_id) for row in by_serial})
    ids = {
        (item_id, number): serial_id
        for (item_id, _), serials in booked.items()
        for number, serial_id in serials.items()
    }
    ids.update(
        {
            key: serial_id
            for key, (serial_id, _) in uow.catalog.serials(
                (row.line.item_id, number) for row in by_serial for number in found[row.line.id]
            ).items()
        }
    )
    last_moved = uow.ledger.serials_last_moved(set(ids.values()))

    def moved_since(item_id: int, number: str, seen: datetime | None) -> bool:
        serial_id = ids.get((item_id, number))
        return seen is not None and serial_id in last_moved and last_moved[serial_id] > seen

    differences = {}
    for row in by_serial:
        item_id, line_counted = row.line.item_id, row.line.final_pass[1]
        here = booked[item_id, row.line.location_id]
        seen = found[row.line.id]
        # a unit counted is judged from its own scan, one booked here from the line's count
        moved = {number for number, at in seen.items() if moved_since(item_id, number, at)} | {
            number for number in here if moved_since(item_id, number, line_counted)
        }
        differences[row.line.id] = serial_difference(seen, here, moved)
    return differences


def _serials_posted(
    uow: UnitOfWork,
    rows: list[stocktake_queries.CountLineRow],
    gain: str | None,
    loss: str | None,
) -> dict[int, Difference]:
    """Line id → the serials an approved stocktake's 盘盈 and 盘亏 posted at its place."""
    lines: dict[tuple[str, str | None], int] = {
        (row.item, row.location): row.line.id for row in rows if row.by_serial
    }
    serials: dict[tuple[int, bool], list[str]] = defaultdict(list)  # (line, found) → serials
    for number, found in ((gain, True), (loss, False)):
        if number is None:
            continue
        _, posted = document_queries.document(uow.connection, number)
        for line in posted:
            if line.serials and (line.item, line.location) in lines:
                serials[lines[line.item, line.location], found] += line.serials
    return {
        line_id: Difference(
            Decimal(len(serials[line_id, True])),
            Decimal(len(serials[line_id, False])),
            tuple(serials[line_id, True]),
            tuple(serials[line_id, False]),
        )
        for line_id in {line_id for line_id, _ in serials}
    }


def _value(
    differing: list[tuple[stocktake_queries.CountLineRow, Difference]],
    items: dict[str, Item],
    costs: dict[int, Decimal],
    gain: bool,
) -> Decimal:
    """What the 盘盈 (``gain``) or 盘亏 lines are worth at the costs they post at, unrounded.

    Compared unrounded with the limit, as an issue's value is in its workflow.
    """
    return sum(
        (
            (difference.found if gain else difference.missing) * costs.get(items[row.item].id, ZERO)
            for row, difference in differing
        ),
        ZERO,
    )


def _left_for_second_approval(
    uow: UnitOfWork,
    actor: str,
    header: StocktakeHeader,
    counts: tuple[int, int],
    weighed: tuple[Decimal, str],
    second: SecondApproval,
    request: tuple[str | None, dict[str, Any]],
) -> StocktakeResult:
    """一级审核 of a gain or loss worth more than one approval may post: nothing posts yet.

    ``weighed``: the value and which it is (gain or loss). ``request``: the request id and
    the payload a replay of it must match.
    """
    lines, differences = counts
    value, kind = weighed
    waiting = {
        "value": str(round_money(value)),
        "over": str(second.value_over),
        "roles": sorted(second.roles),
        "difference": kind,
    }
    result = StocktakeResult(
        header.number, StocktakeState.FIRST_APPROVED.value, lines, second_approval=waiting
    )
    uow.stocktakes.move(header.id, StocktakeState.FIRST_APPROVED, {})
    return _settle(
        uow,
        actor,
        "approve",
        (header.state, StocktakeState.FIRST_APPROVED),
        result,
        {"lines": lines, "differences": differences, "loss_value": waiting},
        *request,
    )


def _approver(
    uow: UnitOfWork, actor: str, header: StocktakeHeader, second: SecondApproval | None
) -> str:
    """The stocktake's warehouse, once ``actor`` may take its approval now.

    The first approval is a permission (a warehouse manager); the second (二级审核) takes
    a role the issue workflow names for it, and someone other than the first approver.

    Raises:
        Forbidden: auth.forbidden_in_warehouse, workflow.role_required,
            stocktake.same_approver.
    """
    if header.state is StocktakeState.REVIEWING or second is None:
        warehouse = _require(uow, actor, Action.STOCKTAKE_APPROVE, header)
    else:
        warehouse = uow.catalog.warehouse_code(header.warehouse_id)
        authorize_step(principal(uow, actor), second.roles, "approve", header.number, warehouse)
    # Even where the workflow no longer asks for a second approval: one was begun.
    if header.state is StocktakeState.FIRST_APPROVED and _approved_by(uow, header.number, actor):
        raise Forbidden("stocktake.same_approver", {"number": header.number, "user": actor})
    return warehouse


def _may_approve(
    uow: UnitOfWork,
    user: Principal,
    row: stocktake_queries.StocktakeRow,
    second: SecondApproval | None,
) -> bool:
    """Whether ``user`` may give the stocktake the approval it awaits now, as ``approve`` checks."""
    return _approval(uow, user, row, second)[0]


def _approval(
    uow: UnitOfWork,
    user: Principal,
    row: stocktake_queries.StocktakeRow,
    second: SecondApproval | None,
) -> tuple[bool, Notice | None]:
    """Whether ``user`` may approve now, and why not where their role would let them.

    Not someone who counted it, nor its first approver; not while recounts are missing
    (the page says how many are).
    """
    if row.state not in (StocktakeState.REVIEWING, StocktakeState.FIRST_APPROVED):
        return False, None
    if row.state == StocktakeState.FIRST_APPROVED and second is not None:
        allowed = user.holds(second.roles, row.warehouse)
    else:
        allowed = user.may(Action.STOCKTAKE_APPROVE, warehouse=row.warehouse)
    if not allowed:
        return False, None
    counters, awaiting_recount = stocktake_queries.review(uow.connection, row.number)
    who = {"number": row.number, "user": user.username}
    if user.username in counters:
        return False, Notice("stocktake.approver_counted", who)
    if awaiting_recount:
        return False, None
    if row.state == StocktakeState.FIRST_APPROVED and _approved_by(uow, row.number, user.username):
        return False, Notice("stocktake.same_approver", who)
    return True, None


def _approved_by(uow: UnitOfWork, number: str, actor: str) -> bool:
    """Whether ``actor`` gave the stocktake an approval already (its first)."""
    steps = uow.audit.steps_of("stocktake", number)
    return any(action == "stocktake.approve" and user == actor for action, user, _ in steps)


def _release_for_losses(
    uow: UnitOfWork,
    actor: str,
    number: str,
    losses: list[tuple[stocktake_queries.CountLineRow, Difference]],
) -> list[dict[str, str]]:
    """Give back the holds that stand in the way of the 盘亏 lines; audit each on its order."""
    by_key = {
        BalanceKey(row.line.item_id, row.line.location_id, row.line.batch_id): (row, difference)
        for row, difference in losses
    }
    # the gain posts first: a unit found takes the place of one missing on the same shelf
    taken = {
        key: difference.missing - difference.found
        for key, (_, difference) in by_key.items()
        if difference.missing > difference.found
    }
    # a unit missing cannot go out on the document that holds it: given back by serial
    missing = {
        (row.line.item_id, serial): row
        for row, difference in losses
        for serial in difference.missing_serials
    }
    units = {serial_id: key for key, (serial_id, _) in uow.catalog.serials(missing).items()}
    released = [
        {
            "document": document,
            "line": f"{missing[units[serial_id]].label} {units[serial_id][1]}",
            "quantity": str(normalized(quantity)),
        }
        for document, serial_id, quantity in posting.release_serials(uow, units)
    ]
    released += [
        {"document": document, "line": by_key[key][0].label, "quantity": str(normalized(quantity))}
        for key, document, quantity in posting.release_in_the_way(uow, taken)
    ]
    uow.record(
        *(
            AuditEntry(
                actor,
                "document.hold_released",
                "document",
                given["document"],
                {"stocktake": number, "line": given["line"], "quantity": given["quantity"]},
            )
            for given in released
        )
    )
    return released


@reading
def view(uow: UnitOfWork, actor: str, number: str, location: str | None = None) -> StocktakeView:
    """One stocktake as ``actor`` may see it: blind, the book figures are left out.

    ``location``: only its lines (a count screen redrawn after each scan).

    Raises:
        NotFound: stocktake.unknown (also one in a warehouse the user does not see).
    """
    user = principal(uow, actor)
    found = stocktake_queries.stocktake(uow.connection, number)
    if found is None or not user.sees(found.warehouse):
        raise NotFound("stocktake.unknown", {"number": number})
    second = _second_approval(uow)
    may_approve, withheld = _approval(uow, user, found, second)
    # The book is for those who decide on the count: approvers, whether or not it is
    # their step now.
    shows_book = (
        not found.blind
        or found.state == StocktakeState.APPROVED
        or user.may(Action.STOCKTAKE_APPROVE, warehouse=found.warehouse)
        or (second is not None and user.holds(second.roles, found.warehouse))
    )
    lines = stocktake_queries.count_lines(uow.connection, number, location)
    if not shows_book:
        # Blind: no book; and while lines are recounted, not the first count either, so
        # the second person counts what is there, not what was found before.
        first_count = found.state != StocktakeState.REVIEWING
        lines = [
            replace(
                row,
                line=replace(
                    row.line,
                    book_quantity=None,
                    book_at_count=None,
                    book_at_recount=None,
                    counted=row.line.counted if first_count else None,
                    counted_by=row.line.counted_by if first_count else None,
                ),
            )
            for row in lines
        ]
    header = uow.stocktakes.header(number)
    assert header is not None
    places = uow.catalog.locations_by_id(header.scope.location_ids).values()
    shown = {row.line.id: row.line for row in lines}
    serials: dict[int, list[str]] = defaultdict(list)
    for serial in uow.stocktakes.counted_serials(header.id, line_ids=shown):
        line = shown.get(serial.line_id)
        # a blind recounter is not shown what the first count found
        if (
            line is not None
            and serial.recount == line.final_pass[0]
            and (serial.recount or line.counted is not None)
        ):
            serials[serial.line_id].append(serial.serial_no)
    approved = (
        stocktake_queries.approval(uow.connection, number, StocktakeState.APPROVED)
        if found.state == StocktakeState.APPROVED
        else {}
    )
    changes: dict[int, Difference] = {}
    if shows_book and found.state in (StocktakeState.REVIEWING, StocktakeState.FIRST_APPROVED):
        with suppress(Conflict):  # counted before counts kept serials: approval says so
            changes = _serial_differences(uow, header, lines)
    elif shows_book and found.state == StocktakeState.APPROVED:
        changes = _serials_posted(uow, lines, found.gain, found.loss)
    notices: dict[int, list[Notice]] = {}
    if shows_book:
        # once approved, what it was warned of then: the units found are in our stock since
        if found.state == StocktakeState.APPROVED:
            notices = _warned(approved.get("notices", []), lines)
        else:
            notices = _notices(uow, lines, changes)
    return StocktakeView(
        found,
        lines,
        shows_book,
        user.may(Action.STOCKTAKE_COUNT, warehouse=found.warehouse),
        user.may(Action.STOCKTAKE_PLAN, warehouse=found.warehouse),
        may_approve,
        sorted(place.code for place in places),
        approved.get("released", []),
        stocktake_queries.approval(uow.connection, number, StocktakeState.FIRST_APPROVED).get(
            "loss_value"
        )
        if found.state == StocktakeState.FIRST_APPROVED
        else None,
        dict(serials),
        {line_id: change for line_id, change in changes.items() if change},
        notices,
        withheld,
    )


def _warned(
    recorded: list[dict[str, Any]], rows: list[stocktake_queries.CountLineRow]
) -> dict[int, list[Notice]]:
    """The notices an approval was given, by line id (from its audit record)."""
    ids = {row.label: row.line.id for row in rows}
    warned: dict[int, list[Notice]] = defaultdict(list)
    for notice in recorded:
        if notice["line"] in ids:
            warned[ids[notice["line"]]].append(Notice(notice["code"], notice["params"]))
    return dict(warned)


def _notices(
    uow: UnitOfWork, rows: list[stocktake_queries.CountLineRow], changes: dict[int, Difference]
) -> dict[int, list[Notice]]:
    """Line id → what the approver should know before approving.

    Units found that the books say left our stock (sold, say: a return nobody booked,
    or a shipment that never left), and goods of expired batches found on the shelf.
    """
    notices: dict[int, list[Notice]] = defaultdict(list)
    today = uow.today()
    for row in rows:
        line = row.line
        latest = line.recounted if line.needs_recount else line.counted
        if notice := expired_batch_notice(row.batch, row.expiry_date, latest, today):
            notices[line.id].append(notice)
    found = {
        (row.line.item_id, number): row.line.id
        for row in rows
        if (change := changes.get(row.line.id))
        for number in change.found_serials
    }
    ids = {serial_id: key for key, (serial_id, _) in uow.catalog.serials(found).items()}
    for serial_id, out in sorted(uow.ledger.serials_booked_out(ids).items()):
        # sold or sent back: a return to book first; written off, scrapped or used: the
        # 盘盈 itself is the correction
        sent = out.location_kind in (LocationKind.CUSTOMER.value, LocationKind.SUPPLIER.value)
        notices[found[ids[serial_id]]].append(
            Notice(
                "stocktake.found_serial_booked_out"
                if sent
                else "stocktake.found_serial_written_off",
                {
                    "serial": out.serial,
                    "document": out.document,
                    "date": out.business_date.isoformat(),
                    "location_kind": out.location_kind,
                },
            )
        )
    return dict(notices)


@reading
def awaiting_approval(uow: UnitOfWork, actor: str) -> list[stocktake_queries.StocktakeRow]:
    """Stocktakes whose approval ``actor`` may give now: handed in, or awaiting 二级审核."""
    user = principal(uow, actor)
    second = _second_approval(uow)
    return [
        row
        for state in (StocktakeState.REVIEWING, StocktakeState.FIRST_APPROVED)
        for row in stocktake_queries.stocktakes(uow.connection, user.visible_warehouses, state)
        if _may_approve(uow, user, row, second)
    ]


@reading
def to_count(uow: UnitOfWork, actor: str) -> list[stocktake_queries.StocktakeRow]:
    """Stocktakes being counted (盘点中) where ``actor`` counts, for their home page.

    Recounts are not listed: they are for someone other than the first counter, and the
    stocktake's page says which lines.
    """
    user = principal(uow, actor)
    if not user.may_somewhere(Action.STOCKTAKE_COUNT):
        return []
    rows = stocktake_queries.stocktakes(
        uow.connection, user.visible_warehouses, StocktakeState.COUNTING
    )
    return [row for row in rows if user.may(Action.STOCKTAKE_COUNT, warehouse=row.warehouse)]


@reading
def listing(
    uow: UnitOfWork, actor: str, state: str | None = None
) -> list[stocktake_queries.StocktakeRow]:
    """The stocktakes of the warehouses ``actor`` sees, newest first."""
    user = principal(uow, actor)
    return stocktake_queries.stocktakes(uow.connection, user.visible_warehouses, state)
