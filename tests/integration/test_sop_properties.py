"""Random sequences of SOP steps, allowed and refused, by people of every role.

Receipts, issues and transfers to a second warehouse, received there, and 红冲 of any of
them (each reversal then stepped at random too). Whatever order they come in, a refused
step changes nothing, the ledger always equals the balances, stock never goes negative,
and the audit chain verifies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc.domain.errors import DomainError
from jxc.queries import documents as document_queries
from jxc.queries import stock_levels
from jxc.services import documents
from tests.builders import a_user, a_warehouse, an_item, assert_books_balance, snapshot

ACTIONS = [
    "submit",
    "approve",
    "unapprove",
    "reject",
    "void",
    "execute",
    "receive",
    "verify",
    "archive",
    "reverse",  # 红冲: a new document to step
]
KINDS = ["receipt", "issue", "transfer"]
BACK = {"unapprove", "reject", "void"}  # taken as drawn, not as "next"
PEOPLE = ["clerk", "clerk2", "manager", "finance", "admin"]
ROLES = {
    "clerk": "warehouse_clerk",
    "clerk2": "warehouse_clerk",
    "manager": "warehouse_manager",
    "finance": "finance",
    "admin": "admin",
}


def _company(app: Any) -> tuple[str, str, str]:
    """Two warehouses, an item and the people, made once per database."""
    if not hasattr(app, "sop_company"):
        warehouse, destination, item = a_warehouse(app), a_warehouse(app), an_item(app).code
        for person, role in ROLES.items():
            a_user(app, person, role)
        app.sop_company = (warehouse, destination, item)
    return app.sop_company


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    quantities=st.lists(st.integers(1, 20), min_size=2, max_size=4),
    steps=st.lists(
        st.tuples(
            st.integers(0, 7), st.sampled_from([*ACTIONS, *["next"] * 6]), st.sampled_from(PEOPLE)
        ),
        max_size=30,
    ),
)
def test_random_allowed_and_refused_steps_keep_the_books_and_the_chain(sop, quantities, steps):
    warehouse, destination, item = _company(sop)
    numbers = []
    for index, quantity in enumerate(quantities):
        kind = KINDS[index % len(KINDS)]
        line: dict[str, Any] = {"item": item, "quantity": str(quantity)}
        header: dict[str, Any] = {"document_type": kind, "warehouse": warehouse, "note": "随机"}
        if kind == "receipt":
            line["unit_cost"] = "1.25"
        if kind == "transfer":
            header["to_warehouse"] = destination
        created = documents.create(sop.uow(), "clerk", {**header, "lines": [line]})
        numbers.append(created.number)

    for which, action, first in steps:
        number = numbers[which % len(numbers)]
        # the people in turn from ``first`` until one takes the step ("next": a step on
        # open to them, 红冲 included): deep into the workflows, each refusal checked
        for person in PEOPLE[PEOPLE.index(first) :] + PEOPLE[: PEOPLE.index(first)]:
            step = action
            if action == "next":
                onward = [
                    step
                    for step in documents.next_steps(sop.uow(), person, number).open
                    if step not in BACK
                ]
                if documents.may_reverse(sop.uow(), person, number):
                    onward.append("reverse")
                if not onward:
                    continue
                step = onward[which % len(onward)]
            before = snapshot(sop)
            try:
                if step == "reverse":
                    made = documents.reverse(sop.uow(), person, number, note="随机")
                    numbers.append(made.number)
                else:
                    documents.act(sop.uow(), person, number, step, reason="随机原因")
            except DomainError:
                assert snapshot(sop) == before, f"a refused {step} by {person} changed something"
                continue
            break
        assert_books_balance(sop)

    with sop.reader() as connection:
        on_hand = [
            row
            for place in (warehouse, destination)
            for row in stock_levels.warehouse_stock(connection, place)
        ]
        states = {
            number: document_queries.document(connection, number)[0].state for number in numbers
        }
    assert all(row.on_hand >= Decimal(0) for row in on_hand), on_hand
    assert set(states.values()) <= {
        "draft",
        "pending",
        "first_approved",
        "approved",
        "in_transit",
        "executed",
        "reversed",
        "verified",
        "archived",
        "rejected",
        "cancelled",
    }
