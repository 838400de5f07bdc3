"""Random orders, reservations, deliveries, returns, closes and 红冲 on both engines.

A hypothesis state machine receives stock, approves sales orders from two channels (some
beyond what is available), ships partial and full deliveries of them, takes some back by
sales returns (some more than was shipped), closes orders with a remainder, reverses
deliveries and issues stock outside any order, against a real database, and keeps a plain
model of on hand, each order line's hold, its delivered quantity and each delivery's
returns. After every step: ``jxc check`` is clean, on hand and reserved per item equal the
model, nothing is reserved beyond what is on hand, no order line is delivered past what
was ordered and no delivery gets back more than it shipped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.domain.errors import Conflict, InsufficientStock, Invalid
from jxc.queries import consistency, stock_levels
from jxc.queries import orders as order_queries
from jxc.services import catalog, documents, partners

ITEMS = ("cup", "pot")
ZERO = Decimal(0)
MACHINE_SETTINGS = settings(
    max_examples=10,
    stateful_step_count=25,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
items = st.sampled_from(ITEMS)
quantities = st.integers(1, 6).map(Decimal)


@dataclass
class OrderModel:
    number: str
    item: str
    ordered: Decimal
    held: Decimal
    delivered: Decimal = ZERO
    open: bool = True  # approved and not yet done or closed
    done: bool = False  # completed by its last delivery (not closed)


class OrderMachine(RuleBasedStateMachine):
    def __init__(self, app: App) -> None:
        super().__init__()
        self.app = app
        tag = uuid.uuid4().hex[:6].upper()
        self.warehouse = f"OM{tag}"
        catalog.add_warehouse(app.uow(), "tester", {"code": self.warehouse, "name": "订单仓"})
        self.code = {}
        for kind in ITEMS:
            self.code[kind] = f"{kind}-{tag}"
            catalog.add_item(
                app.uow(), "tester", {"code": self.code[kind], "name": kind, "base_unit": "个"}
            )
        self.channels = [f"SHOP{tag}{n}" for n in (1, 2)]
        for channel in self.channels:
            partners.add(
                app.uow(),
                "tester",
                {
                    "code": channel,
                    "name": channel,
                    "kind": "channel",
                    "channel_kind": "online",
                    "warehouses": [self.warehouse],
                },
            )
        self.on_hand = dict.fromkeys(ITEMS, ZERO)
        self.orders: list[OrderModel] = []
        self.shipped: list[tuple[str, OrderModel, Decimal]] = []  # delivery, order, quantity
        self.returned: dict[str, Decimal] = {}  # delivery → brought back by sales returns

    def reserved(self, kind: str) -> Decimal:
        return sum((o.held for o in self.orders if o.item == kind), ZERO)

    def available(self, kind: str) -> Decimal:
        return self.on_hand[kind] - self.reserved(kind)

    @rule(kind=items, quantity=quantities)
    def receive(self, kind: str, quantity: Decimal) -> None:
        documents.create(
            self.app.uow(),
            "tester",
            {
                "document_type": "receipt",
                "warehouse": self.warehouse,
                "lines": [{"item": self.code[kind], "quantity": str(quantity), "unit_cost": "3"}],
            },
            post=True,
        )
        self.on_hand[kind] += quantity

    @rule(kind=items, quantity=quantities, channel=st.integers(0, 1))
    def order(self, kind: str, quantity: Decimal, channel: int) -> None:
        data = {
            "document_type": "sales_order",
            "warehouse": self.warehouse,
            "partner": self.channels[channel],
            "lines": [{"item": self.code[kind], "quantity": str(quantity), "unit_price": "5"}],
        }
        try:
            result = documents.create(self.app.uow(), "tester", data, then="approve")
        except InsufficientStock:
            assert self.available(kind) < quantity
            return
        assert self.available(kind) >= quantity
        self.orders.append(OrderModel(result.number, kind, quantity, quantity))

    @precondition(lambda self: any(o.open for o in self.orders))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from([o for o in self.orders if o.open]))
        left = order.ordered - order.delivered
        quantity = data.draw(st.integers(1, int(left)).map(Decimal))
        # What the delivery may take: on hand less every hold but what it takes over.
        still_held = self.reserved(order.item) - min(order.held, quantity)
        short = self.on_hand[order.item] - still_held < quantity
        delivery = {
            "document_type": "sales_delivery",
            "warehouse": self.warehouse,
            "source": order.number,
            "lines": [{"item": self.code[order.item], "quantity": str(quantity)}],
        }
        try:
            result = documents.create(self.app.uow(), "tester", delivery, then="ship")
        except InsufficientStock:
            assert short  # only a remainder reopened by 红冲 holds nothing
            return
        assert not short
        self.on_hand[order.item] -= quantity
        order.held -= min(order.held, quantity)
        order.delivered += quantity
        if order.delivered == order.ordered:
            order.open, order.done, order.held = False, True, ZERO
        self.shipped.append((result.number, order, quantity))

    @precondition(lambda self: any(o.open for o in self.orders))
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from([o for o in self.orders if o.open]))
        documents.act(self.app.uow(), "tester", order.number, "close", reason="余量不要了")
        order.open, order.held = False, ZERO

    @precondition(lambda self: bool(self.shipped))
    @rule(data=st.data())
    def reverse_delivery(self, data: st.DataObject) -> None:
        delivery, order, quantity = data.draw(st.sampled_from(self.shipped))
        if self.returned.get(delivery):
            with pytest.raises(Conflict):  # its returns are reversed first
                documents.reverse(self.app.uow(), "tester", delivery, post=True)
            return
        self.shipped.remove((delivery, order, quantity))
        documents.reverse(self.app.uow(), "tester", delivery, post=True)
        self.on_hand[order.item] += quantity
        order.delivered -= quantity
        if order.done:  # open again, holding what it can of its open quantity, or nothing
            order.open, order.done = True, False
            still_open = order.ordered - order.delivered
            order.held = still_open if self.available(order.item) >= still_open else ZERO

    @precondition(lambda self: bool(self.shipped))
    @rule(data=st.data(), wanted=st.integers(1, 7).map(Decimal))
    def sales_return(self, data: st.DataObject, wanted: Decimal) -> None:
        delivery, order, quantity = data.draw(st.sampled_from(self.shipped))
        back = {
            "document_type": "sales_return",
            "warehouse": self.warehouse,
            "source": delivery,
            "lines": [{"item": self.code[order.item], "quantity": str(wanted)}],
        }
        left = quantity - self.returned.get(delivery, ZERO)
        if wanted > left:
            with pytest.raises(Invalid):
                documents.create(self.app.uow(), "tester", back, post=True)
            return
        documents.create(self.app.uow(), "tester", back, post=True)
        self.returned[delivery] = self.returned.get(delivery, ZERO) + wanted
        self.on_hand[order.item] += wanted

    @rule(kind=items, quantity=quantities)
    def issue_outside_orders(self, kind: str, quantity: Decimal) -> None:
        data = {
            "document_type": "issue",
            "warehouse": self.warehouse,
            "lines": [{"item": self.code[kind], "quantity": str(quantity)}],
        }
        try:
            documents.create(self.app.uow(), "tester", data, post=True)
        except InsufficientStock:
            assert self.available(kind) < quantity
            return
        assert self.available(kind) >= quantity
        self.on_hand[kind] -= quantity

    @invariant()
    def books_agree_with_the_model(self) -> None:
        with self.app.reader() as connection:
            report = consistency.check(connection)
            assert report.ok, report.problems
            for kind in ITEMS:
                level = stock_levels.on_hand(connection, self.code[kind], self.warehouse)
                assert (level.on_hand, level.reserved) == (self.on_hand[kind], self.reserved(kind))
                assert level.reserved <= level.on_hand
            for order in self.orders:
                (line,) = order_queries.priced_lines(connection, order.number)
                assert line.delivered == order.delivered
                assert ZERO <= line.delivered <= line.quantity
            for delivery, _, quantity in self.shipped:
                (shipped,) = order_queries.priced_lines(connection, delivery)
                assert shipped.returned == self.returned.get(delivery, ZERO) <= quantity


def test_random_orders_deliveries_closes_and_reversals_keep_reservations_and_books_right(
    database_url: str,
) -> None:
    app = build(Settings(database_url=database_url, user="tester"))
    try:
        run_state_machine_as_test(lambda: OrderMachine(app), settings=MACHINE_SETTINGS)
    finally:
        app.dispose()
