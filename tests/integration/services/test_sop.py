"""The five-step SOP (五步 SOP) through the services: 提交 → 审核 → 执行 → 核对 → 归档.

A clerk drafts and submits, a manager approves, a clerk executes (the ledger moves), a
second person verifies and a manager archives. Each step is someone's, in their own
warehouse; a step not allowed from the current state is refused naming what is; a
refused step changes nothing. Large issues need a second approver (二级审核), an
approval is taken back only before execution (反审核), and after execution the only
correction is a reversal (红冲) that passes its own workflow.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from jxc.db import schema as s
from jxc.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientStock,
    Invalid,
    InvalidInput,
)
from jxc.i18n.messages import translate
from jxc.queries import audit, consistency, stock_levels
from jxc.queries import documents as document_queries
from jxc.services import documents, periods, workflows
from tests.builders import (
    a_user,
    a_warehouse,
    an_item,
    assert_books_balance,
    create,
    refused,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def shop(sop):
    """WH1 and WH2 on the shipped SOP; today is 25 November 2026.

    WH1 has two clerks and two managers, WH2 a clerk of its own; finance covers every
    warehouse. Screws (螺丝) are untracked; milk powder (奶粉) comes in batches that keep
    360 days.
    """
    sop.clock = lambda: NOW
    for code in ("WH1", "WH2"):
        a_warehouse(sop, code)
    an_item(sop, "螺丝-M3")
    an_item(sop, "奶粉", tracking="batch", shelf_life_days=360)
    a_user(sop, "clerk1", "warehouse_clerk", "WH1")
    a_user(sop, "clerk2", "warehouse_clerk", "WH1")
    a_user(sop, "manager", "warehouse_manager", "WH1")
    a_user(sop, "manager2", "warehouse_manager", "WH1")
    a_user(sop, "clerk.wh2", "warehouse_clerk", "WH2")
    a_user(sop, "finance", "finance")
    return sop


SCREWS = {"item": "螺丝-M3", "quantity": "100", "unit_cost": "2.00"}


def draft(app, kind="receipt", *lines, actor="clerk1", warehouse="WH1", **header):
    """A draft of ``kind`` (by default a receipt of 100 screws at ¥2 by clerk1 in WH1)."""
    return create(app, kind, warehouse, *(lines or (SCREWS,)), post=False, actor=actor, **header)


def step(app, actor, number, action, reason=None, request_id=None):
    return documents.act(app.uow(), actor, number, action, reason=reason, request_id=request_id)


def pending(app, *lines, **header):
    """A receipt clerk1 drafted and submitted."""
    number = draft(app, "receipt", *lines, **header).number
    step(app, "clerk1", number, "submit")
    return number


def approved(app, *lines, **header):
    number = pending(app, *lines, **header)
    step(app, "manager", number, "approve")
    return number


def executed(app, *lines, **header):
    number = approved(app, *lines, **header)
    step(app, "clerk1", number, "execute")
    return number


def state_of(app, number):
    with app.reader() as connection:
        return document_queries.document(connection, number)[0].state


def on_hand(app, item="螺丝-M3", warehouse="WH1"):
    with app.reader() as connection:
        return stock_levels.on_hand(connection, item, warehouse).on_hand


def steps(app, number):
    """(who, what, from, to) of every audited step of a document, oldest first."""
    with app.reader() as connection:
        return [
            (e.actor, e.action, e.from_state, e.to_state)
            for e in audit.log(connection, document=number)
        ]


def problems(error):
    return [(item.pointer, item.code) for item in error.items]


# the happy path -----------------------------------------------------------------------------


def test_a_receipt_walks_the_five_steps_and_stock_appears_only_on_execution(shop):
    created = draft(shop)
    assert (created.document_type, created.state) == ("receipt", "draft")

    submitted = step(shop, "clerk1", created.number, "submit")
    assert submitted.state == "pending"
    approval = step(shop, "manager", created.number, "approve")
    assert approval.state == "approved"
    assert on_hand(shop) == 0, "nothing is in stock before execution"

    execution = step(shop, "clerk1", created.number, "execute")
    assert (execution.state, execution.lines, execution.entries) == ("executed", 1, 1)
    assert on_hand(shop) == Decimal(100)

    verified = step(shop, "clerk2", created.number, "verify")
    archived = step(shop, "manager", created.number, "archive")

    assert (verified.state, archived.state) == ("verified", "archived")
    assert state_of(shop, created.number) == "archived"
    assert on_hand(shop) == Decimal(100), "verifying and archiving move no stock"
    assert steps(shop, created.number) == [
        ("clerk1", "document.create", None, "draft"),
        ("clerk1", "document.submit", "draft", "pending"),
        ("manager", "document.approve", "pending", "approved"),
        ("clerk1", "document.execute", "approved", "executed"),
        ("clerk2", "document.verify", "executed", "verified"),
        ("manager", "document.archive", "verified", "archived"),
    ]
    assert_books_balance(shop)


def test_an_archived_document_takes_no_further_step(shop):
    number = executed(shop)
    step(shop, "clerk2", number, "verify")
    step(shop, "manager", number, "archive")

    with refused(shop, Conflict) as caught:
        step(shop, "manager", number, "reject", reason="太晚了")

    assert caught.value.code == "workflow.transition_not_allowed"
    assert caught.value.params == {
        "number": number,
        "state": "archived",
        "action": "reject",
        "actions": [],
    }
    assert translate(caught.value.code, "zh_CN", **caught.value.params) == (
        f"单据 {number} 当前为「已归档」，不能驳回；此状态下可以：无"
    )


# refused steps: each names why and changes nothing ------------------------------------------


def test_a_manager_cannot_approve_a_receipt_they_drafted(shop):
    number = draft(shop, actor="manager").number
    step(shop, "clerk1", number, "submit")

    with refused(shop, Forbidden) as caught:
        step(shop, "manager", number, "approve")

    assert caught.value.code == "workflow.same_person"
    assert caught.value.params == {
        "user": "manager",
        "did": "create",
        "action": "approve",
        "number": number,
        "pointer": "/actor",
    }
    assert state_of(shop, number) == "pending"
    step(shop, "manager2", number, "approve")


def test_a_manager_who_edited_a_rejected_receipt_cannot_approve_it_and_is_not_offered_to(
    shop,
):
    number = draft(shop, actor="clerk1").number
    step(shop, "clerk1", number, "submit")
    step(shop, "manager", number, "reject", reason="数量不对")
    documents.edit(shop.uow(), "manager", number, {"note": "改为 12 个"})
    step(shop, "clerk1", number, "submit")

    assert documents.next_steps(shop.uow(), "manager", number).withheld["approve"].params[
        "did"
    ] == ("edit")
    with refused(shop, Forbidden) as caught:
        step(shop, "manager", number, "approve")

    assert (caught.value.code, caught.value.params["did"]) == ("workflow.same_person", "edit")
    translated = translate(caught.value.code, "zh_CN", **caught.value.params)
    assert translated == f"manager 已对单据 {number} 执行过「修改」，「审核」须由另一人完成"
    step(shop, "manager2", number, "approve")


def test_a_manager_who_edited_a_draft_cannot_approve_it(shop):
    number = draft(shop, actor="clerk1").number
    documents.edit(shop.uow(), "manager", number, {"note": "改为 12 个"})
    step(shop, "clerk1", number, "submit")

    assert "approve" not in documents.next_steps(shop.uow(), "manager", number).open
    assert "approve" in documents.next_steps(shop.uow(), "manager2", number).open


def test_a_manager_who_drafted_and_submitted_is_told_both(shop):
    number = draft(shop, actor="manager").number
    step(shop, "manager", number, "submit")

    with refused(shop, Forbidden) as caught:
        step(shop, "manager", number, "approve")

    assert [(i.code, i.params["did"]) for i in caught.value.items] == [
        ("workflow.same_person", "create"),
        ("workflow.same_person", "submit"),
    ]


def test_a_clerk_cannot_approve(shop):
    number = pending(shop, actor="clerk2")

    with refused(shop, Forbidden) as caught:
        step(shop, "clerk1", number, "approve")

    assert caught.value.code == "workflow.role_required"
    assert caught.value.params == {
        "user": "clerk1",
        "action": "approve",
        "number": number,
        "roles": ["admin", "warehouse_manager"],
        "warehouse": "WH1",
    }


def test_a_draft_cannot_be_executed_and_the_refusal_names_what_can_be_done(shop):
    number = draft(shop).number

    with refused(shop, Conflict) as caught:
        step(shop, "clerk1", number, "execute")

    assert caught.value.code == "workflow.transition_not_allowed"
    assert caught.value.params == {
        "number": number,
        "state": "draft",
        "action": "execute",
        "actions": ["submit", "void"],
    }
    assert on_hand(shop) == 0


def test_whoever_executed_cannot_verify_their_own_work(shop):
    number = executed(shop)

    with refused(shop, Forbidden) as caught:
        step(shop, "clerk1", number, "verify")

    assert caught.value.code == "workflow.same_person"
    assert (caught.value.params["did"], caught.value.params["action"]) == ("execute", "verify")
    # nor is verifying offered to them, on the document or in their list of what waits
    steps = documents.next_steps(shop.uow(), "clerk1", number)
    assert (steps.open, steps.withheld["verify"].params["did"]) == ([], "execute")
    assert number not in {row.number for row, _ in documents.waiting_for(shop.uow(), "clerk1")}
    assert documents.next_steps(shop.uow(), "clerk2", number) == (["verify"], {})
    assert number in {row.number for row, _ in documents.waiting_for(shop.uow(), "clerk2")}
    assert step(shop, "clerk2", number, "verify").state == "verified"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_must_say_why(shop, reason):
    number = pending(shop)

    with refused(shop, Invalid) as caught:
        step(shop, "manager", number, "reject", reason=reason)

    assert caught.value.code == "workflow.reason_required"
    assert caught.value.params == {"action": "reject", "pointer": "/reason"}
    assert state_of(shop, number) == "pending"


def test_a_rejected_receipt_goes_back_to_its_clerk_and_can_be_submitted_again(shop):
    number = pending(shop)

    rejected = step(shop, "manager", number, "reject", reason="单价不对")
    resubmitted = step(shop, "clerk1", number, "submit")

    assert (rejected.state, resubmitted.state) == ("rejected", "pending")
    with shop.reader() as connection:
        (rejection,) = audit.log(connection, document=number, action="document.reject")
    assert "单价不对" in rejection.payload
    assert step(shop, "manager", number, "approve").state == "approved"


def test_an_executed_document_cannot_be_voided(shop):
    number = executed(shop)

    with refused(shop, Conflict) as caught:
        step(shop, "manager", number, "void")

    assert caught.value.code == "workflow.transition_not_allowed"
    assert caught.value.params["state"] == "executed"
    assert caught.value.params["actions"] == ["verify"]
    assert on_hand(shop) == Decimal(100)


def test_a_draft_is_voided_and_then_takes_no_step(shop):
    number = draft(shop).number

    assert step(shop, "clerk1", number, "void").state == "cancelled"
    with refused(shop, Conflict) as caught:
        step(shop, "clerk1", number, "submit")

    assert caught.value.params["actions"] == []


def test_a_clerk_cannot_execute_in_another_warehouse_and_is_told_which(shop):
    number = draft(shop, warehouse="WH2", actor="clerk.wh2").number
    step(shop, "clerk.wh2", number, "submit")
    step(shop, "tester", number, "approve")

    with refused(shop, Forbidden) as caught:
        step(shop, "clerk1", number, "execute")

    assert caught.value.code == "workflow.role_required"
    assert caught.value.params["warehouse"] == "WH2"
    assert caught.value.params["action"] == "execute"
    assert caught.value.params["roles"] == ["admin", "warehouse_clerk", "warehouse_manager"]
    assert on_hand(shop, warehouse="WH2") == 0
    step(shop, "clerk.wh2", number, "execute")
    assert on_hand(shop, warehouse="WH2") == Decimal(100)


def test_a_receipt_is_submitted_only_with_every_line_valued_and_fresh_batches(shop):
    number = draft(
        shop,
        "receipt",
        {"item": "螺丝-M3", "quantity": "10"},  # no unit cost
        # 360 days of shelf life, 100 left: less than half
        {
            "item": "奶粉",
            "quantity": "5",
            "batch": "B-SHORT",
            "expiry_date": (NOW.date() + timedelta(days=100)).isoformat(),
            "unit_cost": "80.00",
        },
        {
            "item": "奶粉",
            "quantity": "5",
            "batch": "B-OLD",
            "expiry_date": "2026-11-20",  # already past
            "unit_cost": "80.00",
        },
        {
            "item": "奶粉",
            "quantity": "5",
            "batch": "B-FRESH",
            "expiry_date": (NOW.date() + timedelta(days=300)).isoformat(),
            "unit_cost": "80.00",
        },
    ).number

    with refused(shop, InvalidInput) as caught:
        step(shop, "clerk1", number, "submit")

    assert problems(caught.value) == [
        ("/lines/1/unit_cost", "workflow.line_field_required"),
        ("/lines/2/expiry_date", "workflow.shelf_life_short"),
        ("/lines/3/expiry_date", "workflow.batch_expired"),
    ]
    short = caught.value.items[1].params
    assert (short["batch"], short["days_left"], short["days_required"]) == ("B-SHORT", 100, 180)
    assert caught.value.items[0].params == {"field": "unit_cost", "line": 1, "action": "submit"}
    assert state_of(shop, number) == "draft"


def test_an_issue_is_submitted_only_saying_what_the_goods_go_out_for(shop):
    executed(shop)
    number = draft(shop, "issue", {"item": "螺丝-M3", "quantity": "3"}).number

    with refused(shop, Invalid) as caught:
        step(shop, "clerk1", number, "submit")

    assert caught.value.code == "workflow.field_required"
    assert caught.value.params == {"field": "note", "action": "submit", "pointer": "/note"}
    assert translate(caught.value.code, "zh_CN", **caught.value.params) == "提交前必须填写备注"


# 二级审核 ------------------------------------------------------------------------------------


@pytest.fixture
def stocked(shop):
    """100 screws in WH1 at ¥1,000 each: an issue of more than 50 is worth more than ¥50,000."""
    executed(shop, {"item": "螺丝-M3", "quantity": "100", "unit_cost": "1000.00"})
    return shop


def test_a_back_dated_issue_is_refused_when_approved_not_only_when_executed(shop):
    executed(shop, business_date="2026-11-20")  # 100 screws came in on the 20th
    number = draft(
        shop,
        "issue",
        {"item": "螺丝-M3", "quantity": "3"},
        note="补录领料",
        business_date="2026-11-05",
    ).number
    step(shop, "clerk1", number, "submit")

    with refused(shop, InsufficientStock) as short:
        step(shop, "manager", number, "approve")

    assert [item.code for item in short.value.items] == ["stock.line_short_since"]
    assert short.value.items[0].params["available"] == "0"
    assert state_of(shop, number) == "pending"


def an_issue(app, quantity):
    number = draft(app, "issue", {"item": "螺丝-M3", "quantity": quantity}, note="生产领料").number
    step(app, "clerk1", number, "submit")
    return number


def test_an_issue_over_50000_needs_a_second_approval_by_finance(stocked):
    number = an_issue(stocked, "60")  # ¥60,000

    first = step(stocked, "manager", number, "approve")
    assert first.state == "first_approved"
    with refused(stocked, Forbidden) as manager_again:
        step(stocked, "manager", number, "approve")
    with refused(stocked, Conflict) as too_early:
        step(stocked, "clerk1", number, "execute")
    second = step(stocked, "finance", number, "approve")
    execution = step(stocked, "clerk1", number, "execute")

    assert manager_again.value.code == "workflow.role_required"
    assert manager_again.value.params["roles"] == ["admin", "finance"]
    assert too_early.value.params["actions"] == ["approve", "unapprove", "reject"]
    assert (second.state, execution.state) == ("approved", "executed")
    assert on_hand(stocked) == Decimal(40)
    assert [s[:2] for s in steps(stocked, number) if s[1] == "document.approve"] == [
        ("manager", "document.approve"),
        ("finance", "document.approve"),
    ]
    assert_books_balance(stocked)


def test_the_second_approval_is_someone_elses_even_for_an_admin(stocked):
    number = an_issue(stocked, "51")

    assert step(stocked, "tester", number, "approve").state == "first_approved"
    with refused(stocked, Forbidden) as caught:
        step(stocked, "tester", number, "approve")

    assert caught.value.code == "workflow.same_person"
    assert (caught.value.params["did"], caught.value.params["action"]) == ("approve", "approve")
    assert step(stocked, "finance", number, "approve").state == "approved"


@pytest.mark.parametrize("quantity", ["1", "50"])  # ¥1,000 and exactly ¥50,000
def test_an_issue_worth_at_most_50000_needs_one_approval(stocked, quantity):
    number = an_issue(stocked, quantity)

    assert step(stocked, "manager", number, "approve").state == "approved"
    assert step(stocked, "clerk2", number, "execute").state == "executed"
    assert on_hand(stocked) == Decimal(100) - Decimal(quantity)


# 反审核 --------------------------------------------------------------------------------------


def test_an_approval_is_taken_back_with_a_reason_and_the_receipt_is_a_draft_again(shop):
    number = approved(shop)

    with refused(shop, Invalid) as without_reason:
        step(shop, "manager", number, "unapprove")
    back = step(shop, "manager", number, "unapprove", reason="数量填错, 应为 90")

    assert without_reason.value.code == "workflow.reason_required"
    assert back.state == "draft"
    assert steps(shop, number)[-1] == ("manager", "document.unapprove", "approved", "draft")
    with shop.reader() as connection:
        (event,) = audit.log(connection, document=number, action="document.unapprove")
    assert "数量填错" in event.payload
    # A new round: submitted again, the same manager may approve it again.
    step(shop, "clerk1", number, "submit")
    assert step(shop, "manager", number, "approve").state == "approved"
    assert on_hand(shop) == 0


def test_an_executed_receipt_cannot_be_unapproved(shop):
    number = executed(shop)

    with refused(shop, Conflict) as caught:
        step(shop, "manager", number, "unapprove", reason="想改单价")

    assert caught.value.code == "workflow.transition_not_allowed"
    assert (caught.value.params["state"], caught.value.params["actions"]) == (
        "executed",
        ["verify"],
    )
    assert on_hand(shop) == Decimal(100)


def test_a_receipt_dated_in_a_closed_month_cannot_be_unapproved(shop):
    number = approved(shop, business_date="2026-10-30")
    periods.close(shop.uow(), "finance", "2026-10")

    with refused(shop, Conflict) as caught:
        step(shop, "manager", number, "unapprove", reason="数量填错")

    assert caught.value.code == "period.closed"
    assert caught.value.params["period"] == "2026-10"
    assert state_of(shop, number) == "approved"


# 红冲 ----------------------------------------------------------------------------------------


def test_a_reversal_passes_its_own_workflow_and_executing_it_takes_the_stock_back(shop):
    original = executed(shop)
    step(shop, "clerk2", original, "verify")
    assert on_hand(shop) == Decimal(100)

    reversal = documents.reverse(shop.uow(), "finance", original, note="供应商发错货")
    with refused(shop, Conflict) as second:
        documents.reverse(shop.uow(), "manager", original)

    assert reversal.number.startswith("HC")
    assert (reversal.document_type, reversal.state, reversal.lines) == ("reversal", "draft", 1)
    assert second.value.code == "document.reversal_pending"
    assert second.value.params == {"number": original, "reversal": reversal.number}
    assert on_hand(shop) == Decimal(100), "a reversal draft moves nothing"

    step(shop, "finance", reversal.number, "submit")
    with refused(shop, Forbidden) as manager_approves:
        step(shop, "manager", reversal.number, "approve")
    with refused(shop, Forbidden) as own_approval:
        step(shop, "finance", reversal.number, "approve")
    step(shop, "tester", reversal.number, "approve")
    execution = step(shop, "finance", reversal.number, "execute")

    assert manager_approves.value.code == "workflow.role_required"
    assert manager_approves.value.params["roles"] == ["admin", "finance"]
    assert own_approval.value.code == "input.invalid"  # finance both created and submitted
    assert {i.code for i in own_approval.value.items} == {"workflow.same_person"}
    assert (execution.state, execution.entries) == ("executed", 1)
    assert on_hand(shop) == 0
    assert state_of(shop, original) == "reversed"
    assert steps(shop, original)[-1] == ("finance", "document.reverse", "verified", "reversed")
    with refused(shop, Conflict) as again:
        documents.reverse(shop.uow(), "finance", original)
    assert again.value.code == "document.already_reversed"
    with refused(shop, Conflict) as of_a_reversal:  # the rule, not finance's roles
        documents.reverse(shop.uow(), "finance", reversal.number)
    assert of_a_reversal.value.code == "document.reversal_not_reversible"
    assert step(shop, "tester", reversal.number, "verify").state == "verified"
    assert step(shop, "finance", reversal.number, "archive").state == "archived"
    assert_books_balance(shop)


def test_an_approved_reversal_holds_what_it_takes_back_and_is_refused_if_it_is_gone(shop):
    original = executed(shop)  # 100 screws in
    held = documents.reverse(shop.uow(), "finance", original).number
    step(shop, "finance", held, "submit")
    step(shop, "tester", held, "approve")
    taking = an_issue(shop, "1")

    with refused(shop, InsufficientStock) as gone:
        step(shop, "manager", taking, "approve")  # the 100 are the reversal's now
    step(shop, "tester", held, "unapprove", reason="先发货")  # given back
    step(shop, "manager", taking, "approve")
    step(shop, "clerk1", taking, "execute")
    step(shop, "finance", held, "submit")
    with refused(shop, InsufficientStock) as short:
        step(shop, "tester", held, "approve")

    assert gone.value.items[0].params["available"] == "0"
    assert short.value.items[0].params["available"] == "99"
    assert state_of(shop, held) == "pending"  # refused at approval, not left unpostable
    assert on_hand(shop) == Decimal(99)
    assert_books_balance(shop)


def test_a_reversal_of_a_received_transfer_holds_at_its_destination_not_in_transit(shop):
    executed(shop)  # 100 screws in WH1
    transfer = draft(
        shop, "transfer", {"item": "螺丝-M3", "quantity": "30"}, to_warehouse="WH2"
    ).number
    step(shop, "clerk1", transfer, "submit")
    step(shop, "manager", transfer, "approve")
    step(shop, "clerk1", transfer, "execute")
    step(shop, "clerk.wh2", transfer, "receive")
    reversal = documents.reverse(shop.uow(), "finance", transfer).number
    step(shop, "finance", reversal, "submit")

    # its moves pass through WH2's in-transit (WH2 → transit → WH1): only WH2 loses stock
    assert step(shop, "tester", reversal, "approve").state == "approved"
    with shop.reader() as connection:
        wh2 = stock_levels.on_hand(connection, "螺丝-M3", "WH2")
    assert (wh2.on_hand, wh2.reserved) == (Decimal(30), Decimal(30))
    assert_books_balance(shop)
    assert step(shop, "finance", reversal, "execute").state == "executed"
    assert (on_hand(shop), on_hand(shop, warehouse="WH2")) == (Decimal(100), Decimal(0))
    assert_books_balance(shop)


def test_a_voided_reversal_draft_lets_the_document_be_reversed_anew(shop):
    original = executed(shop)
    first = documents.reverse(shop.uow(), "finance", original)

    step(shop, "finance", first.number, "void")
    second = documents.reverse(shop.uow(), "finance", original)

    assert second.number != first.number
    assert state_of(shop, original) == "executed"


def test_a_pending_reversal_does_not_stop_the_original_being_verified(shop):
    original = executed(shop)
    documents.reverse(shop.uow(), "finance", original)

    assert step(shop, "clerk2", original, "verify").state == "verified"


# exactly once, races -------------------------------------------------------------------------


def test_an_approval_sent_twice_with_one_request_id_approves_once(shop):
    number = pending(shop)

    first = step(shop, "manager", number, "approve", request_id="approve-1")
    again = step(shop, "manager", number, "approve", request_id="approve-1")
    with refused(shop, Conflict) as reused:
        step(shop, "manager", number, "reject", reason="x", request_id="approve-1")

    assert again == first
    assert first.state == "approved"
    assert reused.value.code == "request.idempotency_key_reused"
    with shop.reader() as connection:
        approvals = audit.log(connection, document=number, action="document.approve")
    assert [(e.actor, e.to_state) for e in approvals] == [("manager", "approved")]


def test_two_managers_approving_at_once_approve_once(shop):
    number = pending(shop)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approver(user):
        start.wait(timeout=60)
        try:
            outcomes[user] = documents.act(shop.uow(), user, number, "approve")
        except DomainError as error:
            outcomes[user] = error

    threads = [threading.Thread(target=approver, args=(u,)) for u in ("manager", "manager2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["manager", "manager2"]
    won = [r for r in outcomes.values() if isinstance(r, documents.DocumentResult)]
    lost = [r for r in outcomes.values() if isinstance(r, DomainError)]
    assert [r.state for r in won] == ["approved"]
    assert len(lost) == 1
    assert isinstance(lost[0], Conflict)
    assert lost[0].code in ("workflow.transition_not_allowed", "document.changed_concurrently")
    with shop.reader() as connection:
        approvals = audit.log(connection, document=number, action="document.approve")
    assert len(approvals) == 1
    assert state_of(shop, number) == "approved"
    assert_books_balance(shop)


# time limits ----------------------------------------------------------------------------------


def outbox(app, topic):
    with app.reader() as connection:
        return [
            row.payload
            for row in connection.execute(
                select(s.OutboxEvent.payload)
                .where(s.OutboxEvent.topic == topic)
                .order_by(s.OutboxEvent.id)
            )
        ]


def test_a_receipt_waiting_for_approval_over_24_hours_is_overdue_and_reminded_of_once(shop):
    number = pending(shop)
    assert workflows.overdue(shop.uow()) == []
    assert workflows.remind(shop.uow(), "tester") == 0

    shop.clock = lambda: NOW + 25 * HOUR
    (late,) = workflows.overdue(shop.uow())
    first = workflows.remind(shop.uow(), "tester")
    second = workflows.remind(shop.uow(), "tester")

    assert (late.document.number, late.document.state) == (number, "pending")
    assert (late.limit, late.late_by) == (24 * HOUR, HOUR)
    assert late.owners == ("admin", "warehouse_manager")
    assert (first, second) == (1, 0)
    (reminder,) = outbox(shop, "document.overdue")
    assert reminder["number"] == number
    assert reminder["state"] == "pending"
    assert reminder["warehouse"] == "WH1"
    assert reminder["owners"] == ["admin", "warehouse_manager"]
    assert reminder["late_by_hours"] == 1.0

    # Approved, it waits anew for execution: a new stay, a new reminder once it is late.
    step(shop, "manager", number, "approve")
    assert workflows.overdue(shop.uow()) == []
    shop.clock = lambda: NOW + 50 * HOUR
    assert workflows.remind(shop.uow(), "tester") == 1
    assert [r["state"] for r in outbox(shop, "document.overdue")] == ["pending", "approved"]


def test_drafts_and_finished_documents_are_never_overdue(shop):
    draft(shop)
    number = executed(shop)
    step(shop, "clerk2", number, "verify")
    step(shop, "manager", number, "archive")

    shop.clock = lambda: NOW + 1000 * HOUR

    assert workflows.overdue(shop.uow()) == []


def test_cycle_times_tell_how_long_each_step_took(shop):
    for hours in (2, 4):  # two receipts wait 2 and 4 hours for approval
        shop.clock = lambda: NOW
        number = pending(shop)
        shop.clock = lambda hours=hours: NOW + hours * HOUR
        step(shop, "manager", number, "approve")

    times = workflows.cycle_times(shop.uow(), "receipt", NOW - HOUR, NOW + 24 * HOUR)

    assert times["pending"].count == 2
    assert (times["pending"].mean, times["pending"].median, times["pending"].longest) == (
        3 * HOUR,
        3 * HOUR,
        4 * HOUR,
    )
    assert times["draft"].longest == timedelta(0)
    assert "approved" not in times, "a stay not yet finished is not counted"


def test_an_approved_receipt_dated_before_today_is_executed_on_its_own_date(shop):
    number = executed(shop, business_date="2026-11-20")

    with shop.reader() as connection:
        header, _ = document_queries.document(connection, number)
    assert header.business_date == date(2026, 11, 20)
    assert header.posted_by == "clerk1"


# 预占: an approved issue or transfer holds its stock --------------------------------------------


def reserved(app, item="螺丝-M3", warehouse="WH1"):
    with app.reader() as connection:
        level = stock_levels.on_hand(connection, item, warehouse)
    return level.on_hand, level.reserved, level.available


def an_approved_issue(app, quantity, approver="manager"):
    number = an_issue(app, quantity)
    step(app, approver, number, "approve")
    return number


def test_an_approved_issue_holds_its_stock_so_no_other_document_can_take_it(shop):
    executed(shop)  # 100 screws
    first = an_approved_issue(shop, "70")
    second = an_issue(shop, "40")

    assert reserved(shop) == (100, 70, 30)
    with refused(shop, DomainError) as approving:
        step(shop, "manager", second, "approve")
    third = an_approved_issue(shop, "30", approver="manager2")  # exactly what is left
    assert step(shop, "clerk2", first, "execute").state == "executed"

    assert approving.value.code == "stock.insufficient"
    assert [
        (i.code, i.params["requested"], i.params["available"]) for i in approving.value.items
    ] == [("stock.line_short", "40", "30")]
    assert (state_of(shop, second), state_of(shop, third)) == ("pending", "approved")
    assert reserved(shop) == (30, 30, 0), "executing consumed what it held"
    with shop.reader() as connection:
        (approval,) = audit.log(connection, document=first, action="document.approve")
    assert json.loads(approval.payload) == {"lines": 1, "reservations": 1}
    assert_books_balance(shop)


@pytest.mark.parametrize(("action", "back_to"), [("reject", "rejected"), ("unapprove", "draft")])
def test_taking_an_approval_back_gives_the_stock_back(shop, action, back_to):
    executed(shop)
    number = an_approved_issue(shop, "70")

    taken_back = step(shop, "manager", number, action, reason="客户取消")

    assert taken_back.state == back_to
    assert reserved(shop) == (100, 0, 100)
    step(shop, "clerk1", number, "submit")
    step(shop, "manager2", number, "approve")
    assert reserved(shop) == (100, 70, 30), "approved again, held again"
    assert_books_balance(shop)


def test_a_large_issue_holds_its_stock_only_once_finance_has_approved_it(stocked):
    number = an_issue(stocked, "60")  # ¥60,000

    step(stocked, "manager", number, "approve")
    assert reserved(stocked) == (100, 0, 100)
    step(stocked, "finance", number, "approve")
    assert reserved(stocked) == (100, 60, 40)


def test_a_batch_issue_holds_the_batches_fefo_picks(shop):
    for batch, made in (("B-NEW", "2026-11-01"), ("B-OLD", "2026-09-01")):
        executed(
            shop,
            {
                "item": "奶粉",
                "quantity": "10",
                "unit_cost": "80.00",
                "batch": batch,
                "production_date": made,
            },
        )
    number = draft(shop, "issue", {"item": "奶粉", "quantity": "12"}, note="门店补货").number
    step(shop, "clerk1", number, "submit")
    step(shop, "manager", number, "approve")

    with shop.reader() as connection:
        held = connection.execute(
            select(s.Batch.batch_no, s.StockReservation.quantity)
            .join(s.Batch, s.Batch.id == s.StockReservation.batch_id)
            .order_by(s.Batch.batch_no)
        ).all()
    assert [(batch, quantity) for batch, quantity in held] == [
        ("B-NEW", Decimal(2)),
        ("B-OLD", Decimal(10)),
    ]
    step(shop, "clerk1", number, "execute")
    assert reserved(shop, "奶粉") == (8, 0, 8)
    assert_books_balance(shop)


def test_a_transfer_holds_its_stock_at_the_source_until_it_ships(shop):
    executed(shop)
    number = draft(shop, "transfer", {"item": "螺丝-M3", "quantity": "25"}, to_warehouse="WH2")
    step(shop, "clerk1", number.number, "submit")
    step(shop, "manager", number.number, "approve")

    assert reserved(shop) == (100, 25, 75)
    assert step(shop, "clerk1", number.number, "execute").state == "in_transit"
    assert reserved(shop) == (75, 0, 75)
    assert_books_balance(shop)


def test_two_managers_approving_two_issues_for_the_last_stock_hold_it_once(shop):
    executed(shop)
    numbers = {"manager": an_issue(shop, "70"), "manager2": an_issue(shop, "70")}
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approver(user):
        start.wait(timeout=60)
        try:
            outcomes[user] = documents.act(shop.uow(), user, numbers[user], "approve")
        except DomainError as error:
            outcomes[user] = error

    threads = [threading.Thread(target=approver, args=(u,)) for u in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    won = [r for r in outcomes.values() if isinstance(r, documents.DocumentResult)]
    lost = [r for r in outcomes.values() if isinstance(r, DomainError)]
    assert [r.state for r in won] == ["approved"]
    assert [e.code for e in lost] == ["stock.insufficient"]
    assert reserved(shop) == (100, 70, 30)
    assert_books_balance(shop)


def test_the_check_finds_a_reservation_changed_behind_the_applications_back(shop):
    executed(shop)
    an_approved_issue(shop, "70")
    with shop.engine.begin() as connection:
        connection.execute(s.StockBalance.__table__.update().values(reserved=0))

    with shop.reader() as connection:
        report = consistency.check(connection)

    assert [p.code for p in report.problems] == ["check.reserved_mismatch"]
    assert report.problems[0].params["reservations"] == "70"


# 修改: a draft, or a document sent back, changes; nothing later does ------------------------------


def test_a_draft_is_edited_and_the_edit_is_on_the_audit_trail(shop):
    number = draft(shop).number

    edited = documents.edit(
        shop.uow(),
        "clerk1",
        number,
        {"note": "到货 90", "lines": [{"item": "螺丝-M3", "quantity": "90", "unit_cost": "2.50"}]},
    )
    step(shop, "clerk1", number, "submit")
    step(shop, "manager", number, "approve")
    step(shop, "clerk1", number, "execute")

    assert (edited.state, edited.lines) == ("draft", 1)
    assert steps(shop, number)[:2] == [
        ("clerk1", "document.create", None, "draft"),
        ("clerk1", "document.edit", "draft", "draft"),
    ]
    assert on_hand(shop) == Decimal(90)
    with shop.reader() as connection:
        header, lines = document_queries.document(connection, number)[:2]
    assert header.note == "到货 90"
    assert [(line.quantity, line.unit_cost) for line in lines] == [(Decimal(90), Decimal("2.5"))]
    assert_books_balance(shop)


def test_a_rejected_receipt_is_fixed_by_its_clerk_and_goes_round_again(shop):
    number = pending(shop)
    step(shop, "manager", number, "reject", reason="单价应为 1.80")

    documents.edit(
        shop.uow(),
        "clerk1",
        number,
        {"lines": [{"item": "螺丝-M3", "quantity": "100", "unit_cost": "1.80"}]},
    )
    step(shop, "clerk1", number, "submit")
    step(shop, "manager", number, "approve")
    step(shop, "clerk2", number, "execute")

    with shop.reader() as connection:
        cost = stock_levels.on_hand(connection, "螺丝-M3", "WH1")
        lines = document_queries.document(connection, number)[1]
    assert cost.on_hand == Decimal(100)
    assert [line.unit_cost for line in lines] == [Decimal("1.8")]
    assert [s[1:] for s in steps(shop, number)][2:4] == [
        ("document.reject", "pending", "rejected"),
        ("document.edit", "rejected", "rejected"),
    ]


def test_a_document_past_its_editable_states_cannot_be_edited(shop):
    number = pending(shop)

    with refused(shop, Conflict) as caught:
        documents.edit(shop.uow(), "clerk1", number, {"note": "改一下"})

    assert caught.value.code == "document.not_editable"
    assert caught.value.params == {
        "number": number,
        "state": "pending",
        "states": ("draft", "rejected"),
    }


def test_an_edit_is_checked_as_a_whole_like_a_new_document(shop):
    number = draft(shop).number

    with refused(shop, Invalid) as caught:
        documents.edit(
            shop.uow(),
            "clerk1",
            number,
            {
                "business_date": "2026-11-20",
                "lines": [
                    {"item": "没有这个", "quantity": "1", "unit_cost": "1"},
                    {"item": "螺丝-M3", "quantity": "-5", "unit_cost": "1"},
                ],
            },
        )

    assert problems(caught.value) == [
        ("/lines/1/item", "item.unknown"),
        ("/lines/2/quantity", "quantity.not_positive"),
    ]


def test_only_someone_who_may_draft_in_the_warehouse_edits_and_not_into_another(shop):
    number = draft(shop).number

    with refused(shop, Forbidden) as outsider:
        documents.edit(shop.uow(), "clerk.wh2", number, {"note": "x"})
    with refused(shop, Forbidden) as moving_away:
        documents.edit(shop.uow(), "clerk1", number, {"warehouse": "WH2"})

    assert outsider.value.params["warehouse"] == "WH1"
    assert moving_away.value.params["warehouse"] == "WH2"


def test_an_edit_sent_twice_with_one_request_id_is_made_once(shop):
    number = draft(shop).number
    change = {"lines": [{"item": "螺丝-M3", "quantity": "7", "unit_cost": "2"}]}

    first = documents.edit(shop.uow(), "clerk1", number, change, request_id="edit-1")
    again = documents.edit(shop.uow(), "clerk1", number, change, request_id="edit-1")

    assert again == first
    assert [s[1] for s in steps(shop, number)].count("document.edit") == 1


def test_a_reversal_cannot_be_edited(shop):
    reversal = documents.reverse(shop.uow(), "finance", executed(shop))

    with refused(shop, Conflict) as caught:
        documents.edit(shop.uow(), "tester", reversal.number, {"note": "x"})

    assert caught.value.code == "document.reversal_not_editable"


def test_a_serial_held_by_one_approved_issue_is_refused_to_another(shop):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    executed(
        shop, {"item": "手机", "quantity": "2", "unit_cost": "1999", "serials": ["SN-1", "SN-2"]}
    )
    first = draft(
        shop, "issue", {"item": "手机", "quantity": "1", "serials": ["SN-1"]}, note="门店调货"
    ).number
    second = draft(
        shop, "issue", {"item": "手机", "quantity": "1", "serials": ["SN-1"]}, note="门店调货"
    ).number
    for number in (first, second):
        step(shop, "clerk1", number, "submit")
    step(shop, "manager", first, "approve")

    with refused(shop, Invalid) as caught:
        step(shop, "manager", second, "approve")

    assert caught.value.code == "serial.reserved"
    assert caught.value.params["number"] == first
    assert step(shop, "clerk2", first, "execute").state == "executed"
    assert_books_balance(shop)


# each person's work ------------------------------------------------------------------------


def waiting(app, actor):
    return [(row.number, steps) for row, steps in documents.waiting_for(app.uow(), actor)]


def test_each_person_is_shown_the_documents_with_a_step_of_theirs_longest_waiting_first(shop):
    oldest = pending(shop)
    for _ in range(60):  # newer documents do not push the oldest out of sight
        draft(shop)
    to_execute = approved(shop)
    newest = pending(shop)

    assert waiting(shop, "manager") == [  # nobody else's drafts
        (oldest, ["approve", "reject"]),
        (to_execute, ["unapprove", "reject", "execute"]),
        (newest, ["approve", "reject"]),
    ]
    assert (to_execute, ["execute"]) in waiting(shop, "clerk2")
    assert [number for number, _ in waiting(shop, "clerk.wh2")] == []


def test_a_document_one_could_only_send_back_or_take_approval_from_waits_for_others(stocked):
    small, large = an_issue(stocked, "5"), an_issue(stocked, "60")
    step(stocked, "manager", small, "approve")  # approved: the warehouse executes it
    step(stocked, "manager", large, "approve")  # first approved: finance approves it again

    for_finance = dict(waiting(stocked, "finance"))

    assert small not in for_finance  # finance could only 驳回 or 反审核 it
    assert for_finance[large] == ["approve", "unapprove", "reject"]
    assert (small, ["execute"]) in waiting(stocked, "clerk2")


def test_a_reversal_one_submitted_waits_for_another_approver_not_for_oneself(shop):
    """The reversal workflow's 驳回 lands in a state that is not editable: still a step back."""
    original = executed(shop)
    reversal = documents.reverse(shop.uow(), "finance", original).number
    step(shop, "finance", reversal, "submit")

    assert reversal not in dict(waiting(shop, "finance"))  # it could only send it back
    assert dict(waiting(shop, "tester"))[reversal][0] == "approve"


def test_a_transfer_waits_for_its_receipt_in_the_destination_only(shop):
    transfer = draft(
        shop, "transfer", {"item": "螺丝-M3", "quantity": "1"}, to_warehouse="WH2"
    ).number
    receipt = executed(shop)
    step(shop, "clerk1", transfer, "submit")
    step(shop, "manager", transfer, "approve")
    step(shop, "clerk1", transfer, "execute")

    assert (transfer, ["receive"]) in waiting(shop, "clerk.wh2")
    assert transfer not in [number for number, _ in waiting(shop, "clerk1")]
    assert receipt in [number for number, _ in waiting(shop, "clerk2")]  # to verify


def test_neither_who_shipped_a_transfer_nor_who_received_it_verifies_it(shop):
    executed(shop)
    transfer = draft(
        shop, "transfer", {"item": "螺丝-M3", "quantity": "1"}, to_warehouse="WH2"
    ).number
    step(shop, "clerk1", transfer, "submit")
    step(shop, "manager", transfer, "approve")
    step(shop, "tester", transfer, "execute")  # an admin of both warehouses ships it
    step(shop, "clerk.wh2", transfer, "receive")

    for person, did in (("tester", "execute"), ("clerk.wh2", "receive")):
        with refused(shop, Forbidden) as caught:
            step(shop, person, transfer, "verify")
        assert caught.value.params["did"] == did
    a_user(shop, "clerk2.wh2", "warehouse_clerk", "WH2")
    assert step(shop, "clerk2.wh2", transfer, "verify").state == "verified"


def test_documents_whose_step_is_anothers_warehouse_do_not_crowd_out_ones_own(shop):
    received = executed(shop)  # 100 screws in WH1, waiting for 核对
    for _ in range(3):  # the oldest waiting: transfers for WH2 to receive
        moving = draft(shop, "transfer", {"item": "螺丝-M3", "quantity": "1"}, to_warehouse="WH2")
        step(shop, "clerk1", moving.number, "submit")
        step(shop, "manager", moving.number, "approve")
        step(shop, "clerk1", moving.number, "execute")
    newest = pending(shop)

    shown = documents.waiting_for(shop.uow(), "manager", limit=2)

    assert [(row.number, steps) for row, steps in shown] == [
        (received, ["verify"]),
        (newest, ["approve", "reject"]),
    ]


def test_a_voided_reversal_stays_dead_when_its_workflow_is_replaced(shop):
    original = executed(shop)
    dropped = documents.reverse(shop.uow(), "finance", original)
    step(shop, "finance", dropped.number, "void")  # 作废: now cancelled
    renamed = workflows.shipped_source("sop", "reversal").replace("cancelled", "withdrawn")
    workflows.install(shop.uow(), "tester", renamed)

    again = documents.reverse(shop.uow(), "finance", original)

    assert again.state == "draft"
    assert state_of(shop, dropped.number) == "cancelled"


def test_a_receipt_of_a_serial_on_the_shelf_is_refused_as_it_is_saved_not_at_execution(shop):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    phones = {"item": "手机", "quantity": "2", "unit_cost": "1999", "serials": ["SN-1", "SN-2"]}
    executed(shop, phones)
    again = {"item": "手机", "quantity": "2", "unit_cost": "1999", "serials": ["SN-3", "SN-2"]}

    with refused(shop, Invalid) as drafted:
        draft(shop, "receipt", again)
    with refused(shop, Invalid) as submitted:
        documents.create(
            shop.uow(),
            "clerk1",
            {"document_type": "receipt", "warehouse": "WH1", "lines": [again]},
            then="submit",
        )
    number = draft(shop, "receipt", {**again, "serials": ["SN-3", "SN-4"]}).number
    with refused(shop, Invalid) as edited:
        documents.edit(shop.uow(), "clerk1", number, {"lines": [again]})

    for caught in (drafted, submitted, edited):
        assert (caught.value.code, caught.value.params["pointer"]) == (
            "serial.already_in_stock",
            "/lines/1/serials",
        )
        assert translate(caught.value.code, "zh_CN", **caught.value.params) == (
            "手机 的序列号 SN-2 已在库（WH1/STOCK）"
        )
    assert step(shop, "clerk1", number, "submit").state == "pending"


def test_a_receipt_of_a_serial_another_receipt_brought_in_meanwhile_is_refused_at_each_step_on(
    shop,
):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    phone = {"item": "手机", "quantity": "1", "unit_cost": "1999", "serials": ["SN-5"]}
    first, second = draft(shop, "receipt", phone).number, draft(shop, "receipt", phone).number
    step(shop, "clerk1", second, "submit")
    for action, actor in (("submit", "clerk1"), ("approve", "manager"), ("execute", "clerk1")):
        step(shop, actor, first, action)

    with refused(shop, Invalid) as at_approval:
        step(shop, "manager", second, "approve")

    assert at_approval.value.code == "serial.already_in_stock"
    assert step(shop, "manager", second, "reject", reason="重复入库").state == "rejected"
    with refused(shop, Invalid):
        step(shop, "clerk1", second, "submit")
    assert step(shop, "clerk2", first, "verify").state == "verified"  # its own serial, posted


def test_an_issue_of_a_serial_not_in_stock_is_refused_as_it_is_saved_not_at_execution(shop):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    executed(shop, {"item": "手机", "quantity": "1", "unit_cost": "1999", "serials": ["SN-1"]})
    typo = {"item": "手机", "quantity": "2", "serials": ["SN-1", "SN-9"]}

    with refused(shop, Invalid) as drafted:
        draft(shop, "issue", typo, note="样机")
    with refused(shop, Invalid) as submitted:
        documents.create(
            shop.uow(),
            "clerk1",
            {"document_type": "issue", "warehouse": "WH1", "note": "样机", "lines": [typo]},
            then="submit",
        )
    number = draft(shop, "issue", {**typo, "quantity": "1", "serials": ["SN-1"]}, note="样机")
    with refused(shop, Invalid) as edited:
        documents.edit(shop.uow(), "clerk1", number.number, {"lines": [typo]})

    for caught in (drafted, submitted, edited):
        assert (caught.value.code, caught.value.params["pointer"]) == (
            "serial.not_in_stock",
            "/lines/1/serials",
        )
        assert translate(caught.value.code, "zh_CN", **caught.value.params) == (
            "手机 的序列号 SN-9 不在此处库存中（WH1）"
        )
    assert step(shop, "clerk1", number.number, "submit").state == "pending"


def test_an_issue_moved_to_another_warehouse_by_an_edit_checks_its_serials_there(shop):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    phone = {"item": "手机", "quantity": "1", "unit_cost": "1999"}
    executed(shop, {**phone, "serials": ["SN-1"]})  # in WH1
    in_wh2 = draft(
        shop, "receipt", {**phone, "serials": ["SN-2"]}, actor="clerk.wh2", warehouse="WH2"
    )
    for actor, action in (("clerk.wh2", "submit"), ("tester", "approve"), ("clerk.wh2", "execute")):
        step(shop, actor, in_wh2.number, action)
    number = draft(
        shop, "issue", {"item": "手机", "quantity": "1", "serials": ["SN-1"]}, note="样机"
    )

    with refused(shop, Invalid) as stayed:
        documents.edit(shop.uow(), "tester", number.number, {"warehouse": "WH2"})
    documents.edit(
        shop.uow(),
        "tester",
        number.number,
        {"warehouse": "WH2", "lines": [{"item": "手机", "quantity": "1", "serials": ["SN-2"]}]},
    )

    assert stayed.value.code in ("serial.in_other_warehouse", "serial.not_in_stock")
    assert stayed.value.params["serial"] == "SN-1"


def test_an_issue_naming_a_batch_that_does_not_exist_is_refused_as_it_is_saved(shop):
    milk = {"item": "奶粉", "quantity": "5", "unit_cost": "80.00"}
    executed(shop, {**milk, "batch": "B1", "production_date": "2026-10-01"})

    with refused(shop, Invalid) as typo:
        draft(shop, "issue", {"item": "奶粉", "quantity": "3", "batch": "NOPE"}, note="领料")

    assert (typo.value.code, typo.value.params["pointer"]) == ("batch.unknown", "/lines/1/batch")
    assert draft(shop, "issue", {"item": "奶粉", "quantity": "3", "batch": "B1"}, note="领料")


def test_an_issue_of_a_serial_another_issue_took_meanwhile_is_refused_at_each_step_on(shop):
    an_item(shop, "手机", tracking="serial", base_unit="台")
    executed(shop, {"item": "手机", "quantity": "1", "unit_cost": "1999", "serials": ["SN-5"]})
    phone = {"item": "手机", "quantity": "1", "serials": ["SN-5"]}
    first = draft(shop, "issue", phone, note="样机").number
    second = draft(shop, "issue", phone, note="样机").number
    step(shop, "clerk1", first, "submit")
    step(shop, "manager", first, "approve")  # 预占 SN-5

    with refused(shop, Invalid) as while_held:
        step(shop, "clerk1", second, "submit")
    step(shop, "clerk1", first, "execute")
    with refused(shop, Invalid) as once_gone:
        step(shop, "clerk1", second, "submit")

    assert (while_held.value.code, while_held.value.params["number"]) == ("serial.reserved", first)
    assert once_gone.value.code == "serial.not_in_stock"
    assert state_of(shop, second) == "draft"
    assert step(shop, "clerk1", second, "void").state == "cancelled"


def test_batch_dates_a_posting_would_refuse_are_refused_as_the_receipt_is_saved(shop):
    milk = {"item": "奶粉", "quantity": "5", "unit_cost": "80.00"}
    executed(shop, {**milk, "batch": "B1", "production_date": "2026-10-01"})
    unlike_the_batch = {**milk, "batch": "B1", "production_date": "2026-10-05"}
    unlike_line_1 = [
        {**milk, "batch": "B2", "production_date": "2026-11-01"},
        {**milk, "batch": "B2", "expiry_date": "2027-12-31"},
    ]
    undated = {**milk, "batch": "B3"}

    with refused(shop, Invalid) as against_the_batch:
        draft(shop, "receipt", unlike_the_batch)
    with refused(shop, Invalid) as against_a_line:
        draft(shop, "receipt", *unlike_line_1)
    number = draft(shop, "receipt", {**undated, "production_date": "2026-11-20"}).number
    with refused(shop, Invalid) as without_dates:
        documents.edit(shop.uow(), "clerk1", number, {"lines": [undated]})

    assert translate(against_the_batch.value.code, "zh_CN", **against_the_batch.value.params) == (
        "批次 B1 的生产日期已是 2026-10-01，不是 2026-10-05"
    )
    assert (against_a_line.value.code, against_a_line.value.params["pointer"]) == (
        "batch.dates_conflict",
        "/lines/2/expiry_date",
    )
    assert against_a_line.value.params["known"] == "2027-10-27"  # 2026-11-01 + 360 days
    assert (without_dates.value.code, without_dates.value.params["pointer"]) == (
        "batch.date_required",
        "/lines/1/batch",
    )
    assert step(shop, "clerk1", number, "submit").state == "pending"


def test_a_definition_whose_not_by_names_no_step_is_not_installed(shop):
    typo = workflows.shipped_source("sop", "receipt").replace(
        "not_by: [execute]", "not_by: [excute]"
    )

    with refused(shop, Invalid) as caught:
        workflows.install(shop.uow(), "tester", typo)

    assert (caught.value.code, caught.value.params["action"]) == (
        "workflow.not_by_unknown",
        "excute",
    )
