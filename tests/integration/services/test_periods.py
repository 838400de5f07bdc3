"""Period close (结账) through the services: a closed month keeps its figures; later steps
of its documents are booked in the open month; reopening is an admin's, with a reason."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from jxc.bootstrap import build
from jxc.config import Settings
from jxc.db import schema as s
from jxc.domain.errors import Conflict, Forbidden, Invalid
from jxc.queries import audit, consistency
from jxc.queries import periods as period_queries
from jxc.services import documents, periods
from tests.builders import (
    a_user,
    a_warehouse,
    an_item,
    assert_books_balance,
    create,
    refused,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def shop(app):
    """Screws received in September and October, issued in October; today is 25 November."""
    app.clock = lambda: NOW
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    an_item(app, "螺丝-M3")
    line = {"item": "螺丝-M3", "quantity": "10", "unit_cost": "2.00"}
    create(app, "receipt", "WH1", line, business_date="2026-09-10")
    create(app, "receipt", "WH1", {**line, "unit_cost": "3.00"}, business_date="2026-10-05")
    create(app, "issue", "WH1", {"item": "螺丝-M3", "quantity": "4"}, business_date="2026-10-20")
    a_user(app, "finance", "finance")
    return app


def stock_on(app, day, warehouse="WH1"):
    with app.reader() as connection:
        start, rows = period_queries.stock_as_of(connection, day, warehouse, "螺丝-M3")
    return start, [(r.location, r.quantity, r.value) for r in rows]


def test_closing_a_month_keeps_its_stock_and_value_in_a_snapshot(shop):
    periods.close(shop.uow(), "finance", "2026-09")  # in order from the first
    closed = periods.close(shop.uow(), "finance", "2026-10")

    assert (closed.period, closed.balances) == ("2026-10", 1)
    start, rows = stock_on(shop, date(2026, 10, 31))
    assert start == "2026-10"
    assert rows == [("STOCK", Decimal(16), Decimal("40.00"))]
    assert_books_balance(shop)  # the check compares every snapshot with the ledger


def test_nothing_can_be_posted_into_a_closed_month(shop):
    periods.close(shop.uow(), "finance", "2026-09")  # in order from the first
    periods.close(shop.uow(), "finance", "2026-10")
    line = {"item": "螺丝-M3", "quantity": "1"}

    with refused(shop, Invalid) as new_document:
        create(shop, "issue", "WH1", line, business_date="2026-10-31")
    with refused(shop, Invalid):
        create(shop, "issue", "WH1", line, business_date="2026-09-30", post=False)

    assert new_document.value.code == "period.closed"
    assert new_document.value.params["pointer"] == "/business_date"
    assert new_document.value.params["period"] == "2026-10"
    create(shop, "issue", "WH1", line, business_date="2026-11-01")


def test_a_draft_dated_in_a_month_closed_since_cannot_be_posted(shop):
    draft = create(
        shop,
        "issue",
        "WH1",
        {"item": "螺丝-M3", "quantity": "1"},
        business_date="2026-10-30",
        post=False,
    )
    periods.close(shop.uow(), "finance", "2026-09")  # in order from the first
    periods.close(shop.uow(), "finance", "2026-10")

    with refused(shop, Conflict) as caught:
        documents.post(shop.uow(), "tester", draft.number)

    assert caught.value.code == "period.closed"


def test_a_transfer_shipped_in_a_closed_month_is_received_today(shop):
    shipped = create(
        shop,
        "transfer",
        "WH1",
        {"item": "螺丝-M3", "quantity": "6"},
        to_warehouse="WH2",
        business_date="2026-10-30",
    )
    periods.close(shop.uow(), "finance", "2026-09")  # in order from the first
    periods.close(shop.uow(), "finance", "2026-10")

    documents.receive(shop.uow(), "tester", shipped.number)

    assert stock_on(shop, date(2026, 10, 31), "WH2")[1] == [
        ("TRANSIT", Decimal(6), Decimal("15.00"))
    ]
    assert stock_on(shop, NOW.date(), "WH2")[1] == [("STOCK", Decimal(6), Decimal("15.00"))]
    assert_books_balance(shop)


def test_reversing_a_document_of_a_closed_month_books_the_reversal_today(shop):
    original = create(
        shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "2"}, business_date="2026-10-25"
    )
    periods.close(shop.uow(), "finance", "2026-09")  # in order from the first
    periods.close(shop.uow(), "finance", "2026-10")

    reversal = documents.reverse(shop.uow(), "finance", original.number, post=True)

    assert stock_on(shop, date(2026, 10, 31))[1] == [("STOCK", Decimal(14), Decimal("35.00"))]
    assert stock_on(shop, NOW.date())[1] == [("STOCK", Decimal(16), Decimal("40.00"))]
    with shop.reader() as connection:
        booked = connection.execute(
            select(s.Document.business_date).where(s.Document.number == reversal.number)
        ).scalar_one()
    assert booked == NOW.date()
    assert_books_balance(shop)


def test_stock_as_of_a_day_after_the_close_adds_what_came_since(shop):
    periods.close(shop.uow(), "finance", "2026-09")
    periods.close(shop.uow(), "finance", "2026-10")
    create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "5"}, business_date="2026-11-03")

    before_any_close = stock_on(shop, date(2026, 9, 20))
    in_september = stock_on(shop, date(2026, 9, 30))
    after_october = stock_on(shop, date(2026, 11, 10))

    assert before_any_close == (None, [("STOCK", Decimal(10), Decimal("20.00"))])
    assert in_september == ("2026-09", [("STOCK", Decimal(10), Decimal("20.00"))])
    assert after_october[0] == "2026-10"
    assert after_october[1] == [("STOCK", Decimal(11), Decimal("27.50"))]


def test_the_first_close_is_of_the_first_month_with_postings(shop):
    with refused(shop, Conflict) as skipping:
        periods.close(shop.uow(), "finance", "2026-10")

    assert (skipping.value.code, skipping.value.params) == (
        "period.close_out_of_order",
        {"period": "2026-10", "expected": "2026-09"},
    )
    # September stays open: a document may still be dated there
    create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, business_date="2026-09-30")


def test_months_close_in_order_and_not_before_they_end(shop):
    periods.close(shop.uow(), "finance", "2026-08")

    with refused(shop, Conflict) as skipping:
        periods.close(shop.uow(), "finance", "2026-10")
    with refused(shop, Invalid) as this_month:
        periods.close(shop.uow(), "finance", "2026-11")
    with refused(shop, Invalid) as malformed:
        periods.close(shop.uow(), "finance", "十月")

    assert skipping.value.params == {"period": "2026-10", "expected": "2026-09"}
    assert this_month.value.code == "period.not_ended"
    assert malformed.value.code == "period.invalid"


def test_only_an_admin_reopens_and_must_say_why(shop):
    periods.close(shop.uow(), "finance", "2026-09")  # in order from the first
    periods.close(shop.uow(), "finance", "2026-10")

    with refused(shop, Forbidden):
        periods.reopen(shop.uow(), "finance", "2026-10", "补录")
    with refused(shop, Invalid) as no_reason:
        periods.reopen(shop.uow(), "tester", "2026-10", " ")
    periods.reopen(shop.uow(), "tester", "2026-10", "补录漏记的入库单")

    assert no_reason.value.code == "period.reason_required"
    create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, business_date="2026-10-31")
    closed_again = periods.close(shop.uow(), "finance", "2026-10")
    assert closed_again.balances == 1
    with shop.reader() as connection:
        rows = period_queries.closes(connection)
        recorded = [(e.actor, e.action, e.subject) for e in audit.log(connection)]
    assert [(r.period, r.reopen_reason) for r in rows] == [
        ("2026-10", None),
        ("2026-10", "补录漏记的入库单"),
        ("2026-09", None),
    ]
    assert ("tester", "period.reopen", "2026-10") in recorded
    assert recorded.count(("finance", "period.close", "2026-10")) == 2
    assert_books_balance(shop)


def test_a_clerk_cannot_close_a_month(shop):
    a_user(shop, "clerk", "warehouse_clerk", "WH1")

    with refused(shop, Forbidden):
        periods.close(shop.uow(), "clerk", "2026-10")


def test_check_finds_a_snapshot_edited_behind_the_applications_back(shop):
    periods.close(shop.uow(), "finance", "2026-09")  # in order from the first
    periods.close(shop.uow(), "finance", "2026-10")
    with shop.engine.begin() as connection:
        connection.execute(update(s.PeriodSnapshot).values(quantity=Decimal(99)))

    with shop.reader() as connection:
        report = consistency.check(connection)

    assert [(p.code, p.params["period"]) for p in report.problems] == [
        ("check.snapshot_mismatch", "2026-09"),
        ("check.snapshot_mismatch", "2026-10"),
    ]


def test_two_people_closing_the_same_month_at_once_close_it_once(shop, database_url):
    periods.close(shop.uow(), "finance", "2026-09")
    apps = [build(Settings(database_url=database_url)) for _ in range(2)]
    for racer in apps:
        racer.clock = lambda: NOW
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def closer(racer):
        start.wait()
        try:
            periods.close(racer.uow(), "finance", "2026-10")
            outcomes.append("closed")
        except Conflict as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=closer, args=(racer,)) for racer in apps]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for racer in apps:
            racer.dispose()

    assert sorted(outcomes) == ["closed", "period.already_closed"]
    with shop.reader() as connection:
        assert [r.period for r in period_queries.closes(connection)] == ["2026-10", "2026-09"]
