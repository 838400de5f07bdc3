"""The workflow engine: definitions as data, checked on load; transitions, guards, conditions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from jxc.domain.auth import Role
from jxc.domain.errors import Conflict, Forbidden, Invalid
from jxc.domain.workflow import (
    DOCUMENT_TYPES,
    ORDER_TYPES,
    REVERSED,
    DocumentFacts,
    Handler,
    LineFacts,
    check_not_by,
    check_step,
    choose,
    cycle_times,
    needs,
)
from jxc.i18n.messages import translate
from jxc.services.workflows import SHIPPED_SETS, parse_source, shipped_source

ONE_STEP = """\
document_type: receipt
name: tiny
states:
  draft: {initial: true}
  posted: {final: true}
transitions:
  - action: post
    from: [draft]
    to: posted
    roles: [warehouse_clerk]
    run: post
"""


def problems(source: str) -> list[tuple[str, dict]]:
    with pytest.raises(Invalid) as refused:
        parse_source(source)
    return [(item.code, dict(item.params)) for item in refused.value.items]


def facts(**changes) -> DocumentFacts:
    values = {"number": "CK1", "business_date": date(2026, 11, 1), "created_by": "张三"}
    return DocumentFacts(**{**values, **changes})


# every shipped definition ------------------------------------------------------------------


@pytest.mark.parametrize("set_name", SHIPPED_SETS)
@pytest.mark.parametrize("document_type", DOCUMENT_TYPES)
def test_every_shipped_definition_loads_and_holds_together(set_name, document_type):
    workflow = parse_source(shipped_source(set_name, document_type))

    assert workflow.document_type == document_type
    states = set(workflow.states)
    for transition in workflow.transitions:
        assert set(transition.sources) <= states
        assert transition.target in states
        assert transition.roles
        assert Role.AUDITOR not in transition.roles
        assert transition.roles <= set(Role)
    handlers = {t.run for t in workflow.transitions}
    if document_type in ORDER_TYPES:  # an order posts nothing: its receipts and deliveries do
        assert Handler.POST not in handlers
        assert workflow.open_states == {"approved"}
        assert (Handler.RESERVE in handlers) is (document_type == "sales_order")
    else:
        assert Handler.POST in handlers
    assert (Handler.RECEIVE in handlers) == (document_type == "transfer")
    # Every state but the built-in end of a reversal is reachable from the initial one.
    reached, frontier = {workflow.initial}, [workflow.initial]
    while frontier:
        state = frontier.pop()
        for transition in workflow.transitions:
            if state in transition.sources and transition.target not in reached:
                reached.add(transition.target)
                frontier.append(transition.target)
    assert reached == states - {REVERSED}


def test_the_sop_is_the_five_steps_with_reject_and_void():
    workflow = parse_source(shipped_source("sop", "receipt"))

    path, state = [], workflow.initial
    for action in ("submit", "approve", "execute", "verify", "archive"):
        (transition,) = workflow.candidates(state, action, "RK1")
        path.append(transition.target)
        state = transition.target
    assert path == ["pending", "approved", "executed", "verified", "archived"]
    assert workflow.allowed("draft") == ["submit", "void"]
    assert workflow.allowed("pending") == ["approve", "reject"]
    assert workflow.allowed("approved") == ["unapprove", "reject", "execute"]
    assert workflow.posted_states == {"executed", "verified", "archived"}


# refusing a bad definition, with its line ---------------------------------------------------


def test_a_transition_to_nowhere_and_an_unknown_state_are_named_with_their_lines():
    source = ONE_STEP.replace("to: posted", "to: postd").replace("from: [draft]", "from: [drft]")

    found = problems(source)

    assert ("workflow.state_unknown", {"line": 8, "state": "drft", "action": "post"}) in found
    assert ("workflow.target_unknown", {"line": 9, "state": "postd", "action": "post"}) in found


def test_an_unreachable_state_is_named_with_its_line():
    source = ONE_STEP.replace("  posted: {final: true}\n", "  posted: {final: true}\n  lost: {}\n")

    assert problems(source) == [("workflow.state_unreachable", {"line": 6, "state": "lost"})]


def test_an_unknown_document_type_lists_the_codes_to_write_with_their_names():
    [(code, params)] = problems(ONE_STEP.replace("receipt", "recept"))

    assert (code, params["types"]) == ("workflow.document_type_unknown", list(DOCUMENT_TYPES))
    zh, en = translate(code, "zh_CN", **params), translate(code, "en", **params)
    assert zh.startswith(
        "第 1 行：未知的单据类型 recept；可选：receipt（入库单）、issue（其他出库单）、"
    )
    assert "known: receipt (Receipt (purchase or other)), issue (Issue), " in en


def test_unknown_keys_roles_handlers_and_guards_are_all_reported_at_once():
    source = ONE_STEP.replace("roles: [warehouse_clerk]", "roles: [warehouse_clerk, boss]").replace(
        "run: post", "run: postt\n    colour: red\n    guards: [{magic: 1}]"
    )

    codes = [code for code, _ in problems(source)]

    assert codes == [
        "workflow.key_unknown",
        "workflow.role_unknown",
        "workflow.handler_unknown",
        "workflow.guard_unknown",
    ]


def test_a_not_by_naming_no_step_is_refused_with_its_line_for_it_would_bar_nobody():
    barred = ONE_STEP.replace("run: post", "run: post\n    guards:\n      - not_by: [create]")
    typo = parse_source(barred.replace("not_by: [create]", "not_by: [create, aprove]"))

    check_not_by(parse_source(barred))
    with pytest.raises(Invalid) as refused:  # as it is installed: one stored keeps working
        check_not_by(typo)

    assert (refused.value.code, refused.value.params["line"]) == ("workflow.not_by_unknown", 7)
    assert translate(refused.value.code, "zh_CN", **refused.value.params) == (
        "第 7 行：not_by 中的 aprove 不是本流程的步骤；"
        "可用：create（创建）、edit（修改）、post（过账）"
    )


def test_the_auditor_changes_nothing_so_no_step_may_be_theirs():
    source = ONE_STEP.replace("roles: [warehouse_clerk]", "roles: [auditor]")

    assert [code for code, _ in problems(source)] == ["workflow.auditor_changes_nothing"]


def test_a_way_back_from_after_the_posting_is_refused():
    source = ONE_STEP.replace("  posted: {final: true}", "  posted: {}") + (
        "  - action: undo\n    from: [posted]\n    to: draft\n    roles: [admin]\n"
    )

    assert ("workflow.state_before_and_after_posting", {"line": 4, "state": "draft"}) in problems(
        source
    )


def test_a_workflow_that_never_posts_is_refused():
    source = ONE_STEP.replace("    run: post\n", "")

    assert [code for code, _ in problems(source)] == ["workflow.handler_missing"]


ISSUE_WITH_RESERVATION = """\
document_type: issue
name: held
states:
  draft: {initial: true}
  approved: {}
  rejected: {editable: true}
  posted: {final: true}
transitions:
  - action: approve
    from: [draft, rejected]
    to: approved
    roles: [warehouse_manager]
    run: reserve
  - action: reject
    from: [approved]
    to: rejected
    roles: [warehouse_manager]
    run: release
  - action: execute
    from: [approved]
    to: posted
    roles: [warehouse_clerk]
    run: post
"""


def test_reserving_at_approval_and_releasing_on_rejection_holds_together():
    workflow = parse_source(ISSUE_WITH_RESERVATION)

    assert workflow.posted_states == {"posted"}
    assert workflow.editable_states == ("draft", "rejected")
    assert [t.run for t in workflow.transitions] == [
        Handler.RESERVE,
        Handler.RELEASE,
        Handler.POST,
    ]


def test_a_step_leaving_reserved_stock_behind_is_refused_naming_the_state():
    forgetful = ISSUE_WITH_RESERVATION.replace("    run: release\n", "")

    assert problems(forgetful) == [
        ("workflow.reservation_not_released", {"line": 6, "state": "rejected"})
    ]


def test_only_documents_taking_stock_out_reserve_it():
    receipt = ISSUE_WITH_RESERVATION.replace("document_type: issue", "document_type: receipt")

    assert problems(receipt) == [
        (
            "workflow.handler_not_for_type",
            {
                "line": 13,
                "run": "reserve",
                "document_type": "receipt",
                "allowed": "issue, transfer, sales_order, reversal",
            },
        ),
        (
            "workflow.handler_not_for_type",
            {
                "line": 18,
                "run": "release",
                "document_type": "receipt",
                "allowed": "issue, transfer, sales_order, reversal",
            },
        ),
    ]


def test_a_state_after_the_posting_cannot_be_editable():
    source = ONE_STEP.replace("posted: {final: true}", "posted: {final: true, editable: true}")

    assert problems(source) == [("workflow.editable_after_posting", {"line": 5, "state": "posted"})]


def test_malformed_yaml_is_refused_naming_its_line():
    with pytest.raises(Invalid) as refused:
        parse_source("document_type: receipt\nstates: [draft\n")

    assert refused.value.code == "workflow.yaml_invalid"
    assert refused.value.params["line"] == 3


def test_a_duplicated_key_is_refused_naming_its_line():
    with pytest.raises(Invalid) as refused:
        parse_source(ONE_STEP + "name: again\n")

    assert (refused.value.code, refused.value.params) == (
        "workflow.key_duplicated",
        {"key": "name", "line": 12},
    )


# taking a step ------------------------------------------------------------------------------


def test_a_step_not_defined_from_the_state_names_the_state_and_what_is_allowed():
    workflow = parse_source(shipped_source("sop", "issue"))

    with pytest.raises(Conflict) as refused:
        workflow.candidates("draft", "execute", "CK1")

    assert refused.value.params == {
        "number": "CK1",
        "state": "draft",
        "action": "execute",
        "actions": ["submit", "void"],
    }


def test_a_step_the_workflow_does_not_have_is_named_as_unknown_with_every_step():
    workflow = parse_source(shipped_source("simple", "receipt"))

    with pytest.raises(Invalid) as refused:
        workflow.candidates("draft", "飞", "RK1")

    assert refused.value.code == "workflow.unknown_step"
    assert translate("workflow.unknown_step", "zh_CN", **refused.value.params) == (
        "单据 RK1 的流程没有「飞」这一步；单据当前为「草稿」，此状态下可以：过账、作废"
    )


@pytest.mark.parametrize(
    ("value", "target"),
    [(Decimal("50000"), "approved"), (Decimal("50000.01"), "first_approved")],
)
def test_an_issue_above_the_threshold_needs_a_second_approval(value, target):
    workflow = parse_source(shipped_source("sop", "issue"))
    candidates = workflow.candidates("pending", "approve", "CK1")

    assert needs(candidates).value
    assert choose(candidates, facts(value=value)).target == target


def test_separation_of_duties_counts_who_took_each_step():
    workflow = parse_source(shipped_source("sop", "issue"))
    (second,) = workflow.candidates("first_approved", "approve", "CK1")
    done = {"create": frozenset({"张三"}), "approve": frozenset({"王五"})}

    with pytest.raises(Forbidden) as refused:
        check_step(workflow, second, facts(done_by=done), "王五", None)
    check_step(workflow, second, facts(done_by=done), "赵六", None)

    assert refused.value.code == "workflow.same_person"
    assert refused.value.params["did"] == "approve"


def test_every_failing_guard_is_reported_at_once():
    workflow = parse_source(shipped_source("sop", "receipt"))
    (submit,) = workflow.candidates("draft", "submit", "RK1")
    lines = (
        LineFacts(1, "MILK", None, None, "B1", date(2026, 11, 10), 30),  # no cost, 9 days left
        LineFacts(2, "MILK", Decimal(3), None, "B0", date(2026, 10, 31), 30),  # expired
        LineFacts(3, "MILK", Decimal(3), None, "B2", date(2026, 11, 20), 30),  # 19 days: fine
    )

    with pytest.raises(Invalid) as refused:
        check_step(workflow, submit, facts(lines=lines), "张三", None)

    assert [(item.pointer, item.code) for item in refused.value.items] == [
        ("/lines/1/unit_cost", "workflow.line_field_required"),
        ("/lines/1/expiry_date", "workflow.shelf_life_short"),
        ("/lines/2/expiry_date", "workflow.batch_expired"),
    ]
    assert refused.value.items[1].params["days_required"] == 15


def test_a_reason_is_required_where_the_step_asks_for_one():
    workflow = parse_source(shipped_source("sop", "receipt"))
    (reject,) = workflow.candidates("pending", "reject", "RK1")

    with pytest.raises(Invalid) as refused:
        check_step(workflow, reject, facts(), "王五", "  ")
    check_step(workflow, reject, facts(), "王五", "单价错误")

    assert refused.value.code == "workflow.reason_required"


def test_a_document_with_downstream_documents_cannot_be_taken_back():
    workflow = parse_source(shipped_source("sop", "receipt"))
    (unapprove,) = workflow.candidates("approved", "unapprove", "RK1")

    with pytest.raises(Invalid) as refused:
        check_step(workflow, unapprove, facts(downstream=("HC1",)), "王五", "录错")

    assert refused.value.code == "workflow.has_downstream"
    assert refused.value.params["documents"] == "HC1"


def test_cycle_time_per_step_is_count_mean_median_and_longest():
    hours = [("pending", timedelta(hours=h)) for h in (1, 2, 9)] + [("approved", timedelta(0))]

    times = cycle_times(hours)

    assert (times["pending"].count, times["pending"].median) == (3, timedelta(hours=2))
    assert (times["pending"].mean, times["pending"].longest) == (
        timedelta(hours=4),
        timedelta(hours=9),
    )
    assert times["approved"].count == 1


def test_an_order_posts_nothing_and_completes_by_its_last_delivery():
    shipped = shipped_source("simple", "sales_order")
    posting = shipped.replace("    run: reserve\n", "    run: post\n", 1)
    no_completion = shipped.replace("  - action: complete ", "  - action: finish ")

    found = [code for code, _ in problems(posting)]
    assert {"workflow.order_posts_nothing", "workflow.handler_missing"} <= set(found)
    assert problems(no_completion) == [
        ("workflow.complete_missing", {"line": 11, "action": "complete"})
    ]
