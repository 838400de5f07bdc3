"""Random sequences of stock documents keep every ledger invariant, on both engines.

A hypothesis state machine posts receipts (untracked, batch-tracked, serial-tracked),
issues (some larger than what is there), transfers shipped and later received, drafts
posted later, replayed requests and reversals (红冲) of random documents against a real
database, and keeps a plain Python model of what each warehouse should hold. After
every step the database must agree with the model and with itself:

* ``jxc check`` is clean (ledger = balances, Σ over all locations = 0, cost pools =
  ledger values, every serial where its last move put it);
* no negative available stock at guarded internal locations or in transit;
* on hand per item and warehouse, per batch, in transit and per serial = the model;
* stock value (the cost pools) = Σ ledger values into owned locations − out of them,
  and the value that came from suppliers = Σ of the receipts not reversed.

Each example creates its own warehouses and items (unique codes), so examples share
one database without seeing each other's stock.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.db import schema as s
from jxc.domain.errors import Conflict, InsufficientStock, Invalid
from jxc.domain.quantities import normalized
from jxc.queries import audit, consistency, stock_levels
from jxc.services import catalog, documents
from tests.builders import snapshot

Place = tuple[str, str]  # ("stock", "A"), ("transit", "B") or ("outside", "SUPPLIER")
Key = tuple[Place, str, str | None]  # place, item kind, batch number

WAREHOUSES = ("A", "B", "N")  # N allows negative stock
GUARDED = ("A", "B")
BULK = ("plain", "wire", "lot")
BATCHES = ("L1", "L2", "L3", "L4")
EXPIRIES = (date(2026, 3, 1), date(2026, 9, 1), date(2027, 3, 1))
PRODUCED = date(2025, 1, 1)
SUPPLIER: Place = ("outside", "SUPPLIER")
CUSTOMER: Place = ("outside", "CUSTOMER")
ZERO = Decimal(0)

warehouses = st.sampled_from(WAREHOUSES)
unit_costs = st.sampled_from(["0", "1.5", "2.25", "10", "3.333333", "0.07"])
quantities = {
    "plain": st.integers(1, 8).map(Decimal),
    "wire": st.integers(1, 32).map(lambda n: Decimal(n) * Decimal("0.125")),  # kg, 3 decimals
    "lot": st.integers(1, 6).map(Decimal),
}
bulk_lines = st.one_of(*(st.tuples(st.just(kind), quantities[kind]) for kind in BULK))
untracked_lines = st.one_of(
    *(st.tuples(st.just(kind), quantities[kind]) for kind in ("plain", "wire"))
)
MACHINE_SETTINGS = settings(
    max_examples=12,
    stateful_step_count=30,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def money(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _guarded(place: Place) -> bool:
    return place[0] == "transit" or (place[0] == "stock" and place[1] in GUARDED)


@dataclass
class Doc:
    """What the model knows of one document: its state and its net effect so far."""

    number: str
    kind: str
    state: str
    deltas: dict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    serial_origin: dict[str, Place] = field(default_factory=dict)  # before its first move
    serial_final: dict[str, Place] = field(default_factory=dict)  # after its last move
    supplier_value: Decimal = ZERO  # value this document brought in from the supplier
    destination: str | None = None  # a transfer's receiving warehouse
    draft: dict[str, Any] | None = None  # a draft issue: (warehouse, kind, quantity, batch)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, app: App) -> None:
        super().__init__()
        self.app = app
        tag = uuid.uuid4().hex[:6].upper()
        self.wh = {name: f"SM{tag}{name}" for name in WAREHOUSES}
        for name, code in self.wh.items():
            catalog.add_warehouse(
                app.uow(),
                "tester",
                {"code": code, "name": f"仓库 {code}", "allow_negative_stock": name == "N"},
            )
        self.items = {
            "plain": self._item(f"螺丝-{tag}", "个", "none"),
            "wire": self._item(f"铜线-{tag}", "kg", "none"),
            "lot": self._item(f"牛奶-{tag}", "盒", "batch"),
            "serial": self._item(f"手机-{tag}", "台", "serial"),
        }
        self.kind_of = {code: kind for kind, code in self.items.items()}
        self.qty: dict[Key, Decimal] = defaultdict(Decimal)
        self.batches: dict[str, tuple[date, int]] = {}  # batch → (expiry, creation order)
        self.serial_at: dict[str, Place] = {}
        self.serial_numbers = (f"SN{tag}-{n:03d}" for n in itertools.count(1))
        self.docs: list[Doc] = []
        self.requests: list[tuple[str, dict[str, Any], str]] = []  # id, payload, number
        self.supplier_in = ZERO
        with app.reader() as connection:
            rows = connection.execute(
                select(s.Location.id, s.Location.kind, s.Warehouse.code)
                .join(s.Warehouse, s.Warehouse.id == s.Location.warehouse_id)
                .where(s.Warehouse.code.in_(list(self.wh.values())))
            )
            by_code = {code: name for name, code in self.wh.items()}
            self.place_of: dict[int, Place] = {
                r.id: ("stock" if r.kind == "internal" else "transit", by_code[r.code])
                for r in rows
            }
            for r in connection.execute(
                select(s.Location.id, s.Location.code).where(s.Location.warehouse_id.is_(None))
            ):
                self.place_of[r.id] = ("outside", r.code)

    def _item(self, code: str, unit: str, tracking: str) -> str:
        catalog.add_item(
            self.app.uow(),
            "tester",
            {"code": code, "name": f"商品 {code}", "base_unit": unit, "tracking": tracking},
        )
        return code

    # model helpers -------------------------------------------------------------------
    def _apply(self, doc: Doc, deltas: dict[Key, Decimal], serials: dict[str, Place]) -> None:
        for key, delta in deltas.items():
            self.qty[key] += delta
            doc.deltas[key] += delta
        for serial, place in serials.items():
            doc.serial_origin.setdefault(serial, self.serial_at.get(serial, SUPPLIER))
            doc.serial_final[serial] = place
            self.serial_at[serial] = place

    def _plan_bulk(
        self, wh: str, kind: str, quantity: Decimal, batch: str | None
    ) -> dict[str | None, Decimal] | None:
        """What an outgoing line takes per batch (FEFO, expired batches left), or None when
        it must be refused."""
        place: Place = ("stock", wh)
        if kind != "lot" or batch is not None:
            if self.qty[(place, kind, batch)] >= quantity or wh not in GUARDED:
                return {batch: quantity}
            return None
        picks: dict[str | None, Decimal] = {}
        remaining = quantity
        today = self.app.today()  # what has expired by the document's date is not picked
        for batch_no in sorted(self.batches, key=self.batches.__getitem__):
            have = self.qty[(place, "lot", batch_no)]
            if have > 0 and remaining > 0 and self.batches[batch_no][0] >= today:
                picks[batch_no] = min(have, remaining)
                remaining -= picks[batch_no]
        return picks if remaining == 0 else None

    def _line(self, kind: str, quantity: Decimal, batch: str | None = None) -> dict[str, Any]:
        line: dict[str, Any] = {"item": self.items[kind], "quantity": str(quantity)}
        if batch is not None:
            line["batch"] = batch
        return line

    def _create(
        self, kind: str, wh: str, lines: list[dict[str, Any]], post: bool = True, **extra: Any
    ) -> documents.DocumentResult:
        data = {"document_type": kind, "warehouse": self.wh[wh], "lines": lines}
        if "to_warehouse" in extra:
            data["to_warehouse"] = self.wh[extra.pop("to_warehouse")]
        return documents.create(self.app.uow(), "tester", data, post=post, **extra)

    # receipts ------------------------------------------------------------------------
    @rule(wh=warehouses, line=untracked_lines, cost=unit_costs)
    def receive_untracked(self, wh: str, line: tuple[str, Decimal], cost: str) -> None:
        kind, quantity = line
        payload = {**self._line(kind, quantity), "unit_cost": cost}
        request_id = f"req-{uuid.uuid4().hex}"
        result = self._create("receipt", wh, [payload], request_id=request_id)
        # Filling negative stock (only N allows it) adds a cost adjustment entry.
        assert result.state == "posted"
        assert result.entries == 1 or (wh == "N" and result.entries == 2)
        doc = Doc(result.number, "receipt", "posted")
        doc.supplier_value = money(quantity * Decimal(cost))
        self.supplier_in += doc.supplier_value
        self._apply(doc, {(("stock", wh), kind, None): quantity}, {})
        self.docs.append(doc)
        self.requests.append((request_id, {"wh": wh, "lines": [payload]}, result.number))

    @rule(
        wh=warehouses,
        batch=st.sampled_from(BATCHES),
        quantity=quantities["lot"],
        cost=unit_costs,
        expiry=st.sampled_from(EXPIRIES),
        repeat_dates=st.booleans(),
    )
    def receive_batch(
        self, wh: str, batch: str, quantity: Decimal, cost: str, expiry: date, repeat_dates: bool
    ) -> None:
        line = {**self._line("lot", quantity, batch), "unit_cost": cost}
        known = self.batches.get(batch)
        if known is None or repeat_dates:
            line["production_date"] = PRODUCED.isoformat()
            line["expiry_date"] = (known[0] if known else expiry).isoformat()
        result = self._create("receipt", wh, [line])
        if known is None:
            self.batches[batch] = (expiry, len(self.batches))
        doc = Doc(result.number, "receipt", "posted")
        doc.supplier_value = money(quantity * Decimal(cost))
        self.supplier_in += doc.supplier_value
        self._apply(doc, {(("stock", wh), "lot", batch): quantity}, {})
        self.docs.append(doc)

    @precondition(lambda self: self.batches)
    @rule(wh=warehouses, data=st.data())
    def receive_known_batch_with_other_expiry_is_refused(self, wh: str, data: Any) -> None:
        batch = data.draw(st.sampled_from(sorted(self.batches)))
        other = data.draw(st.sampled_from([d for d in EXPIRIES if d != self.batches[batch][0]]))
        line = {**self._line("lot", Decimal(1), batch), "expiry_date": other.isoformat()}
        before = snapshot(self.app)
        with pytest.raises(Invalid) as refused:
            self._create("receipt", wh, [line])
        assert [i.code for i in refused.value.items] == ["batch.dates_conflict"]
        assert snapshot(self.app) == before

    @rule(wh=warehouses, new=st.integers(0, 2), data=st.data(), cost=unit_costs)
    def receive_serials(self, wh: str, new: int, data: Any, cost: str) -> None:
        known = sorted(self.serial_at)
        again = (
            data.draw(st.lists(st.sampled_from(known), max_size=2, unique=True)) if known else []
        )
        serials = again + [next(self.serial_numbers) for _ in range(new or (0 if again else 1))]
        line = {
            "item": self.items["serial"],
            "quantity": str(len(serials)),
            "serials": serials,
            "unit_cost": cost,
        }
        owned = [sn for sn in again if self.serial_at[sn][0] != "outside"]
        if owned:
            before = snapshot(self.app)
            with pytest.raises(Invalid) as refused:
                self._create("receipt", wh, [line])
            assert {i.code for i in refused.value.items} == {"serial.already_in_stock"}
            assert sorted(i.params["serial"] for i in refused.value.items) == sorted(owned)
            assert snapshot(self.app) == before
            return
        result = self._create("receipt", wh, [line])
        doc = Doc(result.number, "receipt", "posted")
        # One entry per serial, each valued on its own: 2 × 3.333333 is 2 × 3.33.
        doc.supplier_value = len(serials) * money(Decimal(cost))
        self.supplier_in += doc.supplier_value
        doc.serial_origin = dict.fromkeys(serials, SUPPLIER)
        self._apply(
            doc,
            {(("stock", wh), "serial", None): Decimal(len(serials))},
            dict.fromkeys(serials, ("stock", wh)),
        )
        self.docs.append(doc)

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def replayed_receipt_request_changes_nothing(self, data: Any) -> None:
        request_id, payload, number = data.draw(st.sampled_from(self.requests))
        before = snapshot(self.app)
        result = self._create("receipt", payload["wh"], payload["lines"], request_id=request_id)
        assert result.number == number
        assert snapshot(self.app) == before

    # issues and transfers ------------------------------------------------------------
    def _outgoing(
        self,
        kind: str,
        wh: str,
        line: tuple[str, Decimal],
        batch: str | None,
        to: str | None = None,
    ) -> None:
        item_kind, quantity = line
        target: Place = ("transit", to) if to else CUSTOMER
        plan = self._plan_bulk(wh, item_kind, quantity, batch)
        extra = {"to_warehouse": to} if to else {}
        lines = [self._line(item_kind, quantity, batch)]
        if plan is None:
            before = snapshot(self.app)
            with pytest.raises(InsufficientStock) as refused:
                self._create(kind, wh, lines, **extra)
            assert refused.value.code == "stock.insufficient"
            assert [(i.code, i.params["item"]) for i in refused.value.items] == [
                ("stock.line_short", self.items[item_kind])
            ]
            assert refused.value.items[0].params["requested"] == str(normalized(quantity))
            assert snapshot(self.app) == before
            return
        result = self._create(kind, wh, lines, **extra)
        doc = Doc(result.number, kind, result.state, destination=to)
        deltas: dict[Key, Decimal] = defaultdict(Decimal)
        for batch_no, taken in plan.items():
            deltas[(("stock", wh), item_kind, batch_no)] -= taken
            if target[0] == "transit":
                deltas[(target, item_kind, batch_no)] += taken
        self._apply(doc, deltas, {})
        self.docs.append(doc)

    def _batch(self, data: Any, kind: str) -> str | None:
        if kind != "lot" or not self.batches or not data.draw(st.booleans()):
            return None
        return data.draw(st.sampled_from(sorted(self.batches)))

    @rule(wh=warehouses, line=bulk_lines, data=st.data())
    def issue(self, wh: str, line: tuple[str, Decimal], data: Any) -> None:
        self._outgoing("issue", wh, line, self._batch(data, line[0]))

    @rule(wh=st.sampled_from(GUARDED), kind=st.sampled_from(BULK), extra=st.integers(1, 3))
    def issue_more_than_available_is_refused(self, wh: str, kind: str, extra: int) -> None:
        have = sum(
            (q for (place, k, _), q in self.qty.items() if place == ("stock", wh) and k == kind),
            ZERO,
        )
        step = Decimal("0.125") if kind == "wire" else Decimal(1)
        quantity = max(have, ZERO) + extra * step
        assert self._plan_bulk(wh, kind, quantity, None) is None
        self._outgoing("issue", wh, (kind, quantity), None)

    @rule(
        wh=warehouses,
        to=warehouses,
        line=bulk_lines,
        data=st.data(),
    )
    def ship_transfer(self, wh: str, to: str, line: tuple[str, Decimal], data: Any) -> None:
        if wh == to:
            to = WAREHOUSES[(WAREHOUSES.index(wh) + 1) % len(WAREHOUSES)]
        self._outgoing("transfer", wh, line, self._batch(data, line[0]), to=to)

    def _serials_out(self, kind: str, wh: str, serials: list[str], to: str | None) -> None:
        missing = [sn for sn in serials if self.serial_at[sn] != ("stock", wh)]
        line = {"item": self.items["serial"], "quantity": str(len(serials)), "serials": serials}
        extra = {"to_warehouse": to} if to else {}
        if missing:
            before = snapshot(self.app)
            with pytest.raises(Invalid) as refused:
                self._create(kind, wh, [line], **extra)
            # On another warehouse's shelf, it is named where it is; gone out, not in stock.
            expected = {
                sn: "serial.in_other_warehouse"
                if self.serial_at[sn][0] == "stock"
                else "serial.not_in_stock"
                for sn in missing
            }
            assert {i.params["serial"]: i.code for i in refused.value.items} == expected
            assert snapshot(self.app) == before
            return
        result = self._create(kind, wh, [line], **extra)
        target: Place = ("transit", to) if to else CUSTOMER
        doc = Doc(result.number, kind, result.state, destination=to)
        deltas: dict[Key, Decimal] = {(("stock", wh), "serial", None): -Decimal(len(serials))}
        if to:
            deltas[(target, "serial", None)] = Decimal(len(serials))
        self._apply(doc, deltas, dict.fromkeys(serials, target))
        self.docs.append(doc)

    @precondition(lambda self: self.serial_at)
    @rule(wh=warehouses, data=st.data())
    def issue_serials(self, wh: str, data: Any) -> None:
        here = sorted(sn for sn, place in self.serial_at.items() if place == ("stock", wh))
        pool = here if here and data.draw(st.booleans()) else sorted(self.serial_at)
        serials = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
        self._serials_out("issue", wh, serials, None)

    @precondition(lambda self: any(p[0] == "stock" for p in self.serial_at.values()))
    @rule(data=st.data(), to=warehouses)
    def ship_serials(self, data: Any, to: str) -> None:
        serial = data.draw(
            st.sampled_from(sorted(sn for sn, p in self.serial_at.items() if p[0] == "stock"))
        )
        wh = self.serial_at[serial][1]
        if wh == to:
            to = WAREHOUSES[(WAREHOUSES.index(wh) + 1) % len(WAREHOUSES)]
        self._serials_out("transfer", wh, [serial], to)

    @precondition(lambda self: any(d.state == "in_transit" for d in self.docs))
    @rule(data=st.data())
    def receive_transfer(self, data: Any) -> None:
        doc = data.draw(st.sampled_from([d for d in self.docs if d.state == "in_transit"]))
        result = documents.receive(self.app.uow(), "tester", doc.number)
        assert (result.number, result.state) == (doc.number, "posted")
        assert doc.destination is not None
        transit: Place = ("transit", doc.destination)
        deltas: dict[Key, Decimal] = defaultdict(Decimal)
        for (place, kind, batch), quantity in list(doc.deltas.items()):
            if place == transit and quantity:
                deltas[(transit, kind, batch)] -= quantity
                deltas[(("stock", doc.destination), kind, batch)] += quantity
        moved = {
            sn: ("stock", doc.destination) for sn, p in doc.serial_final.items() if p == transit
        }
        self._apply(doc, deltas, moved)
        doc.state = "posted"

    @precondition(lambda self: any(d.state != "in_transit" for d in self.docs))
    @rule(data=st.data())
    def receiving_what_is_not_in_transit_is_refused(self, data: Any) -> None:
        doc = data.draw(st.sampled_from([d for d in self.docs if d.state != "in_transit"]))
        before = snapshot(self.app)
        with pytest.raises((Conflict, Invalid)) as refused:
            documents.receive(self.app.uow(), "tester", doc.number)
        # a transfer receives, but not now; no other document's workflow has the step
        assert refused.value.code == (
            "workflow.transition_not_allowed" if doc.kind == "transfer" else "workflow.unknown_step"
        )
        assert refused.value.params["action"] == "receive"
        assert snapshot(self.app) == before

    # drafts ----------------------------------------------------------------------------
    @rule(wh=warehouses, line=bulk_lines, data=st.data())
    def create_draft_issue(self, wh: str, line: tuple[str, Decimal], data: Any) -> None:
        kind, quantity = line
        batch = self._batch(data, kind)
        before = snapshot(self.app)
        result = self._create("issue", wh, [self._line(kind, quantity, batch)], post=False)
        assert (result.state, result.entries) == ("draft", 0)
        after = snapshot(self.app)
        assert (after["on_hand"], after["value"]) == (before["on_hand"], before["value"])
        assert after["counts"]["stock_ledger_entry"] == before["counts"]["stock_ledger_entry"]
        draft = {"wh": wh, "line": line, "batch": batch}
        self.docs.append(Doc(result.number, "issue", "draft", draft=draft))

    @precondition(lambda self: self.docs)
    @rule(data=st.data())
    def post_a_document(self, data: Any) -> None:
        doc = data.draw(st.sampled_from(self.docs))
        if doc.state == "in_transit":
            return  # receiving through post is covered by receive_transfer
        if doc.state == "draft":
            assert doc.draft is not None
            kind, quantity = doc.draft["line"]
            wh, batch = doc.draft["wh"], doc.draft["batch"]
            plan = self._plan_bulk(wh, kind, quantity, batch)
            if plan is None:
                before = snapshot(self.app)
                with pytest.raises(InsufficientStock):
                    documents.post(self.app.uow(), "tester", doc.number)
                assert snapshot(self.app) == before
                return
            result = documents.post(self.app.uow(), "tester", doc.number)
            assert (result.number, result.state) == (doc.number, "posted")
            deltas = {(("stock", wh), kind, b): -q for b, q in plan.items()}
            self._apply(doc, deltas, {})
            doc.state = "posted"
            return
        before = snapshot(self.app)
        with pytest.raises(Conflict) as refused:
            documents.post(self.app.uow(), "tester", doc.number)
        assert (refused.value.code, refused.value.params["state"]) == (
            "workflow.transition_not_allowed",
            doc.state,
        )
        assert snapshot(self.app) == before

    # reversals -------------------------------------------------------------------------
    @precondition(lambda self: self.docs)
    @rule(data=st.data())
    def reverse_a_document(self, data: Any) -> None:
        doc = data.draw(st.sampled_from(self.docs))
        expected_code = {
            "reversal": "document.reversal_not_reversible",
        }.get(doc.kind) or {
            "reversed": "document.already_reversed",
            "draft": "document.not_posted",
        }.get(doc.state)
        undo = {key: -delta for key, delta in doc.deltas.items() if delta}
        if expected_code is None:
            short = [
                key
                for key, delta in undo.items()
                if delta < 0 and _guarded(key[0]) and self.qty[key] + delta < 0
            ]
            moved = [sn for sn, p in doc.serial_final.items() if self.serial_at[sn] != p]
            if short or moved:
                expected_code = "stock.insufficient"
        if expected_code is not None:
            before = snapshot(self.app)
            with pytest.raises(Conflict) as refused:
                documents.reverse(self.app.uow(), "tester", doc.number, post=True)
            assert refused.value.code == expected_code
            assert snapshot(self.app) == before
            return
        result = documents.reverse(self.app.uow(), "tester", doc.number, post=True)
        assert result.state == "posted"
        reversal = Doc(result.number, "reversal", "posted")
        self._apply(reversal, undo, doc.serial_origin)
        reversal.supplier_value = -doc.supplier_value
        self.supplier_in -= doc.supplier_value
        doc.state = "reversed"
        self.docs.append(reversal)

    # invariants ------------------------------------------------------------------------
    @invariant()
    def database_agrees_with_itself_and_with_the_model(self) -> None:
        with self.app.reader() as connection:
            report = consistency.check(connection)
            assert report.ok, report.problems
            chain = audit.chain_report(connection)
            assert chain.ok, chain
            self._check_quantities(connection)
            self._check_serials(connection)
            self._check_value(connection)

    def _check_quantities(self, connection: Any) -> None:
        item = aliased(s.Item)
        batch = aliased(s.Batch)
        rows = connection.execute(
            select(
                item.code,
                s.StockBalance.location_id,
                batch.batch_no,
                s.StockBalance.on_hand,
                s.StockBalance.reserved,
            )
            .join(item, item.id == s.StockBalance.item_id)
            .outerjoin(batch, batch.id == s.StockBalance.batch_id)
            .where(item.code.in_(list(self.items.values())))
        )
        actual: dict[Key, Decimal] = defaultdict(Decimal)
        for r in rows:
            place = self.place_of[r.location_id]
            if _guarded(place):
                assert r.on_hand - r.reserved >= 0, f"negative available: {place} {r}"
            if r.on_hand:
                actual[(place, self.kind_of[r.code], r.batch_no)] += r.on_hand
        expected = {key: q for key, q in self.qty.items() if q}
        assert dict(actual) == expected
        for name, code in self.wh.items():
            for kind, item_code in self.items.items():
                level = stock_levels.on_hand(connection, item_code, code)
                model = sum(
                    (q for (p, k, _), q in self.qty.items() if p == ("stock", name) and k == kind),
                    ZERO,
                )
                assert level.on_hand == model, (name, kind, level, model)

    def _check_serials(self, connection: Any) -> None:
        rows = connection.execute(
            select(s.SerialNumber.serial_no, s.SerialNumber.location_id)
            .join(s.Item, s.Item.id == s.SerialNumber.item_id)
            .where(s.Item.code == self.items["serial"])
        )
        assert {r.serial_no: self.place_of[r.location_id] for r in rows} == self.serial_at

    def _check_value(self, connection: Any) -> None:
        entry = s.StockLedgerEntry
        source, target = aliased(s.Location), aliased(s.Location)
        ids = select(s.Item.id).where(s.Item.code.in_(list(self.items.values())))
        owned = ("internal", "transit")
        rows = connection.execute(
            select(source.kind, source.code, target.kind, target.code, entry.value)
            .join(source, source.id == entry.from_location_id)
            .join(target, target.id == entry.to_location_id)
            .where(entry.item_id.in_(ids.scalar_subquery()))
        ).all()
        into_owned = sum((r.value for r in rows if r[2] in owned), ZERO)
        out_of_owned = sum((r.value for r in rows if r[0] in owned), ZERO)
        pools = connection.execute(
            select(func.coalesce(func.sum(s.StockCost.value), 0)).where(
                s.StockCost.item_id.in_(ids.scalar_subquery())
            )
        ).scalar_one()
        assert Decimal(pools) == into_owned - out_of_owned
        from_supplier = sum((r.value for r in rows if r[1] == "SUPPLIER"), ZERO) - sum(
            (r.value for r in rows if r[3] == "SUPPLIER"), ZERO
        )
        assert from_supplier == self.supplier_in


def test_random_receipts_issues_transfers_and_reversals_keep_every_ledger_invariant(
    database_url: str,
) -> None:
    app = build(Settings(database_url=database_url, user="tester"))
    try:
        run_state_machine_as_test(lambda: LedgerMachine(app), settings=MACHINE_SETTINGS)
    finally:
        app.dispose()
