"""The figures a manager judges the warehouse by (DESIGN.md, "What a manager reads").

Each is computed from JXC's own records for a period, with its trend month by month:

- 盘点误差率: counted lines of approved stocktakes whose final count differed from the book;
- 出入库准确率: stock document lines posted and never reversed (红冲) since;
- 单据处理周期: hours from a stock document's creation to its posting;
- 库存周转天数: average stock value over the cost of what went out to customers, scrap or
  production per day;
- 缺货率: of the item × warehouse pairs that had demand, those left with nothing on hand;
- 订单准时交付率: sales orders delivered in full within ``PROMISE_DAYS`` of their date, of
  those due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from jxc.domain.errors import Invalid

PROMISE_DAYS = 3  # an order is on time when delivered in full within this many days
MAX_KPI_DAYS = 731  # two years of months on one dashboard
_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Month:
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def check_period(start: date, end: date) -> None:
    if end < start:
        raise Invalid("report.range_reversed", {"start": str(start), "end": str(end)})
    if (end - start).days + 1 > MAX_KPI_DAYS:
        raise Invalid(
            "kpi.range_too_long",
            {"start": str(start), "end": str(end), "days": MAX_KPI_DAYS},
        )


def months(start: date, end: date) -> list[Month]:
    """The calendar months from ``start`` to ``end``, the first and last cut to the range."""
    check_period(start, end)
    found = []
    current = start
    while current <= end:
        following = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        found.append(Month(current, min(end, following - timedelta(days=1))))
        current = following
    return found


def default_start(last: date) -> date:
    """The first day of the month five months before ``last``'s: half a year with its own."""
    month = last.month - 5
    year = last.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` of ``whole`` in percent to two places; None where there is nothing to judge."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_PLACES, ROUND_HALF_UP)


def days_of_inventory(
    opening: Decimal, closing: Decimal, consumed: Decimal, days: int
) -> Decimal | None:
    """库存周转天数: average stock value ÷ (cost of goods out per day); None without use."""
    if consumed <= 0 or days <= 0:
        return None
    average = (opening + closing) / 2
    return (average * days / consumed).quantize(_PLACES, ROUND_HALF_UP)


def on_time(ordered: date, delivered: date | None) -> bool:
    return delivered is not None and delivered <= ordered + timedelta(days=PROMISE_DAYS)


def due(ordered: date, today: date) -> bool:
    """Whether an order's promise has come: one not delivered yet is judged only then."""
    return ordered + timedelta(days=PROMISE_DAYS) < today


def mean_hours(spans: list[timedelta]) -> Decimal | None:
    if not spans:
        return None
    total = sum(spans, timedelta())
    return (Decimal(total.total_seconds()) / 3600 / len(spans)).quantize(_PLACES, ROUND_HALF_UP)
