"""Documents named by what they are to their users (采购入库单, not 其他入库单).

A receipt from a purchase order is a 采购入库单, one without an order a 其他入库单: in
lists, their filters, on its page and among what its order made.
"""

from __future__ import annotations

import pytest

from jxc.domain.documents import DocumentKind
from jxc.queries import documents as document_queries
from jxc.queries import movements
from jxc.queries import orders as order_queries
from jxc.services import partners
from tests.builders import a_purchase_receipt, a_warehouse, an_item, receive


def receipts(app):
    """A purchase order, its receipt, and a receipt without an order, in WH1."""
    a_warehouse(app, "WH1")
    an_item(app, "螺丝")
    partners.add(app.uow(), "tester", {"code": "SUP1", "name": "供应商一", "kind": "supplier"})
    order, receipt = a_purchase_receipt(app, "WH1", "SUP1", {"item": "螺丝", "quantity": "5"})
    plain = receive(app, "WH1", {"item": "螺丝", "quantity": "1", "unit_cost": "1"}).number
    return app, order, receipt, plain


@pytest.fixture
def received(app):
    return receipts(app)


def test_a_receipt_from_an_order_is_a_purchase_receipt_and_one_without_a_misc_receipt(received):
    app, order, bought, plain = received
    with app.reader() as connection:
        kinds = {row.number: row.kind for row in document_queries.documents(connection)}
        page_kind = document_queries.document(connection, bought)[0].kind
        made = order_queries.made_from(connection, order)

    assert kinds == {order: "purchase_order", bought: "purchase_receipt", plain: "receipt"}
    assert page_kind == "purchase_receipt"
    assert [(row.number, row.kind) for row in made] == [(bought, "purchase_receipt")]


def test_the_list_filters_by_kind_while_the_stored_type_keeps_both(received):
    app, _, bought, plain = received
    with app.reader() as connection:

        def numbers(**filters):
            return [row.number for row in document_queries.documents(connection, **filters)]

        assert numbers(kind=DocumentKind.PURCHASE_RECEIPT) == [bought]
        assert numbers(kind=DocumentKind.RECEIPT) == [plain]
        assert numbers(document_type="receipt") == [plain, bought]


def test_the_ledger_and_its_trace_name_a_purchase_receipt_by_its_kind(received):
    app, _, bought, plain = received
    with app.reader() as connection:
        _, rows = movements.item_ledger(connection, "螺丝")
        traced = movements.trace_document(connection, bought)

    assert [(row.document, row.document_type) for row in rows] == [
        (bought, "purchase_receipt"),
        (plain, "receipt"),
    ]
    assert [row.document_type for row in traced.movements] == ["purchase_receipt"]
