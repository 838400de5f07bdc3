"""Closed periods and their snapshots (结账): the rows behind ``domain.periods``.

The latest closed month is master data, cached with the catalog: closing or reopening
moves the catalog version, so no process posts into a month another has just closed.
A close stores every owned location's quantity and value at the month's end, summed from
the ledger in SQL, so as-of queries start from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, func, insert, literal, select, union_all, update

from jxc.db import schema as s
from jxc.db.repositories.catalog import CatalogRepository
from jxc.domain.locations import OWNED_KINDS
from jxc.domain.periods import Period

_close = cast(Table, s.PeriodClose.__table__)
_snapshot = cast(Table, s.PeriodSnapshot.__table__)
_entry = cast(Table, s.StockLedgerEntry.__table__)
_location = cast(Table, s.Location.__table__)


class PeriodRepository:
    def __init__(self, connection: Connection, catalog: CatalogRepository) -> None:
        self.connection = connection
        self._catalog = catalog

    def latest_closed(self) -> Period | None:
        known = self._catalog.view().latest_closed
        if not known:
            start = self.connection.execute(
                select(func.max(_close.c.period_start)).where(_close.c.reopened_at.is_(None))
            ).scalar_one_or_none()
            known.append(Period.of(start) if start is not None else None)
        return known[0]

    def first_posted(self) -> Period | None:
        """The month of the earliest business date in the ledger (None: nothing posted)."""
        first = self.connection.execute(select(func.min(_entry.c.business_date))).scalar()
        return Period.of(first) if first is not None else None

    def close(self, period: Period, actor: str, at: datetime) -> int:
        """Close ``period`` and store its snapshot; the number of snapshot rows."""
        self._catalog.changed()
        close_id = self.connection.execute(
            insert(_close)
            .values(period_start=period.first_day, closed_at=at, closed_by=actor)
            .returning(_close.c.id)
        ).scalar_one()
        end = period.last_day
        moves = union_all(
            select(
                _entry.c.item_id,
                _entry.c.to_location_id.label("location_id"),
                _entry.c.batch_id,
                _entry.c.quantity.label("quantity"),
                _entry.c.value.label("value"),
            ).where(_entry.c.business_date <= end),
            select(
                _entry.c.item_id,
                _entry.c.from_location_id,
                _entry.c.batch_id,
                (-_entry.c.quantity).label("quantity"),
                (-_entry.c.value).label("value"),
            ).where(_entry.c.business_date <= end),
        ).subquery()
        quantity, value = func.sum(moves.c.quantity), func.sum(moves.c.value)
        totals = (
            select(
                literal(close_id, s.Id),
                moves.c.item_id,
                moves.c.location_id,
                moves.c.batch_id,
                quantity,
                value,
            )
            .join(_location, _location.c.id == moves.c.location_id)
            .where(_location.c.kind.in_(OWNED_KINDS))
            .group_by(moves.c.item_id, moves.c.location_id, moves.c.batch_id)
            .having((quantity != 0) | (value != 0))
        )
        self.connection.execute(
            insert(_snapshot).from_select(
                ["period_close_id", "item_id", "location_id", "batch_id", "quantity", "value"],
                totals,
            )
        )
        # Counted: on PostgreSQL the rowcount of this INSERT … SELECT came back as -1.
        return int(
            self.connection.execute(
                select(func.count())
                .select_from(_snapshot)
                .where(_snapshot.c.period_close_id == close_id)
            ).scalar_one()
        )

    def reopen(self, period: Period, actor: str, at: datetime, reason: str) -> None:
        self._catalog.changed()
        self.connection.execute(
            update(_close)
            .where(_close.c.period_start == period.first_day, _close.c.reopened_at.is_(None))
            .values(reopened_at=at, reopened_by=actor, reopen_reason=reason)
        )
