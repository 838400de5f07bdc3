"""Back-dated documents (补录) against random histories: no day's stock goes negative.

Receipts and issues are posted in random order with random business dates. An issue is
accepted exactly when, with it, the stock at the end of every day from its date on stays
at or above zero at the guarded warehouse; and the stock as of every day (库存状况表)
equals what the accepted documents add up to, never below zero.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc.domain.errors import InsufficientStock
from jxc.queries import periods
from tests.builders import a_warehouse, an_item, assert_books_balance, create

FIRST_DAY = date(2026, 10, 1)
DAYS = 12


def _end_of_day_levels(net: Counter[date]) -> list[int]:
    level, levels = 0, []
    for offset in range(DAYS):
        level += net[FIRST_DAY + timedelta(days=offset)]
        levels.append(level)
    return levels


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    documents=st.lists(
        st.tuples(st.integers(0, DAYS - 1), st.integers(-6, 6).filter(bool)),
        min_size=1,
        max_size=10,
    )
)
def test_an_issue_is_accepted_exactly_when_no_later_day_goes_negative(app, documents):
    warehouse, item = a_warehouse(app), an_item(app).code
    net: Counter[date] = Counter()
    for offset, change in documents:
        day = FIRST_DAY + timedelta(days=offset)
        line = {"item": item, "quantity": str(abs(change)), "unit_cost": "2"}
        if change > 0:
            create(app, "receipt", warehouse, line, business_date=day.isoformat())
            net[day] += change
            continue
        del line["unit_cost"]
        trial = Counter(net)
        trial[day] += change
        fits = min(_end_of_day_levels(trial)) >= 0
        try:
            create(app, "issue", warehouse, line, business_date=day.isoformat())
            accepted = True
        except InsufficientStock:
            accepted = False
        assert accepted == fits, (
            "accepted although a later day goes negative"
            if accepted
            else ("refused although every day stays ≥ 0")
        )
        if accepted:
            net = trial

    with app.reader() as connection:
        for offset, expected in enumerate(_end_of_day_levels(net)):
            day = FIRST_DAY + timedelta(days=offset)
            _, rows = periods.stock_as_of(connection, day, warehouse, item)
            assert sum((row.quantity for row in rows), Decimal(0)) == expected >= 0
    assert_books_balance(app)
