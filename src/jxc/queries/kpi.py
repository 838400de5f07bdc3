"""The KPI dashboard's figures (库存 KPI), month by month, from the ledger and the documents.

Each figure is read with one set-based query that sorts its rows into the months of the
period (a CASE over the month boundaries, the same SQL on SQLite and PostgreSQL); Python
only adds the months up. ``Figure.link`` is where the documents behind a figure are listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.domain import kpi
from jxc.domain.locations import LocationKind
from jxc.domain.periods import company_time
from jxc.domain.stocktakes import StocktakeState

_entry = s.StockLedgerEntry
_source, _target = aliased(s.Location), aliased(s.Location)
_OWNED = (LocationKind.INTERNAL.value, LocationKind.TRANSIT.value)
_USED = (LocationKind.CUSTOMER.value, LocationKind.PRODUCTION.value, LocationKind.SCRAP.value)
_STOCK_DOCUMENTS = (
    "receipt",
    "issue",
    "transfer",
    "sales_delivery",
    "sales_return",
    "purchase_return",
    "putaway",
)
# An order in these states of the shipped workflows was never promised to anyone.
_NOT_COMMITTED = ("draft", "pending", "rejected", "cancelled")
KEYS = (
    "count_error",
    "movement_accuracy",
    "cycle_hours",
    "days_of_inventory",
    "stockout",
    "on_time",
)


@dataclass(frozen=True)
class Point:
    month: str  # YYYY-MM
    value: Decimal | None


@dataclass(frozen=True)
class Figure:
    key: str  # one of KEYS: its label is kpi.<key>
    value: Decimal | None  # over the whole period; None where there was nothing to judge
    numerator: Decimal
    denominator: Decimal
    trend: list[Point]
    link: str  # the web page listing what is behind it
    percent: bool = False  # a rate: 0 to 100


@dataclass(frozen=True)
class Dashboard:
    start: date
    end: date
    figures: list[Figure]
    cycle_by_type: dict[str, Decimal | None]  # 单据处理周期 per document type, hours


def _bucket(column: Any, months: list[kpi.Month], zone: tzinfo | None = None) -> ColumnElement[int]:
    """The month a row belongs to: 0 … n-1, -1 before the period, n after it.

    ``zone``: the column holds moments, whose months begin at midnight in ``zone`` (the
    company's), not at UTC's.
    """

    def edge(day: date) -> Any:
        return day if zone is None else company_time(day, time(), zone)

    whens = [(column < edge(months[0].start), literal(-1))]
    whens += [
        (column < edge(month.end + timedelta(days=1)), literal(index))
        for index, month in enumerate(months)
    ]
    return case(*whens, else_=literal(len(months))).label("bucket")


def _trend(months: list[kpi.Month], parts: dict[int, tuple[Decimal, Decimal]]) -> list[Point]:
    return [
        Point(month.label, kpi.percent(*parts.get(index, (Decimal(0), Decimal(0)))))
        for index, month in enumerate(months)
    ]


def _rate_figure(
    key: str,
    months: list[kpi.Month],
    parts: dict[int, tuple[Decimal, Decimal]],
    link: str,
    invert: bool = False,
) -> Figure:
    """A rate figure from (counted, whole) per month; ``invert``: the share not counted."""
    if invert:
        parts = {index: (whole - part, whole) for index, (part, whole) in parts.items()}
    part = sum((p for p, _ in parts.values()), Decimal(0))
    whole = sum((w for _, w in parts.values()), Decimal(0))
    trend = _trend(months, parts)
    return Figure(key, kpi.percent(part, whole), part, whole, trend, link, percent=True)


def dashboard(
    connection: Connection,
    start: date,
    end: date,
    today: date,
    visible: Collection[str] | None = None,
    zone: tzinfo = UTC,
) -> Dashboard:
    """Every figure for [start, end] with its months; ``visible``: the reader's warehouses.

    ``zone``: the company's time zone, where its months begin.

    Raises:
        Invalid: report.range_reversed, kpi.range_too_long.
    """
    months = kpi.months(start, end)
    warehouse_ids = _warehouse_ids(connection, visible)
    cycle, by_type = _cycle_hours(connection, months, warehouse_ids, zone)
    figures = [
        _count_error(connection, months, warehouse_ids, zone),
        _movement_accuracy(connection, months, warehouse_ids),
        cycle,
        _days_of_inventory(connection, months, warehouse_ids),
        _stockout(connection, months, warehouse_ids),
        _on_time(connection, months, warehouse_ids, today),
    ]
    return Dashboard(start, end, figures, by_type)


def _warehouse_ids(connection: Connection, visible: Collection[str] | None) -> list[int] | None:
    if visible is None:
        return None
    return list(
        connection.execute(select(s.Warehouse.id).where(s.Warehouse.code.in_(visible))).scalars()
    )


def _in(column: Any, ids: list[int] | None) -> Any:
    return column.in_(ids) if ids is not None else literal(True)


def _count_error(
    connection: Connection, months: list[kpi.Month], warehouses: list[int] | None, zone: tzinfo
) -> Figure:
    line, take = s.StocktakeLine, s.Stocktake
    difference = case(
        (line.needs_recount, line.recounted - line.book_at_recount),
        else_=line.counted - line.book_at_count,
    )
    bucket = _bucket(take.finished_at, months, zone)
    rows = connection.execute(
        select(
            bucket,
            func.count(),
            func.sum(case((difference != 0, 1), else_=0)),
        )
        .join(take, take.id == line.stocktake_id)
        .where(take.state == StocktakeState.APPROVED.value, _in(take.warehouse_id, warehouses))
        .group_by(bucket)
    )
    parts = {
        b: (Decimal(errors or 0), Decimal(lines)) for b, lines, errors in rows if _inside(b, months)
    }
    return _rate_figure("count_error", months, parts, "/stocktakes?state=approved")


def _inside(bucket: int, months: list[kpi.Month]) -> bool:
    return 0 <= bucket < len(months)


def _movement_accuracy(
    connection: Connection, months: list[kpi.Month], warehouses: list[int] | None
) -> Figure:
    document = s.Document
    bucket = _bucket(document.business_date, months)
    rows = connection.execute(
        select(
            bucket,
            func.count(),
            func.sum(case((document.reversed_by_document_id.is_not(None), 1), else_=0)),
        )
        .join(s.DocumentLine, s.DocumentLine.document_id == document.id)
        .where(
            document.document_type.in_(_STOCK_DOCUMENTS),
            or_(document.posted_at.is_not(None), document.shipped_at.is_not(None)),
            _in(document.warehouse_id, warehouses),
        )
        .group_by(bucket)
    )
    parts = {
        b: (Decimal(reversed_lines or 0), Decimal(lines))
        for b, lines, reversed_lines in rows
        if _inside(b, months)
    }
    return _rate_figure(
        "movement_accuracy", months, parts, "/documents?document_type=reversal", invert=True
    )


def _cycle_hours(
    connection: Connection, months: list[kpi.Month], warehouses: list[int] | None, zone: tzinfo
) -> tuple[Figure, dict[str, Decimal | None]]:
    document = s.Document
    done = func.coalesce(document.shipped_at, document.posted_at)
    rows = connection.execute(
        select(
            document.document_type, document.created_at, done, _bucket(done, months, zone)
        ).where(
            document.document_type.in_(_STOCK_DOCUMENTS),
            done.is_not(None),
            _in(document.warehouse_id, warehouses),
            done >= company_time(months[0].start, time(), zone),
            done < company_time(months[-1].end + timedelta(days=1), time(), zone),
        )
    ).all()
    spans: dict[int, list[timedelta]] = defaultdict(list)
    by_type: dict[str, list[timedelta]] = defaultdict(list)
    for document_type, created, finished, bucket in rows:
        spans[bucket].append(finished - created)
        by_type[document_type].append(finished - created)
    every = [span for found in spans.values() for span in found]
    trend = [Point(month.label, kpi.mean_hours(spans.get(i, []))) for i, month in enumerate(months)]
    figure = Figure(
        "cycle_hours",
        kpi.mean_hours(every),
        Decimal(sum(span.total_seconds() for span in every)) / 3600,
        Decimal(len(every)),
        trend,
        "/sop/receipt",
    )
    return figure, {kind: kpi.mean_hours(found) for kind, found in sorted(by_type.items())}


def _days_of_inventory(
    connection: Connection, months: list[kpi.Month], warehouses: list[int] | None
) -> Figure:
    """Stock value at each month's edges and the cost of what was used, in one ledger scan."""
    to_owned = _target.kind.in_(_OWNED) & _in(_target.warehouse_id, warehouses)
    from_owned = _source.kind.in_(_OWNED) & _in(_source.warehouse_id, warehouses)
    change = case(
        (and_(to_owned, ~from_owned), _entry.value),
        (and_(from_owned, ~to_owned), -_entry.value),
        else_=0,
    )
    used = case(
        (and_(from_owned, _target.kind.in_(_USED)), _entry.value),
        (and_(to_owned, _source.kind.in_(_USED)), -_entry.value),
        else_=0,
    )
    bucket = _bucket(_entry.business_date, months)
    rows = connection.execute(
        select(bucket, func.sum(change), func.sum(used))
        .select_from(_entry)
        .join(_source, _source.id == _entry.from_location_id)
        .join(_target, _target.id == _entry.to_location_id)
        .group_by(bucket)
    )
    changes = {b: (Decimal(c or 0), Decimal(u or 0)) for b, c, u in rows}
    value = changes.get(-1, (Decimal(0), Decimal(0)))[0]
    trend, opening, consumed = [], value, Decimal(0)
    for index, month in enumerate(months):
        change_in_month, used_in_month = changes.get(index, (Decimal(0), Decimal(0)))
        closing = value + change_in_month
        trend.append(
            Point(month.label, kpi.days_of_inventory(value, closing, used_in_month, month.days))
        )
        value, consumed = closing, consumed + used_in_month
    days = sum(month.days for month in months)
    return Figure(
        "days_of_inventory",
        kpi.days_of_inventory(opening, value, consumed, days),
        (opening + value) / 2,
        consumed,
        trend,
        "/reports/stock-summary",
    )


def _stockout(
    connection: Connection, months: list[kpi.Month], warehouses: list[int] | None
) -> Figure:
    """Of the (item, warehouse) pairs with demand in a month, those ending it with none."""
    into = _target.kind == LocationKind.INTERNAL.value
    out_of = _source.kind == LocationKind.INTERNAL.value
    bucket = _bucket(_entry.business_date, months)
    warehouse = case((into, _target.warehouse_id), else_=_source.warehouse_id)
    rows = connection.execute(
        select(
            _entry.item_id,
            warehouse,
            bucket,
            func.sum(
                case(
                    (and_(into, ~out_of), _entry.quantity),
                    (and_(out_of, ~into), -_entry.quantity),
                    else_=0,
                )
            ),
            func.sum(case((and_(out_of, _target.kind == LocationKind.CUSTOMER.value), 1), else_=0)),
        )
        .select_from(_entry)
        .join(_source, _source.id == _entry.from_location_id)
        .join(_target, _target.id == _entry.to_location_id)
        .where(or_(into, out_of), _in(warehouse, warehouses), bucket < len(months))
        # Warehouse first: grouped item first, SQLite walks the ledger through its item
        # index, one random read per entry, rather than reading it in one pass.
        .group_by(warehouse, _entry.item_id, bucket)
    )
    flows: dict[tuple[int, int], dict[int, tuple[Decimal, int]]] = defaultdict(dict)
    for item_id, warehouse_id, b, change, demand in rows:
        flows[(item_id, warehouse_id)][b] = (Decimal(change or 0), int(demand or 0))
    parts: dict[int, tuple[Decimal, Decimal]] = {}
    for by_month in flows.values():
        on_hand = by_month.get(-1, (Decimal(0), 0))[0]
        for index in range(len(months)):
            change, demand = by_month.get(index, (Decimal(0), 0))
            on_hand += change
            if demand:
                short, asked = parts.get(index, (Decimal(0), Decimal(0)))
                parts[index] = (short + (1 if on_hand <= 0 else 0), asked + 1)
    return _rate_figure("stockout", months, parts, "/reports/stock-summary")


def _on_time(
    connection: Connection, months: list[kpi.Month], warehouses: list[int] | None, today: date
) -> Figure:
    """Sales orders of each month delivered in full within the promise, of those due."""
    order, delivery = s.Document, aliased(s.Document)
    delivered = (
        select(
            s.DocumentSource.source_document_id.label("order_id"),
            func.max(delivery.business_date).label("last"),
        )
        .join(delivery, delivery.id == s.DocumentSource.document_id)
        .where(
            delivery.document_type == "sales_delivery",
            delivery.posted_at.is_not(None),
            delivery.reversed_by_document_id.is_(None),
        )
        .group_by(s.DocumentSource.source_document_id)
        .subquery()
    )
    progress = s.OrderLine
    short = (
        select(s.DocumentLine.document_id.label("order_id"), func.count().label("lines"))
        .join(progress, progress.document_line_id == s.DocumentLine.id)
        .where(progress.delivered < progress.ordered)
        .group_by(s.DocumentLine.document_id)
        .subquery()
    )
    bucket = _bucket(order.business_date, months)
    rows = connection.execute(
        select(bucket, order.business_date, short.c.lines, delivered.c.last)
        .outerjoin(delivered, delivered.c.order_id == order.id)
        .outerjoin(short, short.c.order_id == order.id)
        .where(
            order.document_type == "sales_order",
            order.state.not_in(_NOT_COMMITTED),
            _in(order.warehouse_id, warehouses),
            order.business_date >= months[0].start,
            order.business_date <= months[-1].end,
        )
    )
    parts: dict[int, tuple[Decimal, Decimal]] = {}
    for b, ordered, short_lines, last in rows:
        complete = not short_lines
        if not complete and not kpi.due(ordered, today):
            continue  # its promise has not come yet
        in_time = complete and kpi.on_time(ordered, last)
        hit, asked = parts.get(b, (Decimal(0), Decimal(0)))
        parts[b] = (hit + (1 if in_time else 0), asked + 1)
    return _rate_figure("on_time", months, parts, "/documents?document_type=sales_order")
