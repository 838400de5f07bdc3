"""The stock ledger (库存流水): appended, never updated or deleted (invariant 1, 4)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, insert, or_, select
from sqlalchemy.orm import aliased

from jxc.db import schema as s
from jxc.db.bulk import Bulk
from jxc.domain.ledger import PostedEntry
from jxc.domain.locations import OWNED_KINDS, Location
from jxc.domain.stock import BalanceKey


@dataclass(frozen=True)
class SerialBookedOut:
    serial: str
    location: str  # CUSTOMER, SUPPLIER …
    location_kind: str
    document: str
    business_date: date


_ledger = cast(Table, s.StockLedgerEntry.__table__)
_append = Bulk(insert(_ledger), [c.name for c in _ledger.columns if not c.primary_key])
_days_after = (
    select(
        _ledger.c.item_id,
        _ledger.c.batch_id,
        _ledger.c.from_location_id,
        _ledger.c.to_location_id,
        _ledger.c.business_date,
        func.sum(_ledger.c.quantity),
    )
    .where(
        _ledger.c.item_id.in_(bindparam("items", expanding=True)),
        _ledger.c.business_date > bindparam("after"),
        or_(
            _ledger.c.from_location_id.in_(bindparam("locations", expanding=True)),
            _ledger.c.to_location_id.in_(bindparam("locations", expanding=True)),
        ),
    )
    .group_by(
        _ledger.c.item_id,
        _ledger.c.batch_id,
        _ledger.c.from_location_id,
        _ledger.c.to_location_id,
        _ledger.c.business_date,
    )
)


class LedgerRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        _append.run(self.connection, rows)

    def entries_of(self, document_id: int, locations: dict[int, Location]) -> list[PostedEntry]:
        """Entries a document posted, oldest first; ``locations`` is filled as a cache."""
        entry, batch = s.StockLedgerEntry, aliased(s.Batch)
        rows = self.connection.execute(
            select(
                entry.document_line_id,
                entry.item_id,
                s.Item.code,
                entry.from_location_id,
                entry.to_location_id,
                entry.quantity,
                entry.value,
                entry.batch_id,
                batch.batch_no,
                entry.serial_id,
            )
            .join(s.Item, s.Item.id == entry.item_id)
            .outerjoin(batch, batch.id == entry.batch_id)
            .where(entry.document_id == document_id)
            .order_by(entry.id)
        ).all()
        entries = []
        for line, item, code, source, target, quantity, value, batch_id, batch_no, serial in rows:
            entries.append(
                PostedEntry(
                    line,
                    item,
                    code,
                    locations[source],
                    locations[target],
                    quantity,
                    value,
                    batch_id,
                    batch_no,
                    serial,
                )
            )
        return entries

    def location_ids_of(self, document_id: int) -> set[int]:
        entry = s.StockLedgerEntry
        rows = self.connection.execute(
            select(entry.from_location_id, entry.to_location_id).where(
                entry.document_id == document_id
            )
        )
        return {location for row in rows for location in row}

    def days_after(
        self, keys: Collection[BalanceKey], business_date: date
    ) -> dict[BalanceKey, list[tuple[date, Decimal]]]:
        """The net movement of each day after ``business_date`` at each of ``keys``.

        Oldest day first; keys with no later movement are left out (usually all of them:
        a posting dated today finds none, so this runs on every guarded posting and is
        one prepared statement).
        """
        if not keys:
            return {}
        rows = self.connection.execute(
            _days_after,
            {
                "items": sorted({key.item_id for key in keys}),
                "locations": sorted({key.location_id for key in keys}),
                "after": business_date,
            },
        )
        wanted = set(keys)
        net: dict[BalanceKey, dict[date, Decimal]] = defaultdict(dict)
        for item, batch, source, target, day, quantity in rows:
            for location, signed in ((source, -quantity), (target, quantity)):
                key = BalanceKey(item, location, batch)
                if key in wanted:
                    net[key][day] = net[key].get(day, Decimal(0)) + signed
        return {key: sorted(days.items()) for key, days in net.items()}

    def serials_moved_after(
        self, serial_ids: Collection[int], business_date: date
    ) -> dict[int, tuple[str, date]]:
        """Of ``serial_ids``, those moved after ``business_date``: number and first such day."""
        if not serial_ids:
            return {}
        entry = s.StockLedgerEntry
        rows = self.connection.execute(
            select(entry.serial_id, s.SerialNumber.serial_no, func.min(entry.business_date))
            .join(s.SerialNumber, s.SerialNumber.id == entry.serial_id)
            .where(entry.serial_id.in_(sorted(serial_ids)), entry.business_date > business_date)
            .group_by(entry.serial_id, s.SerialNumber.serial_no)
        )
        return {serial: (number, day) for serial, number, day in rows if serial is not None}

    def serials_booked_out(self, serial_ids: Collection[int]) -> dict[int, SerialBookedOut]:
        """Of ``serial_ids``, those the books place outside our stock, and how they left.

        Sold, returned to the supplier, scrapped or written off: each with the posting that
        took it there last.
        """
        if not serial_ids:
            return {}
        entry, place = s.StockLedgerEntry, s.Location
        rows = self.connection.execute(
            select(
                s.SerialNumber.id,
                s.SerialNumber.serial_no,
                place.code,
                place.kind,
                s.Document.number,
                entry.business_date,
            )
            .join(place, place.id == s.SerialNumber.location_id)
            .join(
                entry,
                (entry.serial_id == s.SerialNumber.id)
                & (entry.to_location_id == s.SerialNumber.location_id),
            )
            .join(s.Document, s.Document.id == entry.document_id)
            .where(s.SerialNumber.id.in_(sorted(serial_ids)), place.kind.not_in(OWNED_KINDS))
            .order_by(entry.id)
        )
        return {row[0]: SerialBookedOut(*row[1:]) for row in rows}  # the last posting wins

    def serials_last_moved(self, serial_ids: Collection[int]) -> dict[int, datetime]:
        """When a posting last moved each of ``serial_ids`` (its recorded time)."""
        if not serial_ids:
            return {}
        entry = s.StockLedgerEntry
        rows = self.connection.execute(
            select(entry.serial_id, func.max(entry.recorded_at))
            .where(entry.serial_id.in_(sorted(serial_ids)))
            .group_by(entry.serial_id)
        )
        return {serial: moment for serial, moment in rows if serial is not None}
