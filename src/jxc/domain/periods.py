"""Closed periods (结账): once a month is closed, nothing is booked with a date inside it.

Months close in order, only after they have ended, and only the latest closed month can
be reopened (反结账, with a reason). A posting dated in a closed month is refused; a later
step of a document dated there (receiving a transfer, reversing it) is booked on the
day it happens instead, so the closed month's figures never change.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from jxc.domain.errors import Conflict, Invalid

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Raises Invalid period.invalid unless ``text`` is a month as YYYY-MM."""
        found = _MONTH.match(text.strip())
        if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
            raise Invalid("period.invalid", {"value": text})
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Period:
        return Period.of(self.last_day + timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def check_open(business_date: date, latest_closed: Period | None) -> None:
    """Raises Conflict period.closed if ``business_date`` lies in a closed month."""
    if latest_closed is not None and business_date <= latest_closed.last_day:
        raise Conflict(
            "period.closed",
            {"date": business_date.isoformat(), "period": str(Period.of(business_date))},
        )


def check_not_ahead(business_date: date, today: date) -> None:
    """Raises Invalid document.future_date past tomorrow: a document records what happened.

    ``today`` is the UTC day; east of UTC it may already be tomorrow, so tomorrow passes.
    """
    if business_date > today + timedelta(days=1):
        raise Invalid("document.future_date", {"date": business_date.isoformat()})


def booking_date(document_date: date, today: date, latest_closed: Period | None) -> date:
    """The date a later step of a document is booked on: its own, unless that is closed."""
    if latest_closed is not None and document_date <= latest_closed.last_day:
        return today
    return document_date


def check_can_close(period: Period, latest_closed: Period | None, today: date) -> None:
    """Raises Invalid period.not_ended or Conflict period.already_closed / out of order."""
    if period.last_day >= today:
        raise Invalid("period.not_ended", {"period": str(period)})
    if latest_closed is not None and period <= latest_closed:
        raise Conflict("period.already_closed", {"period": str(period)})
    if latest_closed is not None and period != latest_closed.next():
        raise Conflict(
            "period.close_out_of_order",
            {"period": str(period), "expected": str(latest_closed.next())},
        )


def check_can_reopen(period: Period, latest_closed: Period | None, reason: str) -> None:
    """Raises Conflict period.not_closed or period.reopen_not_latest.

    Raises Invalid period.reason_required when no reason is given.
    """
    if latest_closed is None or period > latest_closed:
        raise Conflict("period.not_closed", {"period": str(period)})
    if period != latest_closed:
        raise Conflict(
            "period.reopen_not_latest", {"period": str(period), "latest": str(latest_closed)}
        )
    if not reason.strip():
        raise Invalid("period.reason_required", {"period": str(period)})
