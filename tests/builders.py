"""Builders for business data, visible at the call site: an_item(app, tracking="batch")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from jxc.bootstrap import App
from jxc.db.schema import Base, StockBalance, StockCost
from jxc.domain.errors import DomainError
from jxc.domain.items import Item
from jxc.queries import audit, consistency
from jxc.services import auth, catalog, documents


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


def a_warehouse(app: App, code: str | None = None, allow_negative_stock: bool = False) -> str:
    code = code or unique("WH")
    catalog.add_warehouse(
        app.uow(),
        "tester",
        {"code": code, "name": f"仓库 {code}", "allow_negative_stock": allow_negative_stock},
    )
    return code


def a_user(app: App, username: str, role: str, warehouse: str | None = None) -> str:
    """A user with one role (in one warehouse, or in all); their password is ``PASSWORD``."""
    auth.add_user(
        app.uow(),
        "tester",
        {
            "username": username,
            "display_name": username,
            "password": PASSWORD,
            "grants": [{"role": role, "warehouse": warehouse}],
        },
    )
    return username


PASSWORD = "secret-password"


def an_item(app: App, code: str | None = None, **fields: Any) -> Item:
    code = code or unique("螺丝")
    return catalog.add_item(
        app.uow(),
        "tester",
        {
            "code": code,
            "name": fields.pop("name", f"商品 {code}"),
            "base_unit": fields.pop("base_unit", "个"),
            **fields,
        },
    )


def receive(
    app: App, warehouse: str, *lines: dict[str, Any], request_id: str | None = None
) -> documents.DocumentResult:
    return documents.create(
        app.uow(),
        "tester",
        {"document_type": "receipt", "warehouse": warehouse, "lines": list(lines)},
        request_id=request_id,
        post=True,
    )


def issue(
    app: App, warehouse: str, *lines: dict[str, Any], request_id: str | None = None
) -> documents.DocumentResult:
    return documents.create(
        app.uow(),
        "tester",
        {"document_type": "issue", "warehouse": warehouse, "lines": list(lines)},
        request_id=request_id,
        post=True,
    )


def transfer(
    app: App, source: str, destination: str, *lines: dict[str, Any]
) -> documents.DocumentResult:
    return documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "transfer",
            "warehouse": source,
            "to_warehouse": destination,
            "lines": list(lines),
        },
        post=True,
    )


def a_purchase_order(
    app: App, warehouse: str, supplier: str, *lines: dict[str, Any], then: str = "approve"
) -> str:
    """A purchase order for ``lines`` at ¥1 without tax, taken to ``then``: its number."""
    priced = [{"unit_price": "1", "tax_rate": "0", **line} for line in lines]
    return _an_order(app, "purchase_order", warehouse, supplier, priced, then)


def a_sales_order(
    app: App, warehouse: str, customer: str, *lines: dict[str, Any], then: str = "approve"
) -> str:
    """A sales order for ``lines`` at ¥5, taken to ``then`` (approved: it holds the stock)."""
    priced = [{"unit_price": "5", **line} for line in lines]
    return _an_order(app, "sales_order", warehouse, customer, priced, then)


def _an_order(
    app: App, kind: str, warehouse: str, partner: str, lines: list[dict[str, Any]], then: str
) -> str:
    data = {"document_type": kind, "warehouse": warehouse, "partner": partner, "lines": lines}
    return documents.create(app.uow(), "tester", data, then=then).number


def a_purchase_receipt(
    app: App, warehouse: str, supplier: str, *lines: dict[str, Any]
) -> tuple[str, str]:
    """An approved purchase order for ``lines`` and its receipt pushed down and posted."""
    order = a_purchase_order(app, warehouse, supplier, *lines)
    made = create(app, "receipt", warehouse, *lines, source=order)
    return order, made.number


@contextmanager
def refused(app: App, error: type[DomainError] = DomainError) -> Iterator[Any]:
    """The block must raise ``error`` and leave the database exactly as it was."""
    before = snapshot(app)
    with pytest.raises(error) as caught:
        yield caught
    assert snapshot(app) == before


def create(
    app: App,
    kind: str,
    warehouse: str,
    *lines: dict[str, Any],
    post: bool = True,
    actor: str = "tester",
    **header: Any,
) -> documents.DocumentResult:
    """A document of ``kind`` with ``lines``, posted unless ``post`` is False."""
    return documents.create(
        app.uow(),
        actor,
        {"document_type": kind, "warehouse": warehouse, "lines": list(lines), **header},
        post=post,
    )


def snapshot(app: App) -> dict[str, Any]:
    """Row counts of every table and a checksum of balances and pools: 'nothing changed'.

    Refused oversell attempts (拒绝超卖) are left out: a refusal records itself on purpose.
    """
    with app.reader() as connection:
        counts = {
            table.name: connection.execute(
                text(f'SELECT COUNT(*) FROM "{table.name}"')
            ).scalar_one()
            for table in Base.metadata.sorted_tables
            if table.name != "stock_refusal"
        }
        balances = connection.execute(
            select(
                func.coalesce(func.sum(StockBalance.on_hand), 0),
                func.coalesce(func.sum(StockBalance.reserved), 0),
            )
        ).one()
        pools = connection.execute(select(func.coalesce(func.sum(StockCost.value), 0))).one()
    return {
        "counts": counts,
        "on_hand": Decimal(balances[0]),
        "reserved": Decimal(balances[1]),
        "value": Decimal(pools[0]),
    }


def assert_books_balance(app: App) -> None:
    """Every balance and pool equals the ledger, and the audit trail's chain is unbroken."""
    with app.reader() as connection:
        report = consistency.check(connection)
        chain = audit.chain_report(connection)
    assert report.ok, report.problems
    assert chain.ok, chain


def tamper_with_audit(app: App, statement: Any) -> None:
    """Change audit events behind the application's back, as someone with full SQL access:
    the database's append-only guard is switched off first (and on again afterwards where
    the database outlives the test)."""
    with app.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            for trigger in ("audit_event_no_update", "audit_event_no_delete"):
                connection.execute(text(f"DROP TRIGGER {trigger}"))
            connection.execute(statement)
            return
        connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        connection.execute(statement)
        connection.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
