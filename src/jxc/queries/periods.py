"""Closed periods as people read them (`jxc period list`), and stock as of a past day.

`jxc stock as-of` starts from the snapshot of the latest closed month before that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, func, select

from jxc.db import schema as s
from jxc.domain.locations import OWNED_KINDS
from jxc.domain.periods import Period
from jxc.queries.catalog import check_known
from jxc.queries.consistency import ledger_sums, owned_totals, snapshot


@dataclass(frozen=True)
class PeriodRow:
    period: str
    closed_at: datetime
    closed_by: str
    balances: int
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None


@dataclass(frozen=True)
class AsOfRow:
    warehouse: str
    location: str
    item: str
    name: str
    batch: str | None
    quantity: Decimal
    value: Decimal


def closes(connection: Connection) -> list[PeriodRow]:
    """Every close, newest first, reopened ones included."""
    counts = (
        select(s.PeriodSnapshot.period_close_id, func.count().label("balances"))
        .group_by(s.PeriodSnapshot.period_close_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            s.PeriodClose.period_start,
            s.PeriodClose.closed_at,
            s.PeriodClose.closed_by,
            func.coalesce(counts.c.balances, 0),
            s.PeriodClose.reopened_at,
            s.PeriodClose.reopened_by,
            s.PeriodClose.reopen_reason,
        )
        .outerjoin(counts, counts.c.period_close_id == s.PeriodClose.id)
        .order_by(s.PeriodClose.period_start.desc(), s.PeriodClose.id.desc())
    )
    return [PeriodRow(str(Period.of(r[0])), *r[1:]) for r in rows]


def stock_as_of(
    connection: Connection, day: date, warehouse: str | None = None, item: str | None = None
) -> tuple[str | None, list[AsOfRow]]:
    """Quantity and value per owned location and batch at the end of ``day``.

    Returns the closed month it started from (None: the whole ledger) and the rows.

    Raises:
        NotFound: warehouse.unknown, item.unknown.
    """
    check_known(connection, warehouse, item)
    base = connection.execute(
        select(s.PeriodClose.id, s.PeriodClose.period_start)
        .where(s.PeriodClose.reopened_at.is_(None))
        .order_by(s.PeriodClose.period_start.desc())
    ).all()
    start = next(((i, Period.of(p)) for i, p in base if Period.of(p).last_day <= day), None)
    totals = dict(snapshot(connection, start[0])) if start else {}
    after = start[1].last_day if start else None
    for key, (quantity, value) in ledger_sums(connection, after=after, through=day).items():
        held = totals.get(key, (Decimal(0), Decimal(0)))
        totals[key] = (held[0] + quantity, held[1] + value)
    rows = connection.execute(
        select(s.Location.id, s.Location.code, s.Warehouse.code.label("warehouse"))
        .join(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
        .where(s.Location.kind.in_(OWNED_KINDS))
    )
    places = {r.id: (r.warehouse, r.code) for r in rows}
    totals = owned_totals(totals, places)
    items = {
        r.id: (r.code, r.name)
        for r in connection.execute(select(s.Item.id, s.Item.code, s.Item.name))
    }
    batches = {r.id: r.batch_no for r in connection.execute(select(s.Batch.id, s.Batch.batch_no))}
    found = [
        AsOfRow(
            places[location_id][0],
            places[location_id][1],
            items[item_id][0],
            items[item_id][1],
            batches.get(batch_id),
            quantity,
            value,
        )
        for (item_id, location_id, batch_id), (quantity, value) in totals.items()
        if (warehouse is None or places[location_id][0] == warehouse)
        and (item is None or items[item_id][0] == item)
    ]
    found.sort(key=lambda r: (r.warehouse, r.item, r.location, r.batch or ""))
    return (str(start[1]) if start else None), found
