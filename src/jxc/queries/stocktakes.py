"""Stocktakes to read: the list, one stocktake, and its lines with their counts."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, case, func, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.db.repositories.stocktakes import LINE_COLUMNS, count_line
from jxc.domain.items import TrackingMode
from jxc.domain.stocktakes import CountLine, StocktakeState

_stocktake = cast(Table, s.Stocktake.__table__)
_line = cast(Table, s.StocktakeLine.__table__)


@dataclass(frozen=True)
class StocktakeRow:
    number: str
    warehouse: str
    state: str
    blind: bool
    tolerance_percent: Decimal
    scope: dict[str, Any]
    note: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_by: str | None
    finished_at: datetime | None
    lines: int
    counted: int
    recounts: int  # lines sent for a recount
    gain: str | None  # 盘盈 receipt
    loss: str | None  # 盘亏 issue


@dataclass(frozen=True)
class CountLineRow:
    """A line as a person reads it: its codes, and its counts."""

    item: str
    item_name: str
    unit: str
    location: str
    batch: str | None
    line: CountLine
    by_serial: bool = False  # a serial-tracked item: counted unit by unit
    expiry_date: date | None = None  # its batch's

    @property
    def label(self) -> str:
        return f"{self.item}@{self.location}" + (f"/{self.batch}" if self.batch else "")


def _rows() -> Any:
    gain, loss = aliased(s.Document), aliased(s.Document)
    counts = (
        select(
            _line.c.stocktake_id,
            func.count().label("lines"),
            func.count(_line.c.counted).label("counted"),
            func.sum(case((_line.c.needs_recount, 1), else_=0)).label("recounts"),
        )
        .group_by(_line.c.stocktake_id)
        .subquery()
    )
    return (
        select(
            _stocktake,
            s.Warehouse.code.label("warehouse"),
            func.coalesce(counts.c.lines, 0).label("lines"),
            func.coalesce(counts.c.counted, 0).label("counted_lines"),
            func.coalesce(counts.c.recounts, 0).label("recount_lines"),
            gain.number.label("gain"),
            loss.number.label("loss"),
        )
        .join(s.Warehouse, s.Warehouse.id == _stocktake.c.warehouse_id)
        .outerjoin(counts, counts.c.stocktake_id == _stocktake.c.id)
        .outerjoin(gain, gain.id == _stocktake.c.gain_document_id)
        .outerjoin(loss, loss.id == _stocktake.c.loss_document_id)
    )


def _row(row: Any) -> StocktakeRow:
    scope = {
        key: value
        for key, value in (row.scope or {}).items()
        if value and key not in ("location_ids", "item_ids")
    }
    return StocktakeRow(
        number=row.number,
        warehouse=row.warehouse,
        state=row.state,
        blind=row.blind,
        tolerance_percent=row.tolerance_percent,
        scope=scope,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_by=row.finished_by,
        finished_at=row.finished_at,
        lines=int(row.lines),
        counted=int(row.counted_lines),
        recounts=int(row.recount_lines),
        gain=row.gain,
        loss=row.loss,
    )


def stocktakes(
    connection: Connection,
    warehouses: Collection[str] | None = None,
    state: str | None = None,
    limit: int = 200,
) -> list[StocktakeRow]:
    """The newest stocktakes first, in ``warehouses`` (None: all) and ``state``."""
    query = _rows().order_by(_stocktake.c.id.desc()).limit(limit)
    if warehouses is not None:
        query = query.where(s.Warehouse.code.in_(warehouses))
    if state:
        query = query.where(_stocktake.c.state == state)
    return [_row(row) for row in connection.execute(query)]


def stocktake(connection: Connection, number: str) -> StocktakeRow | None:
    row = connection.execute(_rows().where(_stocktake.c.number == number)).first()
    return None if row is None else _row(row)


def count_lines(
    connection: Connection, number: str, location: str | None = None
) -> list[CountLineRow]:
    """Every line by location, then item, then batch: the order a counter walks.

    ``location``: only the lines there.
    """
    query = (
        select(
            s.Item.code.label("item_code"),
            s.Item.name.label("item_name"),
            s.Item.tracking,
            s.Unit.code.label("unit"),
            s.Location.code.label("location"),
            s.Batch.batch_no.label("batch"),
            s.Batch.expiry_date,
            *(_line.c[name] for name in LINE_COLUMNS),
        )
        .join(_stocktake, _stocktake.c.id == _line.c.stocktake_id)
        .join(s.Item, s.Item.id == _line.c.item_id)
        .join(s.Unit, s.Unit.id == s.Item.base_unit_id)
        .join(s.Location, s.Location.id == _line.c.location_id)
        .outerjoin(s.Batch, s.Batch.id == _line.c.batch_id)
        .where(_stocktake.c.number == number)
        .order_by(s.Location.code, s.Item.code, s.Batch.batch_no)
    )
    if location is not None:
        query = query.where(s.Location.code == location)
    rows = connection.execute(query)
    return [
        CountLineRow(
            row.item_code,
            row.item_name,
            row.unit,
            row.location,
            row.batch,
            count_line(row),
            row.tracking == TrackingMode.SERIAL.value,
            row.expiry_date,
        )
        for row in rows
    ]


def approval(connection: Connection, number: str, state: StocktakeState) -> dict[str, Any]:
    """What the audit trail says of the approval that took the stocktake to ``state``.

    Into ``approved``: its ``released`` holds; into ``first_approved``: its ``loss_value``.
    """
    payload = connection.execute(
        select(s.AuditEvent.payload).where(
            s.AuditEvent.subject_type == "stocktake",
            s.AuditEvent.subject == number,
            s.AuditEvent.action == "stocktake.approve",
            s.AuditEvent.to_state == state.value,
        )
    ).scalar()
    details: dict[str, Any] = json.loads(payload) if payload else {}
    return details


def review(connection: Connection, number: str) -> tuple[set[str], int]:
    """Who counted or recounted the stocktake's lines, and how many still await a recount."""
    rows = connection.execute(
        select(_line.c.counted_by, _line.c.recounted_by, _line.c.needs_recount, _line.c.recounted)
        .join(_stocktake, _stocktake.c.id == _line.c.stocktake_id)
        .where(_stocktake.c.number == number)
    ).all()
    counters = {user for row in rows for user in row[:2] if user}
    return counters, sum(1 for row in rows if row.needs_recount and row.recounted is None)
