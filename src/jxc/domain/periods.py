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
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jxc.domain.errors import Conflict, Invalid

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{1,2})(?::(\d{2}))?$", re.IGNORECASE)
# The offsets clocks keep somewhere on Earth: from Baker Island's to Kiritimati's.
_WESTMOST, _EASTMOST = timedelta(hours=-12), timedelta(hours=14)


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


def company_day(moment: datetime, zone: tzinfo) -> date:
    """The company's day at ``moment`` in its time zone ``zone``.

    A 北京 clerk's 07:30 is still yesterday in UTC; the business day is the clerk's.
    """
    return moment.astimezone(zone).date()


def shown_time(moment: datetime, zone: tzinfo, seconds: bool = False) -> str:
    """A recorded time as a clerk reads it: on the company's clock, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def zone_named(name: str) -> tzinfo:
    """The time zone an IANA name (Asia/Shanghai) or a fixed offset (UTC+08:00, UTC+8) names.

    Raises:
        ValueError: it names none, or an offset no clock keeps.
    """
    offset = _OFFSET.match(name)
    if offset is not None:
        sign, hours, minutes = offset.groups()
        shift = timedelta(hours=int(hours), minutes=int(minutes or 0))
        shift = -shift if sign == "-" else shift
        if int(minutes or 0) >= 60 or not _WESTMOST <= shift <= _EASTMOST:
            raise ValueError(name)
        return timezone(shift)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(name) from None


def zone_name(zone: tzinfo) -> str:
    """What ``zone_named`` reads back as ``zone``: its IANA name, else its fixed offset.

    A machine set with ``TZ=CST-8``, or with a zone file of no known name, has only its
    offset now, which is then the company's.
    """
    key = getattr(zone, "key", None)
    if isinstance(key, str) and _names_a_zone(key):
        return key
    shift = datetime.now(zone).utcoffset() or timedelta(0)
    if not shift:
        return "UTC"
    sign = "-" if shift < timedelta(0) else "+"
    minutes = abs(shift) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _names_a_zone(name: str) -> bool:
    try:
        zone_named(name)
    except ValueError:
        return False
    return True


def company_time(day: date, at: time, zone: tzinfo) -> datetime:
    """``day`` at the wall-clock time ``at`` in the company's time zone ``zone``."""
    return datetime.combine(day, at, tzinfo=zone)


# No business of a company that keeps its stock in JXC happened before it: a date before
# it is a mistyped year (0026 for 2026), which would sit in every report for good.
EARLIEST_BUSINESS_DATE = date(2000, 1, 1)


def check_plausible(business_date: date, today: date) -> None:
    """Refuse a business date no new document could have.

    Raises:
        Invalid: document.future_date after ``today`` (a document records what happened),
            document.date_too_early before ``EARLIEST_BUSINESS_DATE``.
    """
    check_not_ahead(business_date, today)
    if business_date < EARLIEST_BUSINESS_DATE:
        raise Invalid(
            "document.date_too_early",
            {"date": business_date.isoformat(), "earliest": EARLIEST_BUSINESS_DATE.isoformat()},
        )


def check_not_ahead(business_date: date, today: date) -> None:
    """Raises Invalid document.future_date after ``today``: a document records what happened."""
    if business_date > today:
        raise Invalid(
            "document.future_date",
            {"date": business_date.isoformat(), "today": today.isoformat()},
        )


def booking_date(document_date: date, today: date, latest_closed: Period | None) -> date:
    """The date a later step of a document is booked on: its own, unless that is closed."""
    if latest_closed is not None and document_date <= latest_closed.last_day:
        return today
    return document_date


def check_can_close(
    period: Period, latest_closed: Period | None, today: date, first_posted: Period | None
) -> None:
    """Raises Invalid period.not_ended or Conflict period.already_closed / out of order.

    Months close in order from the first with postings (``first_posted``): a first close
    of a later one would leave the months before it closed to postings, yet with no
    snapshot, not listed, and open again with it when it is reopened.
    """
    if period.last_day >= today:
        raise Invalid("period.not_ended", {"period": str(period)})
    if latest_closed is not None and period <= latest_closed:
        raise Conflict("period.already_closed", {"period": str(period)})
    if latest_closed is not None:
        expected: Period | None = latest_closed.next()
        out_of_order = period != expected
    else:  # a month before the first posting holds nothing: it may close
        expected = first_posted
        out_of_order = first_posted is not None and period > first_posted
    if out_of_order:
        raise Conflict(
            "period.close_out_of_order", {"period": str(period), "expected": str(expected)}
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
