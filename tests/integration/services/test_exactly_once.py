"""Exactly once everywhere (invariant 5): every write takes a request id; the same id
again returns the first answer and changes nothing; reused for something else, it is
refused naming the operation it was first used for."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jxc.domain.auth import Role
from jxc.domain.errors import Conflict
from jxc.services import auth, catalog, documents, periods
from tests.builders import PASSWORD, a_user, a_warehouse, an_item, create, snapshot

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def shop(app):
    app.clock = lambda: NOW
    a_warehouse(app, "WH1")
    an_item(app, "螺丝-M3", units={"盒": "10"})
    create(app, "receipt", "WH1", {"item": "螺丝-M3", "quantity": "5"}, business_date="2026-10-01")
    a_user(app, "clerk1", "warehouse_clerk", "WH1")
    return app


WRITES = {
    "add_unit": lambda app, rid: catalog.add_unit(app.uow(), "tester", "打", "打", 0, rid),
    "add_item": lambda app, rid: catalog.add_item(
        app.uow(), "tester", {"code": "螺母-M3", "name": "螺母", "base_unit": "个"}, rid
    ),
    "add_unit_conversion": lambda app, rid: catalog.add_unit_conversion(
        app.uow(), "tester", "螺丝-M3", "箱", Decimal(100), rid
    ),
    "add_barcode": lambda app, rid: catalog.add_barcode(
        app.uow(), "tester", "螺丝-M3", "6901234567892", None, rid
    ),
    "add_warehouse": lambda app, rid: catalog.add_warehouse(
        app.uow(), "tester", {"code": "WH2", "name": "二号仓"}, rid
    ),
    "set_negative_stock": lambda app, rid: catalog.set_negative_stock(
        app.uow(), "tester", "WH1", True, rid
    ),
    "add_location": lambda app, rid: catalog.add_location(
        app.uow(), "tester", {"warehouse": "WH1", "code": "A-01", "name": "A 区"}, rid
    ),
    "add_user": lambda app, rid: auth.add_user(
        app.uow(),
        "tester",
        {"username": "clerk2", "display_name": "仓管员 李四", "password": PASSWORD},
        rid,
    ),
    "grant": lambda app, rid: auth.grant(
        app.uow(), "tester", "clerk1", Role.WAREHOUSE_MANAGER, "WH1", rid
    ),
    "revoke": lambda app, rid: auth.revoke(
        app.uow(), "tester", "clerk1", Role.WAREHOUSE_CLERK, "WH1", rid
    ),
    "set_active": lambda app, rid: auth.set_active(app.uow(), "tester", "clerk1", False, rid),
    "set_password": lambda app, rid: auth.set_password(
        app.uow(), "tester", "clerk1", "螺丝刀-2027", request_id=rid
    ),
    "close_period": lambda app, rid: periods.close(app.uow(), "tester", "2026-10", rid),
}


@pytest.mark.parametrize("write", WRITES)
def test_the_same_request_id_again_returns_the_first_answer_and_changes_nothing(shop, write):
    first = WRITES[write](shop, "r-1")
    after_first = snapshot(shop)

    again = WRITES[write](shop, "r-1")

    assert again == first
    assert snapshot(shop) == after_first


@pytest.mark.parametrize("write", WRITES)
def test_a_request_id_used_for_something_else_is_refused_naming_its_first_use(shop, write):
    periods.close(shop.uow(), "tester", "2026-09", "r-1")
    before = snapshot(shop)

    with pytest.raises(Conflict) as reused:
        WRITES[write](shop, "r-1")

    assert reused.value.code == "request.idempotency_key_reused"
    assert reused.value.params == {"request_id": "r-1", "operation": "periods.close"}
    assert snapshot(shop) == before


def test_a_request_id_is_its_senders_another_user_gets_a_conflict_not_their_result(shop):
    a_user(shop, "clerk2", "warehouse_clerk", "WH1")
    issue = {
        "document_type": "issue",
        "warehouse": "WH1",
        "lines": [{"item": "螺丝-M3", "quantity": "2"}],
    }
    documents.create(shop.uow(), "clerk1", issue, request_id="r-1")
    before = snapshot(shop)

    with pytest.raises(Conflict) as taken:
        documents.create(shop.uow(), "clerk2", issue, request_id="r-1")

    assert taken.value.code == "request.idempotency_key_of_another_user"
    assert taken.value.params == {"request_id": "r-1"}
    assert snapshot(shop) == before


def test_a_reopening_retried_reopens_once(shop):
    periods.close(shop.uow(), "tester", "2026-10")

    periods.reopen(shop.uow(), "tester", "2026-10", "补录", "r-7")
    periods.reopen(shop.uow(), "tester", "2026-10", "补录", "r-7")

    with pytest.raises(Conflict) as again_without_id:
        periods.reopen(shop.uow(), "tester", "2026-10", "补录")
    assert again_without_id.value.code == "period.not_closed"
