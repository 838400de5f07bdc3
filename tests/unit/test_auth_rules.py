"""Roles, permissions and scopes: each role does its part, only in its warehouses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jxc.domain.auth import (
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    Action,
    Grant,
    Principal,
    Role,
    authorize,
    authorize_step,
    check_password,
    locked_until,
)
from jxc.domain.errors import Forbidden, Invalid

STOCK = ("receipt", "issue", "transfer")


def person(*grants: Grant) -> Principal:
    return Principal("张三", grants)


def test_an_admin_may_do_everything_in_every_warehouse():
    admin = person(Grant(Role.ADMIN))

    for action in Action:
        for kind in (*STOCK, "reversal") if action.value.startswith("document.") else ("*",):
            authorize(admin, action, kind, ["SH01", "BJ01"])


def test_a_clerk_moves_stock_only_in_their_own_warehouse():
    clerk = person(Grant(Role.WAREHOUSE_CLERK, "SH01"))

    for kind in STOCK:
        assert clerk.may(Action.DOCUMENT_CREATE, kind, "SH01")
        assert not clerk.may(Action.DOCUMENT_CREATE, kind, "BJ01")
    authorize_step(clerk, {Role.WAREHOUSE_CLERK}, "execute", "RK1", "SH01")
    with pytest.raises(Forbidden):
        authorize_step(clerk, {Role.WAREHOUSE_CLERK}, "execute", "RK1", "BJ01")
    assert not clerk.may(Action.DOCUMENT_REVERSE, "issue", "SH01")
    assert not clerk.may(Action.CATALOG_MANAGE)
    assert not clerk.may(Action.WAREHOUSE_MANAGE, warehouse="SH01")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (
            Role.PURCHASER,
            {
                (Action.DOCUMENT_CREATE, "receipt"),
                (Action.DOCUMENT_EDIT, "receipt"),
                (Action.CATALOG_MANAGE, "*"),
                (Action.PARTNER_MANAGE, "*"),
            },
        ),
        (
            Role.SALES,
            {
                (Action.DOCUMENT_CREATE, "issue"),
                (Action.DOCUMENT_EDIT, "issue"),
                (Action.PARTNER_MANAGE, "*"),
            },
        ),
        (
            Role.FINANCE,
            {(Action.DOCUMENT_REVERSE, kind) for kind in STOCK} | {(Action.PERIOD_CLOSE, "*")},
        ),
        (Role.AUDITOR, {(Action.AUDIT_READ, "*")}),
    ],
)
def test_each_office_role_holds_exactly_its_part(role, allowed):
    somebody = person(Grant(role))
    every = {
        (action, kind)
        for action in Action
        for kind in ((*STOCK, "reversal") if action.value.startswith("document.") else ("*",))
    }

    held = {(action, kind) for action, kind in every if somebody.may(action, kind, "SH01")}

    assert held == allowed


def test_a_manager_reverses_and_keeps_warehouses_but_does_not_manage_users():
    manager = person(Grant(Role.WAREHOUSE_MANAGER, "SH01"))

    assert manager.may(Action.DOCUMENT_REVERSE, "transfer", "SH01")
    assert manager.may(Action.WAREHOUSE_MANAGE, warehouse="SH01")
    assert not manager.may(Action.WAREHOUSE_MANAGE)  # a new warehouse is no one's yet
    assert not manager.may(Action.USER_MANAGE)


def test_grants_add_up_across_warehouses():
    clerk = person(Grant(Role.WAREHOUSE_CLERK, "SH01"), Grant(Role.WAREHOUSE_CLERK, "BJ01"))

    authorize(clerk, Action.DOCUMENT_CREATE, "transfer", ["SH01", "BJ01"])
    authorize_step(clerk, {Role.WAREHOUSE_CLERK}, "receive", "DB1", "BJ01")


def test_a_workflow_step_refusal_names_the_user_step_document_roles_and_warehouse():
    manager = person(Grant(Role.WAREHOUSE_MANAGER, "SH01"))

    with pytest.raises(Forbidden) as refused:
        authorize_step(manager, {Role.FINANCE, Role.ADMIN}, "approve", "CK1", "SH01")

    assert refused.value.code == "workflow.role_required"
    assert refused.value.params == {
        "user": "张三",
        "action": "approve",
        "number": "CK1",
        "roles": ["admin", "finance"],
        "warehouse": "SH01",
    }


def test_a_refusal_names_the_user_the_action_the_document_type_and_the_warehouse():
    clerk = person(Grant(Role.WAREHOUSE_CLERK, "SH01"))

    with pytest.raises(Forbidden) as refused:
        authorize(clerk, Action.DOCUMENT_REVERSE, "transfer", ["SH01", "BJ01"])

    assert refused.value.code == "auth.forbidden_document"
    assert refused.value.params == {
        "user": "张三",
        "action": "document.reverse",
        "document_type": "transfer",
        "warehouse": "SH01",
    }


def test_the_first_warehouse_not_covered_is_the_one_named():
    clerk = person(Grant(Role.WAREHOUSE_CLERK, "SH01"))

    with pytest.raises(Forbidden) as refused:
        authorize(clerk, Action.DOCUMENT_CREATE, "transfer", ["SH01", "BJ01"])

    assert refused.value.params["warehouse"] == "BJ01"


def test_refusals_without_a_document_or_a_warehouse_have_their_own_codes():
    auditor = person(Grant(Role.AUDITOR))

    with pytest.raises(Forbidden) as anywhere:
        authorize(auditor, Action.CATALOG_MANAGE)
    with pytest.raises(Forbidden) as in_warehouse:
        authorize(auditor, Action.WAREHOUSE_MANAGE, warehouses=["SH01"])

    assert anywhere.value.code == "auth.forbidden"
    assert anywhere.value.params == {"user": "张三", "action": "catalog.manage"}
    assert in_warehouse.value.code == "auth.forbidden_in_warehouse"
    assert in_warehouse.value.params["warehouse"] == "SH01"


@pytest.mark.parametrize(
    ("password", "code"),
    [("short", "auth.password_too_short"), ("Clerk.SH01", "auth.password_is_username")],
)
def test_weak_passwords_are_refused(password, code):
    with pytest.raises(Invalid) as refused:
        check_password("clerk.sh01", password)

    assert refused.value.code == code


def test_a_good_password_passes():
    check_password("clerk.sh01", "螺丝刀-2026")


def test_an_account_locks_after_five_failures_in_a_row_for_fifteen_minutes():
    last = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    assert locked_until(MAX_FAILED_LOGINS - 1, last) is None
    assert locked_until(MAX_FAILED_LOGINS, last) == last + LOCK_DURATION
    assert timedelta(minutes=15) == LOCK_DURATION
