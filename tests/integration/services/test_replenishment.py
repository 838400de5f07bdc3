"""库存预警 and 补货建议 as a warehouse manager meets them: levels set per warehouse, alerts
when stock runs low or batches near expiry, suggestions turned into draft transfers and
purchase orders once, however often accepted.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from jxc.db.schema import OutboxEvent, StockBalance, StockRefusal
from jxc.domain.errors import Conflict, Forbidden, InsufficientStock, Invalid, NotFound
from jxc.queries import documents as document_queries
from jxc.services import documents, partners, replenishment
from tests.builders import a_user, a_warehouse, an_item, create, issue, receive, refused


@pytest.fixture
def shops(app):
    a_warehouse(app, "SH")
    a_warehouse(app, "BJ")
    an_item(app, "螺丝")
    an_item(app, "螺母")
    partners.add(app.uow(), "tester", {"code": "SUP-1", "name": "亚德客", "kind": "supplier"})
    receive(app, "SH", {"item": "螺丝", "quantity": "30", "unit_cost": "2"})
    receive(app, "SH", {"item": "螺母", "quantity": "8", "unit_cost": "0.5"})
    receive(app, "BJ", {"item": "螺丝", "quantity": "100", "unit_cost": "2"})
    return app


def levels(app, item, warehouse, safety, reorder, maximum, actor="tester"):
    return replenishment.set_levels(
        app.uow(),
        actor,
        {
            "item": item,
            "warehouse": warehouse,
            "safety_stock": safety,
            "reorder_point": reorder,
            "max_quantity": maximum,
        },
    )


def kinds(app, **options):
    return {
        (row.kind, row.warehouse, row.item)
        for row in replenishment.alerts(app.uow(), "tester", **options)
    }


# levels ---------------------------------------------------------------------------------------


def test_levels_are_set_replaced_and_audited(shops):
    levels(shops, "螺丝", "SH", "10", "20", "60")
    result = levels(shops, "螺丝", "SH", "5", "15", "50")
    assert result.reorder_point == Decimal(15)
    [row] = replenishment.level_rows(shops.uow(), "tester", "SH")
    assert (row.safety_stock, row.reorder_point, row.max_quantity) == (5, 15, 50)
    assert row.on_hand == Decimal(30)


@pytest.mark.parametrize(
    ("safety", "reorder", "maximum", "code", "pointer"),
    [
        ("-1", "20", "60", "level.negative", "/safety_stock"),
        ("10", "5", "60", "level.reorder_below_safety", "/reorder_point"),
        ("10", "20", "15", "level.max_below_reorder", "/max_quantity"),
    ],
)
def test_levels_that_do_not_read_upwards_are_refused_naming_the_field(
    shops, safety, reorder, maximum, code, pointer
):
    with refused(shops, Invalid) as caught:
        levels(shops, "螺丝", "SH", safety, reorder, maximum)
    assert caught.value.code == code
    assert caught.value.items[0].pointer == pointer


def test_every_wrong_level_is_named_at_once(shops):
    with refused(shops, Invalid) as caught:
        levels(shops, "螺丝", "SH", "-5", "-10", "-20")
    assert caught.value.code == "input.invalid"
    codes = {(item.pointer, item.code) for item in caught.value.items}
    assert ("/max_quantity", "level.negative") in codes
    assert ("/reorder_point", "level.reorder_below_safety") in codes


def test_levels_of_an_unknown_item_or_warehouse_or_by_a_clerk_are_refused(shops):
    a_user(shops, "clerk", "warehouse_clerk", "SH")
    with refused(shops, Invalid) as caught:
        levels(shops, "没有", "SH", "1", "2", "3")
    assert caught.value.code == "item.unknown"
    with refused(shops, NotFound):
        levels(shops, "螺丝", "NOWHERE", "1", "2", "3")
    with refused(shops, Forbidden):
        levels(shops, "螺丝", "SH", "1", "2", "3", actor="clerk")


# 库存预警 --------------------------------------------------------------------------------------


def test_stock_below_safety_or_at_reorder_point_is_an_alert(shops):
    levels(shops, "螺丝", "SH", "10", "30", "60")  # 30 on hand: at the reorder point
    levels(shops, "螺母", "SH", "10", "20", "40")  # 8 on hand: below safety stock
    levels(shops, "螺丝", "BJ", "10", "20", "60")  # 100 on hand: fine
    assert kinds(shops) == {("at_reorder", "SH", "螺丝"), ("below_safety", "SH", "螺母")}
    assert kinds(shops, warehouse="BJ") == set()


def test_expired_and_near_expiry_batches_are_alerts(shops, app):
    an_item(app, "胶水", tracking="batch", shelf_life_days=365)
    today = app.clock().date()
    for batch, expiry in (("OLD", today - timedelta(days=1)), ("SOON", today + timedelta(days=5))):
        receive(
            app,
            "SH",
            {
                "item": "胶水",
                "quantity": "3",
                "unit_cost": "1",
                "batch": batch,
                "expiry_date": expiry,
            },
        )
    found = {(row.kind, row.batch) for row in replenishment.alerts(app.uow(), "tester")}
    assert {("expired", "OLD"), ("near_expiry", "SOON")} <= found


def test_a_negative_balance_is_an_alert(app):
    a_warehouse(app, "NEG", allow_negative_stock=True)
    an_item(app, "胶带")
    issue(app, "NEG", {"item": "胶带", "quantity": "2"})
    assert ("negative", "NEG", "胶带") in kinds(app)


def test_alerts_are_published_to_the_outbox_once_per_alert(shops):
    levels(shops, "螺母", "SH", "10", "20", "40")
    assert replenishment.publish_alerts(shops.uow(), "tester") == 1
    assert replenishment.publish_alerts(shops.uow(), "tester") == 0
    levels(shops, "螺丝", "SH", "10", "30", "60")
    assert replenishment.publish_alerts(shops.uow(), "tester") == 1
    with shops.reader() as connection:
        topics = connection.execute(
            select(OutboxEvent.topic, func.count()).group_by(OutboxEvent.topic)
        ).all()
    assert dict(topics)["stock.alert"] == 2


def published(app):
    with app.reader() as connection:
        return connection.execute(
            select(OutboxEvent.key, OutboxEvent.payload)
            .where(OutboxEvent.topic == "stock.alert")
            .order_by(OutboxEvent.id)
        ).all()


def test_an_alert_that_clears_and_comes_back_is_published_again_once(shops):
    levels(shops, "螺母", "SH", "10", "20", "40")  # 8 on hand: below safety stock
    assert replenishment.publish_alerts(shops.uow(), "tester") == 1
    assert replenishment.publish_alerts(shops.uow(), "tester") == 0
    receive(shops, "SH", {"item": "螺母", "quantity": "30", "unit_cost": "0.5"})  # 38: fine
    assert replenishment.publish_alerts(shops.uow(), "tester") == 0
    issue(shops, "SH", {"item": "螺母", "quantity": "33"})  # 5: below again
    assert replenishment.publish_alerts(shops.uow(), "tester") == 1
    assert replenishment.publish_alerts(shops.uow(), "tester") == 0
    first, again = published(shops)
    assert again.key == first.key + "#2"
    assert (first.payload["episode"], again.payload["episode"]) == (1, 2)
    assert (Decimal(first.payload["quantity"]), Decimal(again.payload["quantity"])) == (8, 5)


def test_publishing_without_the_check_does_not_take_what_the_check_found_as_cleared(shops):
    with shops.engine.begin() as connection:
        connection.execute(update(StockBalance).values(on_hand=StockBalance.on_hand + 1))
    found = replenishment.publish_alerts(shops.uow(), "tester", check=True)
    assert found >= 1
    assert replenishment.publish_alerts(shops.uow(), "tester", check=False) == 0
    assert replenishment.publish_alerts(shops.uow(), "tester", check=True) == 0


# 拒绝超卖 --------------------------------------------------------------------------------------


def refusals(app):
    with app.reader() as connection:
        return connection.execute(select(func.count()).select_from(StockRefusal)).scalar_one()


def test_a_refused_posting_is_recorded_after_its_rollback_as_an_oversell_alert(shops):
    draft = create(shops, "issue", "SH", {"item": "螺丝", "quantity": "50"}, post=False)
    with refused(shops, InsufficientStock):
        documents.act(shops.uow(), "tester", draft.number, "post", request_id="post-1")
    with refused(shops, InsufficientStock):  # the same request again: recorded once
        documents.act(shops.uow(), "tester", draft.number, "post", request_id="post-1")

    [alert] = [
        row for row in replenishment.alerts(shops.uow(), "tester") if row.kind == "oversell_refused"
    ]
    assert (alert.warehouse, alert.item, alert.document, alert.actor) == (
        "SH",
        "螺丝",
        draft.number,
        "tester",
    )
    assert (alert.quantity, alert.threshold) == (Decimal(50), Decimal(30))
    assert replenishment.alert_counts(shops.uow(), "tester") == {"oversell_refused": 1}
    assert replenishment.publish_alerts(shops.uow(), "tester") == 1
    [(_, payload)] = published(shops)
    assert (payload["kind"], payload["document"], Decimal(payload["quantity"])) == (
        "oversell_refused",
        draft.number,
        50,
    )


def test_a_sales_order_refused_its_reservation_is_an_oversell_alert_seen_in_its_warehouse(shops):
    partners.add(shops.uow(), "tester", {"code": "C1", "name": "客户一", "kind": "customer"})
    with refused(shops, InsufficientStock):
        documents.create(
            shops.uow(),
            "tester",
            {
                "document_type": "sales_order",
                "warehouse": "SH",
                "partner": "C1",
                "lines": [
                    {"item": "螺丝", "quantity": "40", "unit_price": "3"},
                    {"item": "螺母", "quantity": "9", "unit_price": "1"},
                ],
            },
            then="approve",
        )
    found = {
        (row.item, row.quantity, row.threshold)
        for row in replenishment.alerts(shops.uow(), "tester")
        if row.kind == "oversell_refused"
    }
    assert found == {("螺丝", Decimal(40), Decimal(30)), ("螺母", Decimal(9), Decimal(8))}
    a_user(shops, "bj", "warehouse_manager", "BJ")
    assert replenishment.alerts(shops.uow(), "bj") == []


def test_a_reversal_finding_its_goods_gone_is_refused_but_is_no_oversell_alert(shops):
    received = create(shops, "receipt", "SH", {"item": "螺母", "quantity": "5"}).number
    issue(shops, "SH", {"item": "螺母", "quantity": "12"})  # more than the 5 just received

    with pytest.raises(InsufficientStock):
        documents.reverse(shops.uow(), "tester", received, post=True)

    assert refusals(shops) == 0


def test_a_refusal_older_than_a_week_is_no_longer_an_alert(shops):
    with refused(shops, InsufficientStock):
        issue(shops, "SH", {"item": "螺母", "quantity": "9"})
    assert "oversell_refused" in {row.kind for row in replenishment.alerts(shops.uow(), "tester")}
    later = shops.clock() + timedelta(days=8)
    shops.clock = lambda: later
    assert replenishment.alerts(shops.uow(), "tester") == []


def test_racing_shipments_record_every_refused_one_and_only_those(shops):
    """Eight clerks ship 10 of the 30 螺丝 at once: three are shipped, five refused and kept."""
    start, outcomes = threading.Barrier(8), []

    def ship():
        start.wait()
        try:
            issue(shops, "SH", {"item": "螺丝", "quantity": "10"})
            outcomes.append("shipped")
        except InsufficientStock:
            outcomes.append("refused")

    workers = [threading.Thread(target=ship) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert sorted(outcomes) == ["refused"] * 5 + ["shipped"] * 3
    assert refusals(shops) == 5
    assert all(
        row.threshold < row.quantity
        for row in replenishment.alerts(shops.uow(), "tester")
        if row.kind == "oversell_refused"
    )


def test_a_reader_of_one_warehouse_sees_its_alerts_only(shops):
    levels(shops, "螺母", "SH", "10", "20", "40")
    levels(shops, "螺丝", "BJ", "10", "200", "300")
    a_user(shops, "bj", "warehouse_manager", "BJ")
    assert {row.warehouse for row in replenishment.alerts(shops.uow(), "bj")} == {"BJ"}
    with pytest.raises(NotFound):
        replenishment.alerts(shops.uow(), "bj", warehouse="SH")


# 补货建议 --------------------------------------------------------------------------------------


def test_a_suggestion_fills_up_to_the_maximum_from_surplus_first_then_buys(shops):
    levels(shops, "螺丝", "SH", "10", "30", "150")  # needs 120
    levels(shops, "螺丝", "BJ", "10", "40", "100")  # 100 on hand: 60 spare
    levels(shops, "螺母", "SH", "10", "20", "40")  # needs 32, nobody spares any
    create(
        shops, "receipt", "SH", {"item": "螺母", "quantity": "2", "unit_cost": "1"}, partner="SUP-1"
    )
    issue(shops, "SH", {"item": "螺丝", "quantity": "6"})  # 24 left: usage 6 in 30 days
    found = {s.item: s for s in replenishment.suggest(shops.uow(), "tester", "SH")}
    screw = found["螺丝"]
    assert screw.quantity == Decimal(126)
    assert screw.average_daily_usage == Decimal("0.20")
    assert [(x.warehouse, x.quantity) for x in screw.sources] == [
        ("BJ", Decimal(60)),
        (None, Decimal(66)),
    ]
    nut = found["螺母"]
    assert nut.quantity == Decimal(30)
    assert [(x.warehouse, x.supplier) for x in nut.sources] == [(None, "SUP-1")]


def test_a_suggestion_of_an_item_counted_in_whole_units_is_never_a_fraction(shops):
    levels(shops, "螺丝", "SH", "0", "30.5", "40.2")  # 个 counts whole screws; 30 on hand
    levels(shops, "螺丝", "BJ", "0", "97.5", "100")  # 100 on hand: 2.5 spare, 2 given
    [screw] = replenishment.suggest(shops.uow(), "tester", "SH")
    assert screw.quantity == Decimal(11)  # 10.2 rounded up
    assert [(x.warehouse, x.quantity) for x in screw.sources] == [
        ("BJ", Decimal(2)),
        (None, Decimal(9)),
    ]


def test_a_warehouse_scoped_manager_sees_no_surplus_of_a_warehouse_outside_their_scope(shops):
    levels(shops, "螺丝", "SH", "10", "30", "150")
    levels(shops, "螺丝", "BJ", "10", "40", "100")  # 60 spare, but not the manager's
    a_user(shops, "sh", "warehouse_manager", "SH")
    [screw] = replenishment.suggest(shops.uow(), "sh", "SH")
    assert [(x.warehouse, x.quantity) for x in screw.sources] == [(None, Decimal(120))]
    with refused(shops, NotFound):
        replenishment.suggest(shops.uow(), "sh", "BJ")
    [everywhere] = replenishment.suggest(shops.uow(), "tester", "SH")
    assert [x.warehouse for x in everywhere.sources] == ["BJ", None]


def test_accepting_makes_one_draft_per_source_once_and_a_second_accept_orders_nothing(shops):
    levels(shops, "螺丝", "SH", "10", "30", "150")
    levels(shops, "螺丝", "BJ", "10", "40", "100")
    levels(shops, "螺母", "SH", "10", "20", "40")
    accept = {"warehouse": "SH", "supplier": "SUP-1"}
    first = replenishment.accept(shops.uow(), "tester", accept, request_id="r-1")
    again = replenishment.accept(shops.uow(), "tester", accept, request_id="r-1")
    assert again == first
    assert len(first.documents) == 2  # a transfer from BJ, a purchase order to SUP-1
    with shops.reader() as connection:
        made = {n: document_queries.document(connection, n) for n in first.documents}
    by_type = {header.document_type: (header, lines) for header, lines in made.values()}
    transfer, transfer_lines = by_type["transfer"]
    assert (transfer.warehouse, transfer.state) == ("BJ", "draft")
    assert [(line.item, line.quantity) for line in transfer_lines] == [("螺丝", Decimal(60))]
    _, order_lines = by_type["purchase_order"]
    assert sorted((line.item, line.quantity) for line in order_lines) == [
        ("螺丝", Decimal(60)),
        ("螺母", Decimal(32)),
    ]
    # what the drafts order is on its way: nothing more to suggest, nothing to accept
    assert replenishment.suggest(shops.uow(), "tester", "SH") == []
    with refused(shops, Conflict) as caught:
        replenishment.accept(shops.uow(), "tester", accept)
    assert caught.value.code == "replenish.nothing_to_order"


def test_buying_with_no_known_supplier_is_refused_until_one_is_chosen(shops):
    levels(shops, "螺母", "SH", "10", "20", "40")
    with refused(shops, Invalid) as caught:
        replenishment.accept(shops.uow(), "tester", {"warehouse": "SH"})
    assert caught.value.code == "replenish.no_supplier"
    with refused(shops, Invalid) as caught:
        replenishment.accept(shops.uow(), "tester", {"warehouse": "SH", "items": ["没有"]})
    assert caught.value.code == "item.unknown"


def test_a_balance_that_differs_from_its_ledger_is_an_alert_when_checked(shops):
    with shops.engine.begin() as connection:
        connection.execute(update(StockBalance).values(on_hand=StockBalance.on_hand + 1))
    assert "mismatch" not in {row.kind for row in replenishment.alerts(shops.uow(), "tester")}
    found = replenishment.alerts(shops.uow(), "tester", check=True)
    assert "check.balance_mismatch" in {row.code for row in found if row.kind == "mismatch"}
