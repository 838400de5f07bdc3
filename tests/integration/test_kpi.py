"""The KPI figures on a small fixed company, each checked against the value worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from jxc.domain.errors import Invalid
from jxc.queries import kpi
from jxc.services import documents, partners, stocktakes
from tests.builders import a_user, a_warehouse, an_item, create

SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
TODAY = date(2026, 11, 26)


@pytest.fixture
def company(app):
    a_warehouse(app, "WH1")
    for code in ("A", "B", "C"):
        an_item(app, code)
    partners.add(app.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    create(
        app,
        "receipt",
        "WH1",
        {"item": "A", "quantity": "10", "unit_cost": "10"},
        {"item": "B", "quantity": "1", "unit_cost": "1"},
        {"item": "C", "quantity": "10", "unit_cost": "5"},
        business_date="2026-09-01",
    )
    create(app, "issue", "WH1", {"item": "A", "quantity": "4"}, business_date="2026-09-10")
    wrong = create(app, "issue", "WH1", {"item": "A", "quantity": "2"}, business_date="2026-09-15")
    documents.reverse(app.uow(), "tester", wrong.number, post=True)
    create(app, "issue", "WH1", {"item": "B", "quantity": "1"}, business_date="2026-09-20")
    for ordered, delivered, quantity in (
        ("2026-09-01", "2026-09-02", "2"),
        ("2026-09-05", "2026-09-20", "3"),
    ):
        order = documents.create(
            app.uow(),
            "tester",
            {
                "document_type": "sales_order",
                "warehouse": "WH1",
                "partner": "C1",
                "business_date": ordered,
                "lines": [{"item": "C", "quantity": quantity, "unit_price": "9"}],
            },
            then="approve",
        ).number
        documents.create(
            app.uow(),
            "tester",
            {
                "document_type": "sales_delivery",
                "warehouse": "WH1",
                "source": order,
                "business_date": delivered,
                "lines": [{"item": "C", "quantity": quantity, "source_line": 1}],
            },
            then="ship",
        )
    return app


def this_month() -> tuple[date, date]:
    today = datetime.now(UTC).date()
    return today.replace(day=1), today


def figures(app, start, end):
    with app.reader() as connection:
        found = kpi.dashboard(connection, start, end, TODAY)
    return {figure.key: figure for figure in found.figures}, found


def test_september_by_hand(company):
    found, _ = figures(company, *SEPTEMBER)

    # 8 stock lines posted (3 received, 3 issued, 2 delivered); one issue was reversed
    assert found["movement_accuracy"].value == Decimal("87.50")
    # value 0 → 85; used 40 + 20 − 20 (reversed) + 10 + 15 + 1 = 66 over 30 days
    assert found["days_of_inventory"].value == Decimal("19.32")  # 42.5 × 30 / 66
    # A, B and C were asked for; only B ended the month with nothing
    assert found["stockout"].value == Decimal("33.33")
    # delivered the next day, and fifteen days late
    assert found["on_time"].value == Decimal("50.00")
    # back-dated: made and posted in November, so their processing time counts there
    assert found["cycle_hours"].value is None
    assert found["count_error"].value is None  # no count in September
    assert [point.month for point in found["stockout"].trend] == ["2026-09"]
    now, dashboard = figures(company, *this_month())
    assert now["cycle_hours"].value == Decimal("0.00")  # each posted as soon as it was made
    assert set(dashboard.cycle_by_type) == {"receipt", "issue", "sales_delivery"}


def test_the_count_error_rate_of_an_approved_stocktake(company):
    a_user(company, "boss", "warehouse_manager")
    number = stocktakes.plan(
        company.uow(), "boss", {"warehouse": "WH1", "tolerance_percent": "100"}
    ).number
    stocktakes.start(company.uow(), "boss", number)
    counts = [{"item": "A", "quantity": "5"}, {"item": "C", "quantity": "5"}]
    stocktakes.count(company.uow(), "tester", number, {"lines": counts})
    stocktakes.hand_in(company.uow(), "tester", number)
    stocktakes.approve(company.uow(), "boss", number)

    found, _ = figures(company, *this_month())

    assert found["count_error"].value == Decimal("50.00")  # A was one short, C was right
    assert (found["count_error"].numerator, found["count_error"].denominator) == (1, 2)


def test_months_split_the_period_and_bad_ranges_are_refused(company):
    found, _ = figures(company, date(2026, 8, 20), date(2026, 10, 5))
    assert [point.month for point in found["movement_accuracy"].trend] == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    assert [point.value for point in found["movement_accuracy"].trend] == [
        None,
        Decimal("87.50"),
        None,
    ]
    with pytest.raises(Invalid) as caught:
        figures(company, date(2026, 9, 30), date(2026, 9, 1))
    assert caught.value.code == "report.range_reversed"
    with pytest.raises(Invalid) as caught:
        figures(company, date(2020, 1, 1), date(2026, 9, 1))
    assert caught.value.code == "kpi.range_too_long"


def test_a_documents_processing_time_counts_in_the_companys_month(app):
    a_warehouse(app, "WH1")
    an_item(app, "A")
    app.clock = lambda: datetime(2026, 10, 31, 20, 0, tzinfo=UTC)  # 04:00 on 1 November in 北京
    create(app, "receipt", "WH1", {"item": "A", "quantity": "1", "unit_cost": "1"})

    def months_with_a_cycle(zone: str) -> list[str]:
        with app.reader() as connection:
            found = kpi.dashboard(
                connection, date(2026, 10, 1), date(2026, 11, 30), TODAY, zone=ZoneInfo(zone)
            )
        (cycle,) = [figure for figure in found.figures if figure.key == "cycle_hours"]
        return [point.month for point in cycle.trend if point.value is not None]

    assert (months_with_a_cycle("Asia/Shanghai"), months_with_a_cycle("UTC")) == (
        ["2026-11"],
        ["2026-10"],
    )
