"""The standard stock reports (issue #7): 进销存汇总表, 库龄分析, 呆滞分析, 保质期预警, 调拨在途.

Each is set-based SQL over the ledger, balances and cost pools; Python only shapes the
result rows. A warehouse's stock is what sits at its internal locations: a move between two
locations of one warehouse is neither in nor out, and a transfer shipped into transit is out
of the sending warehouse (it comes in at the receiving one when received).

库存状况表 (``stock_levels.stock_rows``) and 商品流水账 (``movements.item_ledger``) are reports
too; they live beside the queries they grew from.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain.documents import DocumentType
from jxc.domain.errors import Invalid, NotFound
from jxc.domain.items import TrackingMode
from jxc.domain.locations import LocationKind
from jxc.domain.periods import Period, company_day
from jxc.queries.catalog import check_known

MAX_SUMMARY_DAYS = 366  # a 进销存汇总表 covers at most a (leap) year; longer: one per year
MAX_DAYS = 36_500  # 呆滞 / 保质期 look-ahead days: a century is already generous
DEFAULT_DORMANT_DAYS = 90
DEFAULT_EXPIRY_DAYS = 30
# 库龄 buckets: (label suffix, the oldest age in days the bucket holds; None: no limit)
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0_30", 30),
    ("31_60", 60),
    ("61_90", 90),
    ("91_180", 180),
    ("181_365", 365),
    ("over_365", None),
)

_entry = s.StockLedgerEntry
_source, _target = aliased(s.Location), aliased(s.Location)
_INTERNAL = LocationKind.INTERNAL.value
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Scope:
    """Which stock a report reads: a warehouse, an item or a category, a reader's warehouses.

    ``visible``: the reader's warehouses (None: every one); naming another warehouse
    answers as if it did not exist.
    """

    warehouse: str | None = None
    item: str | None = None
    category: str | None = None
    visible: Collection[str] | None = None


# the warehouse legs of the ledger ----------------------------------------------------------


def _legs(
    after: date | None, through: date | None, marked: bool = False
) -> tuple[Select[Any], Select[Any]]:
    """Entries as a warehouse sees them: into it (``in``) and out of it (``out``).

    Each leg is (item, warehouse, business_date, id, quantity, value), and with ``marked``
    whether a 红冲 made it (``reversing``); entries between two internal locations of the
    same warehouse are neither.
    """
    dated = [
        condition
        for condition in (
            _entry.business_date > after if after else None,
            _entry.business_date <= through if through else None,
        )
        if condition is not None
    ]
    inside = and_(
        _source.kind == _INTERNAL,
        _target.kind == _INTERNAL,
        _source.warehouse_id == _target.warehouse_id,
    )
    base = (
        select()
        .select_from(_entry)
        .join(_source, _source.id == _entry.from_location_id)
        .join(_target, _target.id == _entry.to_location_id)
        .where(*dated, ~inside)
    )
    columns: tuple[Any, ...] = (_entry.business_date, _entry.id, _entry.quantity, _entry.value)
    if marked:
        base = base.join(s.Document, s.Document.id == _entry.document_id)
        columns += ((s.Document.document_type == DocumentType.REVERSAL.value).label("reversing"),)
    legs_in = base.add_columns(
        _entry.item_id, _target.warehouse_id.label("warehouse_id"), *columns
    ).where(_target.kind == _INTERNAL)
    legs_out = base.add_columns(
        _entry.item_id, _source.warehouse_id.label("warehouse_id"), *columns
    ).where(_source.kind == _INTERNAL)
    return legs_in, legs_out


def _when(condition: ColumnElement[bool], column: Any, kind: Any) -> Any:
    """``column`` where ``condition`` holds, else 0, typed so SQLite's scaled integers read back."""
    return type_coerce(case((condition, column), else_=0), kind)


def _scope_ids(connection: Connection, scope: Scope) -> tuple[int | None, int | None]:
    """The warehouse and item ids ``scope`` names (None: not named).

    Raises:
        NotFound: warehouse.unknown, item.unknown.
    """
    hidden = scope.visible is not None and scope.warehouse not in scope.visible
    if scope.warehouse is not None and hidden:
        raise NotFound("warehouse.unknown", {"warehouse": scope.warehouse})
    check_known(connection, scope.warehouse, scope.item)
    warehouse_id = item_id = None
    if scope.warehouse is not None:
        warehouse_id = connection.execute(
            select(s.Warehouse.id).where(s.Warehouse.code == scope.warehouse)
        ).scalar_one()
    if scope.item is not None:
        item_id = connection.execute(
            select(s.Item.id).where(s.Item.code == scope.item)
        ).scalar_one()
    return warehouse_id, item_id


def _filtered(query: Any, scope: Scope) -> Any:
    """``query`` (selecting from item and warehouse) limited to ``scope``."""
    for column, value in (
        (s.Warehouse.code, scope.warehouse),
        (s.Item.code, scope.item),
        (s.Item.category, scope.category),
    ):
        if value is not None:
            query = query.where(column == value)
    if scope.visible is not None:
        query = query.where(s.Warehouse.code.in_(sorted(scope.visible)))
    return query


def _days(value: int, field_name: str) -> int:
    if not 0 <= value <= MAX_DAYS:
        raise Invalid("report.days_invalid", {"field": field_name, "days": value, "max": MAX_DAYS})
    return value


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


# 进销存汇总表 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    item: str
    item_name: str
    category: str | None
    unit: str
    warehouse: str
    opening_quantity: Decimal
    opening_value: Decimal
    in_quantity: Decimal
    in_value: Decimal
    out_quantity: Decimal
    out_value: Decimal

    @property
    def closing_quantity(self) -> Decimal:
        return self.opening_quantity + self.in_quantity - self.out_quantity

    @property
    def closing_value(self) -> Decimal:
        return self.opening_value + self.in_value - self.out_value


@dataclass(frozen=True)
class SummaryTotal:
    """The 合计 of a 进销存汇总表, in its rows' columns (the codes left empty).

    Values always add up; quantities only where every row counts in one unit (10 个 and
    3 kg add up to nothing): else they are None, and so is ``unit``.
    """

    opening_quantity: Decimal | None
    opening_value: Decimal
    in_quantity: Decimal | None
    in_value: Decimal
    out_quantity: Decimal | None
    out_value: Decimal
    unit: str | None
    item: str = ""
    item_name: str = ""
    category: str | None = None
    warehouse: str = ""

    @property
    def closing_quantity(self) -> Decimal | None:
        if self.opening_quantity is None or self.in_quantity is None or self.out_quantity is None:
            return None
        return self.opening_quantity + self.in_quantity - self.out_quantity

    @property
    def closing_value(self) -> Decimal:
        return self.opening_value + self.in_value - self.out_value


def _one_unit(rows: Sequence[SummaryRow] | Sequence[AgeingRow]) -> str | None:
    """The unit every row counts in; None where they differ (or there are none)."""
    units = {row.unit for row in rows}
    return units.pop() if len(units) == 1 else None


@dataclass(frozen=True)
class StockSummary:
    start: date
    end: date
    since: str | None  # the closed month whose snapshot the opening starts from
    rows: list[SummaryRow]
    total: SummaryTotal


def check_range(start: date, end: date) -> None:
    """Raises Invalid report.range_reversed or report.range_too_long for a bad period."""
    if end < start:
        raise Invalid("report.range_reversed", {"start": str(start), "end": str(end)})
    if (end - start).days + 1 > MAX_SUMMARY_DAYS:
        raise Invalid(
            "report.range_too_long",
            {"start": str(start), "end": str(end), "max": MAX_SUMMARY_DAYS},
        )


def _latest_snapshot(connection: Connection, before: date) -> tuple[int, Period] | None:
    """The latest closed month ending on or before ``before`` (not reopened), if any."""
    closes = connection.execute(
        select(s.PeriodClose.id, s.PeriodClose.period_start)
        .where(s.PeriodClose.reopened_at.is_(None), s.PeriodClose.period_start <= before)
        .order_by(s.PeriodClose.period_start.desc())
        .limit(2)  # the month ``before`` falls in may not have ended by then
    )
    return next(
        (
            (row.id, Period.of(row.period_start))
            for row in closes
            if Period.of(row.period_start).last_day <= before
        ),
        None,
    )


def stock_summary(
    connection: Connection,
    start: date,
    end: date,
    scope: Scope | None = None,
    use_snapshots: bool = True,
) -> StockSummary:
    """进销存汇总表: per item and warehouse, opening, in, out and closing, quantity and value.

    By business date. The opening starts from the snapshot of the latest closed month
    ending before ``start`` and adds only the entries after it; ``use_snapshots=False``
    sums the whole ledger instead (the tests compare the two).

    Raises:
        Invalid: report.range_reversed, report.range_too_long.
        NotFound: warehouse.unknown, item.unknown.
    """
    scope = scope or Scope()
    check_range(start, end)
    warehouse_id, item_id = _scope_ids(connection, scope)
    # the day before the period: the latest snapshot on or before it starts the opening
    base = None
    if use_snapshots and start > date.min:
        base = _latest_snapshot(connection, start - timedelta(days=1))
    after = base[1].last_day if base else None
    legs_in, legs_out = _legs(after, end, marked=True)
    if item_id is not None:
        legs_in = legs_in.where(_entry.item_id == item_id)
        legs_out = legs_out.where(_entry.item_id == item_id)
    if warehouse_id is not None:
        legs_in = legs_in.where(_target.warehouse_id == warehouse_id)
        legs_out = legs_out.where(_source.warehouse_id == warehouse_id)
    q, v = s.Quantity, s.Money
    ins, outs = legs_in.subquery(), legs_out.subquery()
    before_in, before_out = ins.c.business_date < start, outs.c.business_date < start
    # A 红冲 counts on the side of what it undoes, negative (a red receipt): reversing a
    # receipt lessens 入库, it is no 出库. Its net, and so the closing, is the same.
    in_red, out_red = ~before_in & ins.c.reversing, ~before_out & outs.c.reversing
    parts = [
        select(
            ins.c.item_id,
            ins.c.warehouse_id,
            _when(before_in, ins.c.quantity, q).label("opening_quantity"),
            _when(before_in, ins.c.value, v).label("opening_value"),
            _when(~before_in & ~ins.c.reversing, ins.c.quantity, q).label("in_quantity"),
            _when(~before_in & ~ins.c.reversing, ins.c.value, v).label("in_value"),
            (-_when(in_red, ins.c.quantity, q)).label("out_quantity"),
            (-_when(in_red, ins.c.value, v)).label("out_value"),
        ),
        select(
            outs.c.item_id,
            outs.c.warehouse_id,
            -_when(before_out, outs.c.quantity, q),
            -_when(before_out, outs.c.value, v),
            -_when(out_red, outs.c.quantity, q),
            -_when(out_red, outs.c.value, v),
            _when(~before_out & ~outs.c.reversing, outs.c.quantity, q),
            _when(~before_out & ~outs.c.reversing, outs.c.value, v),
        ),
    ]
    if base is not None:
        snapshot = (
            select(
                s.PeriodSnapshot.item_id,
                s.Location.warehouse_id,
                s.PeriodSnapshot.quantity,
                s.PeriodSnapshot.value,
                literal(0),
                literal(0),
                literal(0),
                literal(0),
            )
            .join(s.Location, s.Location.id == s.PeriodSnapshot.location_id)
            .where(s.PeriodSnapshot.period_close_id == base[0], s.Location.kind == _INTERNAL)
        )
        if item_id is not None:
            snapshot = snapshot.where(s.PeriodSnapshot.item_id == item_id)
        if warehouse_id is not None:
            snapshot = snapshot.where(s.Location.warehouse_id == warehouse_id)
        parts.append(snapshot)
    moves = union_all(*parts).subquery()
    sums = {
        name: type_coerce(func.sum(moves.c[name]), kind).label(name)
        for name, kind in (
            ("opening_quantity", q),
            ("opening_value", v),
            ("in_quantity", q),
            ("in_value", v),
            ("out_quantity", q),
            ("out_value", v),
        )
    }
    totals = (
        select(moves.c.item_id, moves.c.warehouse_id, *sums.values())
        .group_by(moves.c.item_id, moves.c.warehouse_id)
        .subquery()
    )
    unit = aliased(s.Unit)
    query = _filtered(
        select(
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            s.Item.category,
            unit.code.label("unit"),
            s.Warehouse.code.label("warehouse"),
            *(totals.c[name] for name in sums),
        )
        .join(s.Item, s.Item.id == totals.c.item_id)
        .join(unit, unit.id == s.Item.base_unit_id)
        .join(s.Warehouse, s.Warehouse.id == totals.c.warehouse_id)
        .order_by(s.Warehouse.code, s.Item.code),
        scope,
    )
    rows = [
        SummaryRow(**row._mapping)
        for row in connection.execute(query)
        if any(row._mapping[name] != 0 for name in sums)
    ]
    shared_unit = _one_unit(rows)

    def summed(name: str) -> Decimal:
        return sum((getattr(row, name) for row in rows), Decimal(0))

    def counted(name: str) -> Decimal | None:
        return summed(name) if shared_unit else None

    total = SummaryTotal(
        counted("opening_quantity"),
        summed("opening_value"),
        counted("in_quantity"),
        summed("in_value"),
        counted("out_quantity"),
        summed("out_value"),
        shared_unit,
    )
    return StockSummary(start, end, str(base[1]) if base else None, rows, total)


# on hand now, per item and warehouse ---------------------------------------------------------


def _on_hand() -> Any:
    """(item, warehouse) → on hand over its internal locations, from cached balances."""
    return (
        select(
            s.StockBalance.item_id,
            s.Location.warehouse_id,
            type_coerce(func.sum(s.StockBalance.on_hand), s.Quantity).label("on_hand"),
        )
        .join(s.Location, s.Location.id == s.StockBalance.location_id)
        .where(s.Location.kind == _INTERNAL)
        .group_by(s.StockBalance.item_id, s.Location.warehouse_id)
        .having(func.sum(s.StockBalance.on_hand) > 0)
    )


def _pool_value(on_hand: Decimal, quantity: Decimal | None, value: Decimal | None) -> Decimal:
    """What ``on_hand`` is carried at: the share of its moving-average pool's value."""
    if not quantity or value is None:
        return Decimal(0)
    if on_hand == quantity:
        return Decimal(value)
    return _money(Decimal(value) * on_hand / Decimal(quantity))


def _pool_join() -> Any:
    return (
        (s.StockCost.item_id == s.Item.id)
        & (s.StockCost.warehouse_id == s.Warehouse.id)
        & (s.StockCost.in_transit.is_(False))
    )


def _held_stock(held: Any, *extra: Any) -> Any:
    """What is on hand per item and warehouse (``held``) with its names, unit and cost pool."""
    unit = aliased(s.Unit)
    return (
        select(
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            unit.code.label("unit"),
            s.Warehouse.code.label("warehouse"),
            held.c.on_hand,
            s.StockCost.quantity.label("pool_quantity"),
            s.StockCost.value.label("pool_value"),
            *extra,
        )
        .select_from(held)
        .join(s.Item, s.Item.id == held.c.item_id)
        .join(unit, unit.id == s.Item.base_unit_id)
        .join(s.Warehouse, s.Warehouse.id == held.c.warehouse_id)
        .outerjoin(s.StockCost, _pool_join())
    )


# 库龄分析 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeingRow:
    item: str
    item_name: str
    unit: str
    warehouse: str
    on_hand: Decimal
    value: Decimal
    quantities: tuple[Decimal, ...]  # per AGE_BUCKETS, youngest first
    values: tuple[Decimal, ...]


@dataclass(frozen=True)
class AgeingTotal:
    """The 合计 of a 库龄分析: quantities only where every row counts in one unit."""

    on_hand: Decimal | None
    value: Decimal
    quantities: tuple[Decimal | None, ...]
    values: tuple[Decimal, ...]
    unit: str | None
    item: str = ""
    item_name: str = ""
    warehouse: str = ""


@dataclass(frozen=True)
class Ageing:
    today: date
    rows: list[AgeingRow]
    total: AgeingTotal = field(compare=False)


def stock_ageing(connection: Connection, today: date, scope: Scope | None = None) -> Ageing:
    """库龄分析: what is on hand now, split by how long ago it came into its warehouse.

    First in, first out: the stock on hand is the most recent that came in, so it is laid
    against the warehouse's incoming entries newest first (a running sum), each entry
    contributing what the on hand still needs. A serial-tracked unit is told apart: it is
    as old as its own last arrival in the warehouse. A 红冲 is no arrival: what it brings
    back never left. Stock the entries cannot explain
    (moved in before the ledger began) counts as the oldest. Values are the bucket's share
    of what the warehouse's cost pool carries (moving average), so they add up to the
    stock value.

    Raises:
        NotFound: warehouse.unknown, item.unknown.
    """
    scope = scope or Scope()
    warehouse_id, item_id = _scope_ids(connection, scope)
    legs_in, _ = _legs(None, None, marked=True)
    # a 红冲 brings back what never left: not an arrival that would make the stock younger
    legs_in = legs_in.where(s.Document.document_type != DocumentType.REVERSAL.value)
    legs_in = legs_in.add_columns(func.coalesce(_entry.serial_id, 0).label("serial_id"))
    on_hand = _on_hand()
    # What the entries are laid against: each serial on the shelf, other items' on hand.
    units = (
        _on_hand()
        .add_columns(literal(0).label("serial_id"))
        .join(s.Item, s.Item.id == s.StockBalance.item_id)
        .where(s.Item.tracking != TrackingMode.SERIAL.value)
    )
    serials = (
        select(
            s.SerialNumber.item_id,
            s.Location.warehouse_id,
            literal(Decimal(1), s.Quantity).label("on_hand"),
            s.SerialNumber.id.label("serial_id"),
        )
        .join(s.Location, s.Location.id == s.SerialNumber.location_id)
        .where(s.Location.kind == _INTERNAL)
    )
    if item_id is not None:
        legs_in = legs_in.where(_entry.item_id == item_id)
        on_hand = on_hand.where(s.StockBalance.item_id == item_id)
        units = units.where(s.StockBalance.item_id == item_id)
        serials = serials.where(s.SerialNumber.item_id == item_id)
    if warehouse_id is not None:
        legs_in = legs_in.where(_target.warehouse_id == warehouse_id)
        on_hand = on_hand.where(s.Location.warehouse_id == warehouse_id)
        units = units.where(s.Location.warehouse_id == warehouse_id)
        serials = serials.where(s.Location.warehouse_id == warehouse_id)
    held = on_hand.subquery()
    shelved = union_all(units, serials).subquery()
    ins = legs_in.subquery()
    newest_first = (ins.c.business_date.desc(), ins.c.id.desc())
    # Not joined to what is held before the window, and partitioned warehouse first: else
    # SQLite walks the ledger through its item index (once per warehouse holding an item)
    # rather than reading it in one pass and sorting, several times slower at 1M entries.
    running = select(
        ins.c.item_id,
        ins.c.warehouse_id,
        ins.c.serial_id,
        ins.c.business_date,
        ins.c.quantity,
        type_coerce(
            func.sum(ins.c.quantity).over(
                partition_by=(ins.c.warehouse_id, ins.c.item_id, ins.c.serial_id),
                order_by=newest_first,
            ),
            s.Quantity,
        ).label("running"),
    ).subquery()
    # The on hand each entry explains: all of it while the running sum stays within the on
    # hand, the rest of the on hand for the entry that crosses it, nothing after.
    already = type_coerce(running.c.running - running.c.quantity, s.Quantity)
    taken = type_coerce(
        case(
            (running.c.running <= shelved.c.on_hand, running.c.quantity),
            else_=shelved.c.on_hand - already,
        ),
        s.Quantity,
    )
    attributed = (
        select(
            running.c.item_id, running.c.warehouse_id, running.c.business_date, taken.label("taken")
        )
        .join(
            shelved,
            (shelved.c.item_id == running.c.item_id)
            & (shelved.c.warehouse_id == running.c.warehouse_id)
            & (shelved.c.serial_id == running.c.serial_id),
        )
        .where(already < shelved.c.on_hand)
        .subquery()
    )
    buckets = []
    for _, oldest in AGE_BUCKETS:
        if oldest is None:
            continue
        buckets.append(
            type_coerce(
                func.sum(
                    _when(
                        attributed.c.business_date >= today - timedelta(days=oldest),
                        attributed.c.taken,
                        s.Quantity,
                    )
                ),
                s.Quantity,
            )
        )
    # bucket k holds age ≤ limit k: cumulative sums, differenced below
    per_key = (
        select(
            attributed.c.item_id,
            attributed.c.warehouse_id,
            *(column.label(f"within_{i}") for i, column in enumerate(buckets)),
        )
        .group_by(attributed.c.item_id, attributed.c.warehouse_id)
        .subquery()
    )
    query = _filtered(
        _held_stock(held, *(per_key.c[f"within_{i}"] for i in range(len(buckets))))
        .outerjoin(
            per_key,
            (per_key.c.item_id == held.c.item_id) & (per_key.c.warehouse_id == held.c.warehouse_id),
        )
        .order_by(s.Warehouse.code, s.Item.code),
        scope,
    )
    rows = []
    for row in connection.execute(query):
        within = [Decimal(row._mapping[f"within_{i}"] or 0) for i in range(len(buckets))]
        within.append(Decimal(row.on_hand))  # everything is at most "forever" old
        quantities = tuple(b - a for a, b in zip([Decimal(0), *within[:-1]], within, strict=True))
        value = _pool_value(row.on_hand, row.pool_quantity, row.pool_value)
        rows.append(
            AgeingRow(
                row.item,
                row.item_name,
                row.unit,
                row.warehouse,
                row.on_hand,
                value,
                quantities,
                _shares(value, quantities, row.on_hand),
            )
        )
    return Ageing(today, rows, _ageing_total(rows))


def _shares(
    value: Decimal, quantities: tuple[Decimal, ...], on_hand: Decimal
) -> tuple[Decimal, ...]:
    """``value`` split by quantity, in cents; the oldest non-empty bucket takes the remainder."""
    if on_hand == 0:
        return tuple(Decimal(0) for _ in quantities)
    shares = [_money(value * quantity / on_hand) for quantity in quantities]
    last = max(i for i, quantity in enumerate(quantities) if quantity != 0)
    shares[last] += value - sum(shares, Decimal(0))
    return tuple(shares)


def _ageing_total(rows: list[AgeingRow]) -> AgeingTotal:
    count, unit, zero = len(AGE_BUCKETS), _one_unit(rows), Decimal(0)
    quantities = tuple(sum((row.quantities[i] for row in rows), zero) for i in range(count))
    return AgeingTotal(
        sum((row.on_hand for row in rows), zero) if unit else None,
        sum((row.value for row in rows), zero),
        quantities if unit else (None,) * count,
        tuple(sum((row.values[i] for row in rows), zero) for i in range(count)),
        unit,
    )


# 呆滞分析 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DormantRow:
    item: str
    item_name: str
    unit: str
    warehouse: str
    last_out: date | None  # the last day any of it left the warehouse; None: never
    first_in: date | None
    days_idle: int
    on_hand: Decimal
    value: Decimal


@dataclass(frozen=True)
class Dormant:
    today: date
    days: int
    rows: list[DormantRow]
    total_value: Decimal


def dormant_stock(
    connection: Connection,
    today: date,
    days: int = DEFAULT_DORMANT_DAYS,
    scope: Scope | None = None,
) -> Dormant:
    """呆滞分析: stock on hand that nothing has left its warehouse for in ``days`` days.

    Idle since its last outgoing movement, or since it first came in if none ever left.

    Raises:
        Invalid: report.days_invalid.
        NotFound: warehouse.unknown, item.unknown.
    """
    scope = scope or Scope()
    _days(days, "days")
    warehouse_id, item_id = _scope_ids(connection, scope)
    legs_in, legs_out = _legs(None, None)
    on_hand = _on_hand()
    if item_id is not None:
        legs_in = legs_in.where(_entry.item_id == item_id)
        legs_out = legs_out.where(_entry.item_id == item_id)
        on_hand = on_hand.where(s.StockBalance.item_id == item_id)
    if warehouse_id is not None:
        legs_in = legs_in.where(_target.warehouse_id == warehouse_id)
        legs_out = legs_out.where(_source.warehouse_id == warehouse_id)
        on_hand = on_hand.where(s.Location.warehouse_id == warehouse_id)
    ins, outs = legs_in.subquery(), legs_out.subquery()
    nothing = type_coerce(literal(None), Date)
    dates = union_all(
        select(
            ins.c.item_id,
            ins.c.warehouse_id,
            ins.c.business_date.label("in_date"),
            nothing.label("out_date"),
        ),
        select(outs.c.item_id, outs.c.warehouse_id, nothing, outs.c.business_date),
    ).subquery()
    moved = (
        select(
            dates.c.item_id,
            dates.c.warehouse_id,
            type_coerce(func.min(dates.c.in_date), Date).label("first_in"),
            type_coerce(func.max(dates.c.out_date), Date).label("last_out"),
        )
        .group_by(dates.c.item_id, dates.c.warehouse_id)
        .subquery()
    )
    held = on_hand.subquery()
    since = func.coalesce(moved.c.last_out, moved.c.first_in)
    cutoff = today - timedelta(days=days)
    query = _filtered(
        _held_stock(held, moved.c.last_out, moved.c.first_in)
        .outerjoin(
            moved,
            (moved.c.item_id == held.c.item_id) & (moved.c.warehouse_id == held.c.warehouse_id),
        )
        .where(or_(since.is_(None), since <= cutoff))
        .order_by(s.Warehouse.code, s.Item.code),
        scope,
    )
    rows = []
    for row in connection.execute(query):
        idle_since = row.last_out or row.first_in
        rows.append(
            DormantRow(
                row.item,
                row.item_name,
                row.unit,
                row.warehouse,
                row.last_out,
                row.first_in,
                (today - idle_since).days if idle_since else days,
                row.on_hand,
                _pool_value(row.on_hand, row.pool_quantity, row.pool_value),
            )
        )
    rows.sort(key=lambda row: (-row.days_idle, row.warehouse, row.item))
    return Dormant(today, days, rows, sum((row.value for row in rows), Decimal(0)))


# 保质期预警 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryRow:
    item: str
    item_name: str
    unit: str
    warehouse: str
    location: str
    batch: str
    expiry_date: date
    days_left: int  # negative: expired that many days ago
    on_hand: Decimal
    value: Decimal

    @property
    def expired(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class ExpiryAlert:
    today: date
    days: int
    rows: list[ExpiryRow]
    total_value: Decimal


def expiry_alert(
    connection: Connection,
    today: date,
    days: int = DEFAULT_EXPIRY_DAYS,
    scope: Scope | None = None,
) -> ExpiryAlert:
    """保质期预警: batches on hand that have expired or expire within ``days`` days.

    Soonest first; an expiry date is the last day the batch may be used, so it expires
    the day after (``days_left`` 0: today is its last day).

    Raises:
        Invalid: report.days_invalid.
        NotFound: warehouse.unknown, item.unknown.
    """
    scope = scope or Scope()
    _days(days, "days")
    _scope_ids(connection, scope)
    unit = aliased(s.Unit)
    query = _filtered(
        select(
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            unit.code.label("unit"),
            s.Warehouse.code.label("warehouse"),
            s.Location.code.label("location"),
            s.Batch.batch_no.label("batch"),
            s.Batch.expiry_date,
            s.StockBalance.on_hand,
            s.StockCost.quantity.label("pool_quantity"),
            s.StockCost.value.label("pool_value"),
        )
        .select_from(s.StockBalance)
        .join(s.Batch, s.Batch.id == s.StockBalance.batch_id)
        .join(s.Item, s.Item.id == s.StockBalance.item_id)
        .join(unit, unit.id == s.Item.base_unit_id)
        .join(s.Location, s.Location.id == s.StockBalance.location_id)
        .join(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
        .outerjoin(s.StockCost, _pool_join())
        .where(
            s.Location.kind == _INTERNAL,
            s.StockBalance.on_hand > 0,
            s.Batch.expiry_date <= today + timedelta(days=days),
        )
        .order_by(s.Batch.expiry_date, s.Warehouse.code, s.Item.code, s.Location.code),
        scope,
    )
    rows = [
        ExpiryRow(
            row.item,
            row.item_name,
            row.unit,
            row.warehouse,
            row.location,
            row.batch,
            row.expiry_date,
            (row.expiry_date - today).days,
            row.on_hand,
            _pool_value(row.on_hand, row.pool_quantity, row.pool_value),
        )
        for row in connection.execute(query)
    ]
    return ExpiryAlert(today, days, rows, sum((row.value for row in rows), Decimal(0)))


# 调拨在途 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InTransitRow:
    document: str
    business_date: date
    from_warehouse: str
    to_warehouse: str
    shipped_at: datetime
    days_in_transit: int
    item: str
    item_name: str
    unit: str
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class InTransit:
    today: date
    rows: list[InTransitRow]
    total_value: Decimal


def in_transit(
    connection: Connection, today: date, scope: Scope | None = None, zone: tzinfo = UTC
) -> InTransit:
    """调拨在途: transfers shipped and not yet received, per document and item.

    Days in transit count from the company's day (``zone``) of the shipment.

    A warehouse named (or a reader's warehouses) matches either end of the transfer.

    Raises:
        NotFound: warehouse.unknown, item.unknown.
    """
    scope = scope or Scope()
    warehouse_id, item_id = _scope_ids(connection, scope)
    source_wh, target_wh = aliased(s.Warehouse), aliased(s.Warehouse)
    unit = aliased(s.Unit)
    quantity = type_coerce(func.sum(_entry.quantity), s.Quantity)
    value = type_coerce(func.sum(_entry.value), s.Money)
    query = (
        select(
            s.Document.number,
            s.Document.business_date,
            source_wh.code.label("from_warehouse"),
            target_wh.code.label("to_warehouse"),
            s.Document.shipped_at,
            s.Item.code.label("item"),
            s.Item.name.label("item_name"),
            unit.code.label("unit"),
            quantity.label("quantity"),
            value.label("value"),
        )
        .select_from(s.Document)
        .join(_entry, _entry.document_id == s.Document.id)
        .join(_target, _target.id == _entry.to_location_id)
        .join(s.Item, s.Item.id == _entry.item_id)
        .join(unit, unit.id == s.Item.base_unit_id)
        .join(source_wh, source_wh.id == s.Document.warehouse_id)
        .join(target_wh, target_wh.id == s.Document.to_warehouse_id)
        .where(
            s.Document.document_type == "transfer",
            s.Document.shipped_at.is_not(None),
            s.Document.posted_at.is_(None),
            s.Document.reversed_by_document_id.is_(None),
            _target.kind == LocationKind.TRANSIT.value,
        )
        .group_by(
            s.Document.number,
            s.Document.business_date,
            source_wh.code,
            target_wh.code,
            s.Document.shipped_at,
            s.Item.code,
            s.Item.name,
            unit.code,
        )
        .order_by(s.Document.shipped_at, s.Document.number, s.Item.code)
    )
    if item_id is not None:
        query = query.where(_entry.item_id == item_id)
    if scope.category is not None:
        query = query.where(s.Item.category == scope.category)
    if warehouse_id is not None:
        query = query.where(
            (s.Document.warehouse_id == warehouse_id) | (s.Document.to_warehouse_id == warehouse_id)
        )
    if scope.visible is not None:
        shown = sorted(scope.visible)
        query = query.where(source_wh.code.in_(shown) | target_wh.code.in_(shown))
    rows = [
        InTransitRow(
            row.number,
            row.business_date,
            row.from_warehouse,
            row.to_warehouse,
            row.shipped_at,
            max(0, (today - company_day(row.shipped_at, zone)).days),
            row.item,
            row.item_name,
            row.unit,
            row.quantity,
            row.value,
        )
        for row in connection.execute(query)
    ]
    return InTransit(today, rows, sum((row.value for row in rows), Decimal(0)))
