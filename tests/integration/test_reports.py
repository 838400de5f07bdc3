"""The standard stock reports on hand-checked data, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from jxc.domain.errors import Invalid, NotFound
from jxc.queries import periods as period_queries
from jxc.queries import reports
from jxc.queries.reports import Scope
from jxc.services import catalog, documents, periods
from tests.builders import a_user, a_warehouse, an_item, create

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
D = Decimal


@pytest.fixture
def shop(app):
    """Screws in WH1 since September: received, put away, issued, sent to WH2 in October."""
    app.clock = lambda: NOW
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    catalog.add_location(app.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "货架"})
    an_item(app, "螺丝-M3", category="五金")
    line = {"item": "螺丝-M3", "quantity": "10", "unit_cost": "2.00"}
    create(app, "receipt", "WH1", line, business_date="2026-09-10")
    create(app, "receipt", "WH1", {**line, "unit_cost": "3.00"}, business_date="2026-10-05")
    create(
        app,
        "putaway",
        "WH1",
        {"item": "螺丝-M3", "quantity": "8", "location": "STOCK", "to_location": "A-01"},
        business_date="2026-10-06",
    )
    create(app, "issue", "WH1", {"item": "螺丝-M3", "quantity": "4"}, business_date="2026-10-20")
    create(
        app,
        "transfer",
        "WH1",
        {"item": "螺丝-M3", "quantity": "6"},
        to_warehouse="WH2",
        business_date="2026-10-30",
    )
    a_user(app, "finance", "finance")
    return app


def summary(app, start, end, **scope):
    with app.reader() as connection:
        return reports.stock_summary(connection, start, end, Scope(**scope))


def figures(row):
    return (
        row.warehouse,
        row.opening_quantity,
        row.opening_value,
        row.in_quantity,
        row.in_value,
        row.out_quantity,
        row.out_value,
        row.closing_quantity,
        row.closing_value,
    )


def test_the_summary_of_october_counts_receipts_issues_and_transfers_but_not_a_put_away(shop):
    found = summary(shop, date(2026, 10, 1), date(2026, 10, 31))

    # 10 @ 2.00 in September; 10 @ 3.00 in; 4 issued and 6 sent at the average of 2.50
    assert [figures(row) for row in found.rows] == [
        ("WH1", D(10), D("20.00"), D(10), D("30.00"), D(10), D("25.00"), D(10), D("25.00"))
    ]  # WH2 has nothing yet: the 6 are in transit
    assert found.since is None
    assert found.total.closing_value == D("25.00")


def test_totals_add_up_quantities_only_of_one_unit_and_values_always(shop):
    an_item(shop, "胶水", category="化工", base_unit="kg")
    glue = {"item": "胶水", "quantity": "2.5", "unit_cost": "8.00"}
    create(shop, "receipt", "WH1", glue, business_date="2026-10-08")

    screws = summary(shop, date(2026, 10, 1), date(2026, 10, 31), category="五金")
    both = summary(shop, date(2026, 10, 1), date(2026, 10, 31))
    with shop.reader() as connection:
        aged = reports.stock_ageing(connection, TODAY, Scope(warehouse="WH1"))

    assert (screws.total.unit, screws.total.closing_quantity) == ("个", D(10))
    # 10 个 and 2.5 kg add up to nothing; ¥25.00 and ¥20.00 do
    assert (both.total.unit, both.total.in_quantity, both.total.closing_quantity) == (
        None,
        None,
        None,
    )
    assert (both.total.in_value, both.total.closing_value) == (D("50.00"), D("45.00"))
    assert (aged.total.on_hand, aged.total.quantities[0]) == (None, None)
    assert aged.total.value == sum(row.value for row in aged.rows)


def test_a_transfer_is_in_at_the_receiving_warehouse_once_received(shop):
    shipped = _only_transfer(shop)
    documents.receive(shop.uow(), "tester", shipped)

    found = summary(shop, date(2026, 10, 1), date(2026, 10, 31), warehouse="WH2")

    assert [figures(row) for row in found.rows] == [
        ("WH2", D(0), D(0), D(6), D("15.00"), D(0), D(0), D(6), D("15.00"))
    ]


def test_a_reversal_counts_red_on_the_side_of_what_it_undoes_not_as_the_other_way(shop):
    line = {"item": "螺丝-M3", "quantity": "5", "unit_cost": "4.00"}
    mistaken = create(shop, "receipt", "WH1", line, business_date="2026-10-21")
    documents.reverse(shop.uow(), "tester", mistaken.number, post=True)

    found = summary(shop, date(2026, 10, 1), date(2026, 10, 31), warehouse="WH1")

    # as before: 10 in, 10 out; the receipt of 5 and its 红冲 make 0 入库 and no 出库
    assert [figures(row) for row in found.rows] == [
        ("WH1", D(10), D("20.00"), D(10), D("30.00"), D(10), D("25.00"), D(10), D("25.00"))
    ]
    november = summary(shop, date(2026, 10, 21), date(2026, 10, 21), warehouse="WH1")
    assert [figures(row) for row in november.rows] == [
        ("WH1", D(16), D("40.00"), D(0), D("0.00"), D(0), D("0.00"), D(16), D("40.00"))
    ]


def test_the_opening_starts_from_the_latest_closed_month(shop):
    periods.close(shop.uow(), "finance", "2026-09")
    periods.close(shop.uow(), "finance", "2026-10")
    create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "3"}, business_date="2026-11-03")

    november = summary(shop, date(2026, 11, 1), date(2026, 11, 30))
    mid_october = summary(shop, date(2026, 10, 15), date(2026, 11, 30))

    assert november.since == "2026-10"
    assert [figures(row) for row in november.rows] == [
        ("WH1", D(10), D("25.00"), D(0), D(0), D(3), D("7.50"), D(7), D("17.50"))
    ]
    assert mid_october.since == "2026-09"
    assert mid_october.rows[0].opening_quantity == D(20)  # September's 10 and 5 October days
    with shop.reader() as connection:
        _, as_of = period_queries.stock_as_of(connection, date(2026, 11, 30), "WH1")
    assert november.rows[0].closing_quantity == sum(
        r.quantity for r in as_of if r.location != "TRANSIT"
    )


def test_the_summary_filters_by_item_and_category(shop):
    an_item(shop, "垫片", category="配件")
    create(
        shop,
        "receipt",
        "WH1",
        {"item": "垫片", "quantity": "5", "unit_cost": "1"},
        business_date="2026-10-02",
    )

    by_category = summary(shop, date(2026, 10, 1), date(2026, 10, 31), category="配件")
    by_item = summary(shop, date(2026, 10, 1), date(2026, 10, 31), item="螺丝-M3")

    assert [row.item for row in by_category.rows] == ["垫片"]
    assert [row.item for row in by_item.rows] == ["螺丝-M3"]


def test_bad_periods_and_unknown_codes_are_refused_with_their_codes(shop):
    with pytest.raises(Invalid) as reversed_range:
        summary(shop, date(2026, 10, 31), date(2026, 10, 1))
    with pytest.raises(Invalid) as too_long:
        summary(shop, date(2025, 1, 1), date(2026, 1, 2))
    with pytest.raises(NotFound) as unknown:
        summary(shop, date(2026, 10, 1), date(2026, 10, 31), warehouse="NOWHERE")
    with pytest.raises(NotFound) as hidden:
        summary(shop, date(2026, 10, 1), date(2026, 10, 31), warehouse="WH2", visible={"WH1"})

    assert reversed_range.value.code == "report.range_reversed"
    assert reversed_range.value.params == {"start": "2026-10-31", "end": "2026-10-01"}
    assert too_long.value.code == "report.range_too_long"
    assert too_long.value.params["max"] == reports.MAX_SUMMARY_DAYS
    assert unknown.value.code == hidden.value.code == "warehouse.unknown"
    summary(shop, date(2025, 1, 1), date(2025, 12, 31))  # a whole year is fine


def _only_transfer(app):
    with app.reader() as connection:
        return reports.in_transit(connection, TODAY).rows[0].document


def test_ageing_lays_the_stock_on_hand_against_the_newest_receipts(shop):
    line = {"item": "螺丝-M3", "quantity": "5", "unit_cost": "4.00"}
    create(shop, "receipt", "WH1", line, business_date="2026-11-20")  # 5 days old
    create(shop, "receipt", "WH1", {**line, "quantity": "1"}, business_date="2025-06-01")

    with shop.reader() as connection:
        found = reports.stock_ageing(connection, TODAY, Scope(warehouse="WH1"))

    # on hand 10 + 5 + 1 = 16: 5 of Nov 20 (0-30), 10 of Oct 5 (31-60), 1 of Sep 10 (61-90);
    # the one of June 2025 and the rest of September were issued first (FIFO)
    (row,) = found.rows
    assert row.on_hand == D(16)
    assert row.quantities == (D(5), D(10), D(1), D(0), D(0), D(0))
    assert sum(row.values) == row.value
    assert found.total.quantities == row.quantities


def test_ageing_counts_a_transfer_from_the_day_it_arrived(shop):
    documents.receive(shop.uow(), "tester", _only_transfer(shop))

    with shop.reader() as connection:
        (row,) = reports.stock_ageing(connection, TODAY, Scope(warehouse="WH2")).rows

    assert row.quantities == (D(6), D(0), D(0), D(0), D(0), D(0))  # arrived 26 days ago
    assert row.value == D("15.00")


def test_ageing_dates_each_serial_by_its_own_arrival_not_first_in_first_out(shop):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    phone = {"item": "手机", "quantity": "1", "unit_cost": "1999"}
    create(shop, "receipt", "WH1", {**phone, "serials": ["SN-OLD"]}, business_date="2026-09-10")
    create(shop, "receipt", "WH1", {**phone, "serials": ["SN-NEW"]}, business_date="2026-11-20")
    sold = {"item": "手机", "quantity": "1", "serials": ["SN-NEW"]}
    create(shop, "issue", "WH1", sold, business_date="2026-11-21")

    with shop.reader() as connection:
        (row,) = reports.stock_ageing(connection, TODAY, Scope(item="手机")).rows

    # first in, first out would call the phone left 5 days old; SN-OLD came 76 days ago
    assert row.quantities == (D(0), D(0), D(1), D(0), D(0), D(0))
    assert row.values == (D(0), D(0), D("1999.00"), D(0), D(0), D(0))


def test_ageing_takes_no_reversal_for_an_arrival(shop):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    phone = {"item": "手机", "quantity": "1", "serials": ["SN-OLD"]}
    create(shop, "receipt", "WH1", {**phone, "unit_cost": "1999"}, business_date="2026-09-10")
    issued = create(shop, "issue", "WH1", phone, business_date="2026-11-20")
    documents.reverse(shop.uow(), "tester", issued.number, post=True)  # it never left

    with shop.reader() as connection:
        (row,) = reports.stock_ageing(connection, TODAY, Scope(item="手机")).rows

    assert row.quantities == (D(0), D(0), D(1), D(0), D(0), D(0))  # 76 days, not 5


def test_dormant_stock_is_what_nothing_left_for_the_given_days(shop):
    an_item(shop, "旧灯")
    create(
        shop,
        "receipt",
        "WH1",
        {"item": "旧灯", "quantity": "2", "unit_cost": "50"},
        business_date="2026-03-01",
    )

    with shop.reader() as connection:
        ninety = reports.dormant_stock(connection, TODAY, 90)
        thirty = reports.dormant_stock(connection, TODAY, 30)

    assert [(r.item, r.last_out, r.days_idle, r.on_hand, r.value) for r in ninety.rows] == [
        ("旧灯", None, 269, D(2), D("100.00"))
    ]
    assert ninety.total_value == D("100.00")
    # the screws last left WH1 on October 30: 26 days
    assert [(r.item, r.days_idle) for r in thirty.rows] == [("旧灯", 269)]
    with shop.reader() as connection:
        twenty = reports.dormant_stock(connection, TODAY, 20)
    assert [(r.item, r.last_out, r.days_idle) for r in twenty.rows] == [
        ("旧灯", None, 269),
        ("螺丝-M3", date(2026, 10, 30), 26),
    ]


def test_expiry_alert_lists_expired_and_soon_expiring_batches(shop):
    an_item(shop, "牛奶", tracking="batch", shelf_life_days=30)
    for batch, expiry in (
        ("B-OLD", "2026-11-20"),
        ("B-SOON", "2026-12-10"),
        ("B-LATE", "2027-03-01"),
    ):
        create(
            shop,
            "receipt",
            "WH1",
            {
                "item": "牛奶",
                "quantity": "3",
                "unit_cost": "5",
                "batch": batch,
                "production_date": "2026-10-01",
                "expiry_date": expiry,
            },
            business_date="2026-11-01",
        )

    with shop.reader() as connection:
        found = reports.expiry_alert(connection, TODAY, 30)

    assert [(r.batch, r.days_left, r.expired, r.on_hand, r.location) for r in found.rows] == [
        ("B-OLD", -5, True, D(3), "STOCK"),
        ("B-SOON", 15, False, D(3), "STOCK"),
    ]
    assert found.total_value == D("30.00")


def test_in_transit_lists_shipped_transfers_until_they_are_received(shop):
    with shop.reader() as connection:
        before = reports.in_transit(connection, TODAY)
        seen_by_wh2 = reports.in_transit(connection, TODAY, Scope(visible={"WH2"}))
        hidden = reports.in_transit(connection, TODAY, Scope(visible={"WH9"}))

    (row,) = before.rows
    assert (row.from_warehouse, row.to_warehouse, row.item, row.quantity, row.value) == (
        "WH1",
        "WH2",
        "螺丝-M3",
        D(6),
        D("15.00"),
    )
    assert row.days_in_transit == 0  # shipped "today" by the fixture's clock
    assert seen_by_wh2.rows == before.rows
    assert hidden.rows == []
    documents.receive(shop.uow(), "tester", row.document)
    with shop.reader() as connection:
        assert reports.in_transit(connection, TODAY).rows == []


def test_days_in_transit_count_the_companys_days(shop):
    late = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # 01:00 on the 27th in 北京
    shop.clock = lambda: late
    create(shop, "transfer", "WH1", {"item": "螺丝-M3", "quantity": "1"}, to_warehouse="WH2")

    def days(zone: str) -> set[int]:
        with shop.reader() as connection:
            found = reports.in_transit(connection, date(2026, 11, 27), zone=ZoneInfo(zone))
        return {row.days_in_transit for row in found.rows if row.shipped_at == late}

    assert (days("Asia/Shanghai"), days("UTC")) == ({0}, {1})
