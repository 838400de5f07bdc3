"""Random sequences of SOP steps, allowed and refused, by people of every role.

Whatever order they come in, a refused step changes nothing, the ledger always equals
the balances, stock never goes negative, and the audit chain verifies.
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

ACTIONS = ["submit", "approve", "unapprove", "reject", "void", "execute", "verify", "archive"]
PEOPLE = ["clerk", "clerk2", "manager", "finance", "admin"]
ROLES = {
    "clerk": "warehouse_clerk",
    "clerk2": "warehouse_clerk",
    "manager": "warehouse_manager",
    "finance": "finance",
    "admin": "admin",
}


def _company(app: Any) -> tuple[str, str]:
    """A warehouse, an item and the people, made once per database."""
    if not hasattr(app, "sop_company"):
        warehouse, item = a_warehouse(app), an_item(app).code
        for person, role in ROLES.items():
            a_user(app, person, role)
        app.sop_company = (warehouse, item)
    return app.sop_company


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    quantities=st.lists(st.integers(1, 20), min_size=2, max_size=3),
    steps=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS), st.sampled_from(PEOPLE)),
        max_size=30,
    ),
)
def test_random_allowed_and_refused_steps_keep_the_books_and_the_chain(sop, quantities, steps):
    warehouse, item = _company(sop)
    numbers = []
    for index, quantity in enumerate(quantities):
        kind = "receipt" if index % 2 == 0 else "issue"
        line: dict[str, Any] = {"item": item, "quantity": str(quantity)}
        if kind == "receipt":
            line["unit_cost"] = "1.25"
        created = documents.create(
            sop.uow(),
            "clerk",
            {"document_type": kind, "warehouse": warehouse, "note": "随机", "lines": [line]},
        )
        numbers.append(created.number)

    for which, action, person in steps:
        number = numbers[which % len(numbers)]
        before = snapshot(sop)
        try:
            documents.act(sop.uow(), person, number, action, reason="随机原因")
        except DomainError:
            assert snapshot(sop) == before, f"a refused {action} by {person} changed something"
        assert_books_balance(sop)

    with sop.reader() as connection:
        on_hand = stock_levels.warehouse_stock(connection, warehouse)
        states = {
            number: document_queries.document(connection, number)[0].state for number in numbers
        }
    assert all(row.on_hand >= Decimal(0) for row in on_hand), on_hand
    assert set(states.values()) <= {
        "draft",
        "pending",
        "first_approved",
        "approved",
        "executed",
        "verified",
        "archived",
        "rejected",
        "cancelled",
    }
