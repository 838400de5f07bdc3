"""拣货 and 复核: what was scanned against what a delivery says, caught before it ships.

Picking scans what is taken from the shelf: any batch of an item on the delivery, never
more than the delivery asks. 复核 (a second person's scan) must find exactly what was
picked: the same items, the same batches, the same counts; a wrong item, a wrong batch
or one too many is refused the moment it is scanned, and what is missing is named when
the check is handed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from jxc.domain.errors import ErrorCollector
from jxc.domain.quantities import normalized

# A sales delivery's steps taken only with what was scanned (the scanning service's).
SCANNED_STEPS = ("pick", "check")


@dataclass(frozen=True)
class Counted:
    """A quantity of an item (of one batch, where it has one) in base units."""

    item: str
    batch: str | None
    quantity: Decimal
    serials: tuple[str, ...] = ()


def _totals(rows: Sequence[Counted], by_batch: bool) -> dict[tuple[str, str | None], Decimal]:
    totals: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[(row.item, row.batch if by_batch else None)] += row.quantity
    return totals


def _serials(rows: Sequence[Counted]) -> dict[str, set[str]]:
    by_item: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_item[row.item].update(row.serials)
    return by_item


def check_scanned(
    expected: Sequence[Counted], scanned: Sequence[Counted], by_batch: bool
) -> ErrorCollector:
    """What among ``scanned`` the delivery does not have: an item, a batch, a serial, a count.

    ``by_batch``: 复核 compares batches and serials with those picked; picking takes any
    batch and any unit of the item.
    """
    errors = ErrorCollector()
    wanted = _totals(expected, by_batch)
    items = {row.item for row in expected}
    batches: dict[str, set[str | None]] = defaultdict(set)
    for row in expected:
        batches[row.item].add(row.batch)
    for (item, batch), quantity in _totals(scanned, by_batch).items():
        if item not in items:
            errors.add("/scans", "scan.item_not_on_delivery", item=item)
        elif by_batch and batch not in batches[item]:
            errors.add(
                "/scans",
                "scan.wrong_batch",
                item=item,
                batch=batch or "-",
                batches=", ".join(sorted(b or "-" for b in batches[item])),
            )
        elif quantity > wanted[(item, batch)]:
            errors.add(
                "/scans",
                "scan.too_many",
                item=item,
                batch=f"/{batch}" if by_batch and batch else "",
                expected=str(normalized(wanted[(item, batch)])),
                scanned=str(normalized(quantity)),
            )
    named = _serials(expected) if by_batch else {}
    for row in scanned:
        for serial in row.serials:
            if named.get(row.item) and serial not in named[row.item]:
                errors.add(
                    "/scans",
                    "scan.serial_not_picked",
                    item=row.item,
                    serial=serial,
                    serials=", ".join(sorted(named[row.item])),
                )
    return errors


def picked_per_row(rows: Sequence[Counted], scanned: Sequence[Counted]) -> list[Decimal]:
    """What the scans so far took of each pick-list row, the rows filled in their order.

    A row takes the scans of its item and batch (a row without a batch, of an item not
    batch-tracked: the item's scans). A batch picked that no row names fills no row: the
    pick list said where to find other goods.
    """
    left = _totals(scanned, by_batch=True)
    taken = []
    for row in rows:
        key = (row.item, row.batch)
        share = min(row.quantity, left[key])
        left[key] -= share
        taken.append(share)
    return taken


def shortfall(expected: Sequence[Counted], scanned: Sequence[Counted]) -> ErrorCollector:
    """A pick of less than the delivery: each item short, for the picker to confirm.

    A short pick is allowed (the rest stays open on the order), but not by accident.
    """
    errors = ErrorCollector()
    _add_short(expected, scanned, False, "scan.picked_short", errors)
    return errors


def check_complete(expected: Sequence[Counted], scanned: Sequence[Counted]) -> ErrorCollector:
    """复核 handed in: everything scanned is on the delivery, and nothing on it is missing."""
    errors = check_scanned(expected, scanned, by_batch=True)
    _add_short(expected, scanned, True, "scan.missing", errors)
    found = _serials(scanned)
    for item, serials in _serials(expected).items():
        missing = sorted(serials - found[item])
        if missing:
            errors.add("/scans", "scan.serials_missing", item=item, serials=", ".join(missing))
    return errors


def _add_short(
    expected: Sequence[Counted],
    scanned: Sequence[Counted],
    by_batch: bool,
    code: str,
    errors: ErrorCollector,
) -> None:
    """Add ``code`` for each item (and batch, ``by_batch``) scanned less than expected."""
    counted = _totals(scanned, by_batch)
    for (item, batch), quantity in _totals(expected, by_batch).items():
        found = counted.get((item, batch), Decimal(0))
        if found < quantity:
            where = {"batch": f"/{batch}" if batch else ""} if by_batch else {}
            errors.add(
                "/scans",
                code,
                item=item,
                **where,
                expected=str(normalized(quantity)),
                scanned=str(normalized(found)),
            )
