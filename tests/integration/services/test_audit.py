"""The audit trail: every action recorded with who, when, what and the state change; the
chain verifies; a row edited, removed or cut off in the database is caught."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from jxc.db import schema as s
from jxc.domain.audit import AuditEntry, Break
from jxc.domain.errors import InsufficientStock, Invalid
from jxc.queries import audit
from jxc.services import catalog, documents, stocktakes
from tests.builders import (
    a_user,
    a_warehouse,
    an_item,
    issue,
    receive,
    snapshot,
    tamper_with_audit,
)


def log(app, **filters):
    with app.reader() as connection:
        return audit.log(connection, **filters)


def report(app):
    with app.reader() as connection:
        return audit.chain_report(connection)


def steps(events):
    return [(e.actor, e.action, e.subject, e.from_state, e.to_state) for e in events]


def test_a_stocktakes_history_is_found_by_its_number_as_a_documents_is(app):
    warehouse = a_warehouse(app)
    number = stocktakes.plan(app.uow(), "tester", {"warehouse": warehouse}).number
    stocktakes.start(app.uow(), "tester", number)

    found = log(app, document=number)

    assert [(e.action, e.to_state) for e in found] == [
        ("stocktake.plan", "planned"),
        ("stocktake.start", "counting"),
    ]


def test_a_posted_receipt_records_who_created_it_with_its_lines_and_who_posted_it(app):
    warehouse = a_warehouse(app)
    clock = an_item(app, "RETRO-CLOCK")

    result = receive(app, warehouse, {"item": clock.code, "quantity": "12", "unit_cost": "35.5"})

    created, posted = log(app, document=result.number)
    assert steps([created, posted]) == [
        ("tester", "document.create", result.number, None, "draft"),
        ("tester", "document.post", result.number, "draft", "posted"),
    ]
    submitted = json.loads(created.payload)
    assert submitted["warehouse"] == warehouse
    assert submitted["lines"] == [{"item": clock.code, "quantity": "12", "unit_cost": "35.5"}]
    assert json.loads(posted.payload) == {"lines": 1, "entries": 1}
    assert report(app).ok


def test_a_transfer_records_its_shipment_and_its_receipt_by_whoever_did_each(app):
    source, target = a_warehouse(app), a_warehouse(app)
    screws = an_item(app, "螺丝-M3")
    receive(app, source, {"item": screws.code, "quantity": "10"})
    a_user(app, "仓管员 张三", "warehouse_clerk", source)
    a_user(app, "仓管员 李四", "warehouse_clerk", target)
    shipped = documents.create(
        app.uow(),
        "仓管员 张三",
        {
            "document_type": "transfer",
            "warehouse": source,
            "to_warehouse": target,
            "lines": [{"item": screws.code, "quantity": "4"}],
        },
        post=True,
    )

    documents.receive(app.uow(), "仓管员 李四", shipped.number)

    assert steps(log(app, document=shipped.number)) == [
        ("仓管员 张三", "document.create", shipped.number, None, "draft"),
        ("仓管员 张三", "document.post", shipped.number, "draft", "in_transit"),
        ("仓管员 李四", "document.receive", shipped.number, "in_transit", "posted"),
    ]


def test_a_reversal_records_the_reversed_document_and_the_reversal_that_posted(app):
    warehouse = a_warehouse(app)
    screws = an_item(app, "螺丝-M4")
    original = receive(app, warehouse, {"item": screws.code, "quantity": "5"})
    a_user(app, "财务 王五", "finance")

    reversal = documents.reverse(
        app.uow(), "财务 王五", original.number, note="数量录错", post=True
    )

    reversed_step = log(app, document=original.number)[-1]
    assert steps([reversed_step]) == [
        ("财务 王五", "document.reverse", original.number, "posted", "reversed")
    ]
    assert json.loads(reversed_step.payload) == {"reversal": reversal.number}
    created, posted = log(app, document=reversal.number)
    assert steps([created, posted]) == [
        ("财务 王五", "document.create", reversal.number, None, "draft"),
        ("财务 王五", "document.post", reversal.number, "draft", "posted"),
    ]
    assert json.loads(created.payload) == {"reverses": original.number, "note": "数量录错"}


def test_master_data_changes_are_recorded_with_who_made_them(app):
    actor = a_user(app, "管理员 赵六", "admin")
    catalog.add_unit(app.uow(), actor, "打", "打", 0)
    catalog.add_warehouse(app.uow(), actor, {"code": "一号仓", "name": "一号仓"})
    catalog.add_location(app.uow(), actor, {"warehouse": "一号仓", "code": "A-01", "name": "A 区"})
    catalog.set_negative_stock(app.uow(), actor, "一号仓", True)
    catalog.add_item(app.uow(), actor, {"code": "螺母-M3", "name": "螺母 M3", "base_unit": "个"})
    catalog.add_unit_conversion(app.uow(), actor, "螺母-M3", "打", Decimal(12))
    catalog.add_barcode(app.uow(), actor, "螺母-M3", "6901234567892", "打")

    recorded = log(app, actor=actor)

    assert [(e.action, e.subject) for e in recorded] == [
        ("unit.add", "打"),
        ("warehouse.add", "一号仓"),
        ("location.add", "一号仓/A-01"),
        ("warehouse.set_negative_stock", "一号仓"),
        ("item.add", "螺母-M3"),
        ("item.set_unit", "螺母-M3"),
        ("item.add_barcode", "螺母-M3"),
    ]
    assert json.loads(recorded[3].payload) == {"allow_negative_stock": True}
    assert json.loads(recorded[5].payload) == {"unit": "打", "ratio": "12", "was": None}
    assert report(app).ok


def test_a_refused_posting_records_nothing(app):
    warehouse = a_warehouse(app)
    screws = an_item(app, "螺丝-M5")
    receive(app, warehouse, {"item": screws.code, "quantity": "2"})
    before, head = snapshot(app), report(app)

    with pytest.raises(InsufficientStock):
        issue(app, warehouse, {"item": screws.code, "quantity": "3"})

    assert snapshot(app) == before
    assert report(app) == head


def test_a_replayed_request_is_recorded_once(app):
    warehouse = a_warehouse(app)
    screws = an_item(app, "螺丝-M6")

    first = receive(app, warehouse, {"item": screws.code, "quantity": "2"}, request_id="r-1")
    again = receive(app, warehouse, {"item": screws.code, "quantity": "2"}, request_id="r-1")

    assert again == first
    assert [e.action for e in log(app, document=first.number)] == [
        "document.create",
        "document.post",
    ]


def three_receipts(app):
    warehouse = a_warehouse(app)
    screws = an_item(app, "螺丝-M8")
    return [receive(app, warehouse, {"item": screws.code, "quantity": "1"}) for _ in range(3)]


def test_verify_catches_a_payload_edited_in_the_database(app):
    first = three_receipts(app)[0]
    created = log(app, document=first.number)[0]
    forged = created.payload.replace('"quantity":"1"', '"quantity":"100"')
    assert forged != created.payload

    tamper_with_audit(
        app,
        update(s.AuditEvent)
        .where(s.AuditEvent.sequence == created.sequence)
        .values(payload=forged),
    )

    broken = report(app)
    assert (broken.problem, broken.broken_at) == (Break.CHANGED, created.sequence)


def test_verify_catches_an_actor_edited_in_the_database(app):
    posted = log(app, document=three_receipts(app)[1].number)[-1]

    tamper_with_audit(
        app,
        update(s.AuditEvent)
        .where(s.AuditEvent.sequence == posted.sequence)
        .values(actor="someone else"),
    )

    assert (report(app).problem, report(app).broken_at) == (Break.CHANGED, posted.sequence)


def test_verify_catches_an_event_deleted_from_the_middle(app):
    posted = log(app, document=three_receipts(app)[1].number)[-1]

    tamper_with_audit(app, delete(s.AuditEvent).where(s.AuditEvent.sequence == posted.sequence))

    assert (report(app).problem, report(app).broken_at) == (Break.MISSING, posted.sequence)


def test_verify_catches_the_newest_events_cut_off(app):
    three_receipts(app)
    newest = report(app).head_sequence

    tamper_with_audit(app, delete(s.AuditEvent).where(s.AuditEvent.sequence >= newest - 1))

    assert (report(app).problem, report(app).broken_at) == (Break.TRUNCATED, newest - 1)


def test_the_log_filters_by_user_action_and_days_in_the_readers_time_zone(app):
    warehouse = a_warehouse(app)
    screws = an_item(app, "螺丝-M10")
    a_user(app, "仓管员 张三", "warehouse_clerk", warehouse)
    beijing = timezone(timedelta(hours=8))
    # 00:30 on 3 March in Beijing is still 2 March in UTC.
    app.clock = lambda: datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    late = receive(app, warehouse, {"item": screws.code, "quantity": "1"})
    app.clock = lambda: datetime(2026, 3, 3, 16, 30, tzinfo=UTC)
    next_day = documents.create(
        app.uow(),
        "仓管员 张三",
        {
            "document_type": "receipt",
            "warehouse": warehouse,
            "lines": [{"item": screws.code, "quantity": "1"}],
        },
    )

    on_the_3rd = log(app, first_day=date(2026, 3, 3), last_day=date(2026, 3, 3), zone=beijing)
    on_the_3rd_utc = log(app, first_day=date(2026, 3, 3), last_day=date(2026, 3, 3))
    by_user = log(app, actor="仓管员 张三")
    posts = log(app, action="document.post", first_day=date(2026, 3, 1))

    assert [e.subject for e in on_the_3rd] == [late.number, late.number]
    assert [e.subject for e in on_the_3rd_utc] == [next_day.number]
    assert steps(by_user) == [("仓管员 张三", "document.create", next_day.number, None, "draft")]
    assert [e.subject for e in posts] == [late.number]


def test_the_log_gives_the_newest_events_oldest_first(app):
    numbers = [r.number for r in three_receipts(app)]

    newest = log(app, action="document.post", limit=2)

    assert [e.subject for e in newest] == numbers[1:]
    assert newest[0].sequence < newest[1].sequence


def test_a_day_range_that_ends_before_it_starts_is_refused_naming_both_days(app):
    with pytest.raises(Invalid) as refused:
        log(app, first_day=date(2026, 3, 5), last_day=date(2026, 3, 4))

    assert refused.value.code == "date.range_reversed"
    assert refused.value.params == {"start": date(2026, 3, 5), "end": date(2026, 3, 4)}


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_database_itself_refuses_to_change_or_remove_an_audit_event(app, change):
    three_receipts(app)
    statement = (
        update(s.AuditEvent).values(actor="someone")
        if change == "update"
        else delete(s.AuditEvent).where(s.AuditEvent.sequence == 1)
    )

    with pytest.raises(DBAPIError, match="append-only"), app.engine.begin() as connection:
        connection.execute(statement)

    assert report(app).ok


def test_filtering_by_an_action_the_log_never_records_is_refused_naming_the_near_ones(app):
    receive(app, a_warehouse(app), {"item": an_item(app).code, "quantity": "1"})
    assert [e.action for e in log(app, action="document.post")] == ["document.post"]

    with pytest.raises(Invalid) as typo:
        log(app, action="document.pst")
    assert typo.value.code == "audit.action_unknown"
    assert typo.value.params["action"] == "document.pst"
    assert "document.post" in typo.value.params["actions"].split(", ")
    with pytest.raises(Invalid) as nonsense:
        log(app, action="nonsense")
    assert "company.set_timezone" in nonsense.value.params["actions"].split(", ")

    with pytest.raises(Invalid):  # a workflow's own step is known once one is taken
        log(app, action="document.inspect")
    uow = app.uow()

    def inspect() -> None:  # a step of an admin's own workflow, recorded as such
        uow.record(AuditEntry("tester", "document.inspect", "document", "RK1"))
        uow.commit()

    uow.run(inspect)
    assert [e.action for e in log(app, action="document.inspect")] == ["document.inspect"]
    assert (
        log(app, action="document.inspect", first_day=date(2001, 1, 1), last_day=date(2001, 1, 1))
        == []
    )
