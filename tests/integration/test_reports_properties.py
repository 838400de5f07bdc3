"""进销存汇总表 and 库龄分析 equal the ledger, whatever was posted and wherever a month was closed.

Hypothesis posts random receipts, issues, put-aways and transfers (some left in transit)
over three months, sometimes closes the first one or two months in between, and then
asks for the summary of a random period. On both engines:

* in and out per item and warehouse equal sums over the raw ledger entries, read here
  in Python (a move inside a warehouse is neither; into transit is out of the sender);
* the opening equals ``stock_as_of`` the day before, the closing ``stock_as_of`` the last
  day (internal locations), so closing = opening + in − out holds against the books;
* the summary that starts from a snapshot equals the one summed from the whole ledger;
* 库龄分析 equals the on hand laid against the incoming entries newest first (FIFO), in
  Python, for any day up to a year after them.
"""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import aliased

from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.db import schema as s
from jxc.domain.errors import InsufficientStock
from jxc.queries import periods as period_queries
from jxc.queries import reports
from jxc.services import catalog, documents, periods
from tests.builders import a_user, a_warehouse, an_item, create
from tests.conftest import _truncate

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
FIRST = date(2026, 8, 1)
DAYS = 92  # August to October
WAREHOUSES = ("WH1", "WH2")
ITEMS = ("螺丝-M3", "垫片")

operation = st.tuples(
    st.sampled_from(["receipt", "issue", "transfer", "transfer_kept", "putaway"]),
    st.sampled_from(WAREHOUSES),
    st.sampled_from(ITEMS),
    st.integers(1, 20),
    st.sampled_from(["1.00", "2.50", "3.33"]),
    st.integers(0, DAYS - 1),
)


@pytest.fixture
def fresh(backend, request, tmp_path):
    """A new empty database per hypothesis example: closed months must not carry over."""

    def make() -> App:
        if backend == "sqlite":
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            app = build(Settings(database_url=f"sqlite:///{path}"))
        else:
            server = request.getfixturevalue("postgresql_app")
            _truncate(server)
            app = build(Settings(database_url=server.engine.url.render_as_string(False)))
        app.clock = lambda: NOW
        for code in WAREHOUSES:
            a_warehouse(app, code)
        catalog.add_location(app.uow(), "tester", {"warehouse": "WH1", "code": "A", "name": "A"})
        for code in ITEMS:
            an_item(app, code)
        a_user(app, "finance", "finance")
        return app

    return make


def post(app: App, kind, warehouse, item, quantity, cost, day) -> None:
    line = {"item": item, "quantity": str(quantity)}
    other = WAREHOUSES[1 - WAREHOUSES.index(warehouse)]
    try:
        if kind == "receipt":
            create(app, "receipt", warehouse, {**line, "unit_cost": cost}, business_date=day)
        elif kind == "issue":
            create(app, "issue", warehouse, line, business_date=day)
        elif kind == "putaway" and warehouse == "WH1":
            moved = {**line, "location": "STOCK", "to_location": "A"}
            create(app, "putaway", warehouse, moved, business_date=day)
        elif kind.startswith("transfer"):
            sent = create(app, "transfer", warehouse, line, to_warehouse=other, business_date=day)
            if kind == "transfer":
                documents.receive(app.uow(), "tester", sent.number)
    except InsufficientStock:
        pass  # refused, as it should be: nothing was written


def ledger_legs(app: App, start: date, end: date):
    """Each entry between ``start`` and ``end`` as warehouses see it, read here in Python.

    (item, warehouse, "in" or "out", entry id, business date, quantity, value): a move
    inside a warehouse is neither; into transit is out of the sender.
    """
    source, target = aliased(s.Location), aliased(s.Location)
    wh_from, wh_to = aliased(s.Warehouse), aliased(s.Warehouse)
    query = (
        select(
            s.Item.code,
            s.StockLedgerEntry.id,
            s.StockLedgerEntry.business_date,
            s.StockLedgerEntry.quantity,
            s.StockLedgerEntry.value,
            source.kind.label("from_kind"),
            wh_from.code.label("from_wh"),
            target.kind.label("to_kind"),
            wh_to.code.label("to_wh"),
        )
        .join(s.Item, s.Item.id == s.StockLedgerEntry.item_id)
        .join(source, source.id == s.StockLedgerEntry.from_location_id)
        .join(target, target.id == s.StockLedgerEntry.to_location_id)
        .outerjoin(wh_from, wh_from.id == source.warehouse_id)
        .outerjoin(wh_to, wh_to.id == target.warehouse_id)
        .where(s.StockLedgerEntry.business_date.between(start, end))
    )
    with app.reader() as connection:
        for row in connection.execute(query):
            into = row.to_kind == "internal"
            out_of = row.from_kind == "internal"
            if into and out_of and row.from_wh == row.to_wh:
                continue
            leg = (row.id, row.business_date, row.quantity, row.value)
            if into:
                yield (row.code, row.to_wh, "in", *leg)
            if out_of:
                yield (row.code, row.from_wh, "out", *leg)


def ledger_flows(app: App, start: date, end: date):
    """(item, warehouse) → [in quantity, in value, out quantity, out value]."""
    flows = defaultdict(lambda: [Decimal(0)] * 4)
    for item, warehouse, way, _, _, quantity, value in ledger_legs(app, start, end):
        offset = 0 if way == "in" else 2
        flows[(item, warehouse)][offset] += quantity
        flows[(item, warehouse)][offset + 1] += value
    return {key: tuple(value) for key, value in flows.items() if any(value)}


def books(app: App, day: date):
    """(item, warehouse) → (quantity, value) at internal locations at the end of ``day``."""
    totals = defaultdict(lambda: (Decimal(0), Decimal(0)))
    with app.reader() as connection:
        _, rows = period_queries.stock_as_of(connection, day)
    for row in rows:
        if row.location != "TRANSIT":
            held = totals[(row.item, row.warehouse)]
            totals[(row.item, row.warehouse)] = (held[0] + row.quantity, held[1] + row.value)
    return {key: value for key, value in totals.items() if value != (0, 0)}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(operation, min_size=1, max_size=10),
    closed=st.integers(0, 2),
    first=st.integers(0, DAYS + 20),
    length=st.integers(0, 60),
)
def test_the_summary_equals_the_ledger_with_or_without_a_snapshot(
    fresh, operations, closed, first, length
):
    app = fresh()
    months = [date(2026, 8, 31), date(2026, 9, 30)][:closed]
    for kind, warehouse, item, quantity, cost, offset in sorted(operations, key=lambda o: o[5]):
        day = FIRST + timedelta(days=offset)
        while months and day > months[0]:  # close a month once nothing more is dated in it
            periods.close(app.uow(), "finance", f"{months.pop(0):%Y-%m}")
        post(app, kind, warehouse, item, quantity, cost, day)
    for month in months:
        periods.close(app.uow(), "finance", f"{month:%Y-%m}")
    start = FIRST + timedelta(days=first)
    end = start + timedelta(days=length)

    with app.reader() as connection:
        found = reports.stock_summary(connection, start, end)
        from_ledger = reports.stock_summary(connection, start, end, use_snapshots=False)

    by_key = {(row.item, row.warehouse): row for row in found.rows}
    flows = ledger_flows(app, start, end)
    assert {
        key: (r.in_quantity, r.in_value, r.out_quantity, r.out_value)
        for key, r in by_key.items()
        if (r.in_quantity, r.in_value, r.out_quantity, r.out_value) != (0, 0, 0, 0)
    } == flows
    opening, closing = books(app, start - timedelta(days=1)), books(app, end)
    assert {
        k: (r.opening_quantity, r.opening_value)
        for k, r in by_key.items()
        if (r.opening_quantity, r.opening_value) != (0, 0)
    } == opening
    assert {
        k: (r.closing_quantity, r.closing_value)
        for k, r in by_key.items()
        if (r.closing_quantity, r.closing_value) != (0, 0)
    } == closing
    assert found.rows == from_ledger.rows
    assert found.total == from_ledger.total
    if closed and start > date(2026, 9, 1):
        assert found.since is not None
    app.dispose()


def fifo_ageing(app: App, today: date):
    """(item, warehouse) → on hand per 库龄 bucket: the on hand laid against the incoming
    entries newest first, in Python; what they cannot explain is the oldest."""
    incoming = defaultdict(list)
    for item, warehouse, way, entry, day, quantity, _ in ledger_legs(app, date.min, date.max):
        if way == "in":
            incoming[(item, warehouse)].append((day, entry, quantity))
    limits = [oldest for _, oldest in reports.AGE_BUCKETS if oldest is not None]
    ageing = {}
    for key, (on_hand, _) in books(app, today).items():
        buckets = [Decimal(0)] * len(reports.AGE_BUCKETS)
        left = on_hand
        for day, _, quantity in sorted(incoming[key], reverse=True):
            taken = min(quantity, left)
            age = (today - day).days
            buckets[next((i for i, limit in enumerate(limits) if age <= limit), -1)] += taken
            left -= taken
        buckets[-1] += left
        ageing[key] = tuple(buckets)
    return ageing


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(operation, min_size=3, max_size=14),
    today=st.one_of(st.integers(DAYS - 1, DAYS + 60), st.integers(DAYS + 300, DAYS + 400)),
)
def test_ageing_lays_the_on_hand_against_the_newest_incoming_entries(fresh, operations, today):
    app = fresh()
    for kind, warehouse, item, quantity, cost, offset in operations:
        post(app, kind, warehouse, item, quantity, cost, FIRST + timedelta(days=offset))
    day = FIRST + timedelta(days=today)

    with app.reader() as connection:
        found = reports.stock_ageing(connection, day)
        one_warehouse = reports.stock_ageing(connection, day, reports.Scope(warehouse="WH2"))

    assert {(r.item, r.warehouse): r.quantities for r in found.rows} == fifo_ageing(app, day)
    assert one_warehouse.rows == [r for r in found.rows if r.warehouse == "WH2"]
    for row in found.rows:
        assert sum(row.quantities) == row.on_hand
        assert sum(row.values) == row.value
    app.dispose()
