"""The demo company: the article's manufacturer, built through the same services.

Five warehouses, a few hundred items with Chinese names (some batch-tracked with shelf
lives, some serial-tracked), and months of receipts, issues, transfers and reversals,
each posted on its business date. Nothing is inserted behind the services' back, so
the demo passes `jxc check` like any real company's data must.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from jxc.db.uow import UnitOfWork
from jxc.domain.barcodes import ean13
from jxc.domain.errors import Conflict, DomainError
from jxc.domain.periods import company_day, company_time
from jxc.queries.orders import pick_list
from jxc.queries.stock_levels import serials_in_stock, stock_rows
from jxc.services import (
    auth,
    catalog,
    deliveries,
    documents,
    partners,
    replenishment,
    stocktakes,
)

MAIN_WAREHOUSE = "SH01"
WAREHOUSES = [
    ("SH01", "上海总仓", ["A-01", "A-02", "B-01", "B-02", "C-01"]),
    ("SZ01", "苏州工厂原料仓", ["R-01", "R-02", "R-03"]),
    ("SZ02", "苏州工厂成品仓", ["F-01", "F-02"]),
    ("BJ01", "北京分仓", ["A-01", "A-02"]),
    ("GZ01", "广州分仓", ["A-01", "A-02"]),
]
# Suppliers, customers, a store and two online shops (a channel sells from its warehouses).
PARTNERS: list[dict[str, Any]] = [
    {
        "code": "SUP-YDK",
        "name": "亚德客（中国）有限公司",
        "kind": "supplier",
        "contact": "陈经理",
        "phone": "0574-8800 1234",
        "default_warehouse": "SH01",
    },
    {
        "code": "SUP-SKF",
        "name": "斯凯孚（上海）轴承有限公司",
        "kind": "supplier",
        "contact": "王工",
        "phone": "021-5080 2000",
        "default_warehouse": "SH01",
    },
    {
        "code": "SUP-DLX",
        "name": "德力西电气有限公司",
        "kind": "supplier",
        "contact": "李女士",
        "phone": "0577-6278 0000",
        "default_warehouse": "SZ01",
    },
    {
        "code": "CUS-JG",
        "name": "苏州精工机械有限公司",
        "kind": "customer",
        "contact": "周总",
        "phone": "0512-6666 1888",
        "default_warehouse": "SZ02",
    },
    {
        "code": "CUS-HC",
        "name": "北京华创自动化设备有限公司",
        "kind": "customer",
        "contact": "赵经理",
        "phone": "010-8288 7000",
        "default_warehouse": "BJ01",
    },
    {
        "code": "STORE-SH",
        "name": "上海门店",
        "kind": "channel",
        "channel_kind": "store",
        "warehouses": ["SH01"],
    },
    {
        "code": "TMALL",
        "name": "天猫旗舰店",
        "kind": "channel",
        "channel_kind": "online",
        "platform": "天猫",
        "warehouses": ["SH01", "GZ01"],
        "safety_buffer": "2",
    },
    {
        "code": "JD",
        "name": "京东店",
        "kind": "channel",
        "channel_kind": "online",
        "platform": "京东",
        "warehouses": ["SH01", "BJ01"],
        "safety_buffer": "1",
    },
]
# The demo's people, one per role (README lists them): user name, name, role, warehouse.
DEMO_USERS = [
    ("admin", "管理员", "admin", None),
    ("purchaser", "采购员 周敏", "purchaser", None),
    ("sales", "销售员 孙丽", "sales", None),
    ("clerk.sh01", "仓管员 张三", "warehouse_clerk", "SH01"),
    ("clerk.bj01", "仓管员 李四", "warehouse_clerk", "BJ01"),
    ("manager", "仓库主管 王五", "warehouse_manager", None),
    ("finance", "财务 赵六", "finance", None),
    ("auditor", "审计 钱七", "auditor", None),
]


def demo_password(username: str) -> str:
    return f"jxc-{username}"


_PARTS = [  # (code stem, name, category, unit, boxes of, unit cost, specifications)
    (
        "LS",
        "螺丝",
        "紧固件",
        "个",
        100,
        "0.08",
        ["M3×8", "M3×12", "M4×10", "M4×16", "M5×12", "M5×20", "M6×16", "M6×25", "M8×20", "M8×30"],
    ),
    ("LM", "螺母", "紧固件", "个", 200, "0.05", ["M3", "M4", "M5", "M6", "M8", "M10"]),
    ("DP", "垫片", "紧固件", "个", 500, "0.02", ["Φ3", "Φ4", "Φ5", "Φ6", "Φ8", "Φ10"]),
    (
        "ZC",
        "深沟球轴承",
        "轴承",
        "个",
        50,
        "6.5",
        ["6200", "6201", "6202", "6203", "6204", "6205", "6300", "6301"],
    ),
    ("GB", "冷轧钢板", "原材料", "kg", 0, "5.8", ["1.0mm", "1.5mm", "2.0mm", "3.0mm"]),
    ("LB", "铝型材", "原材料", "m", 0, "22", ["2020", "3030", "4040", "4080"]),
    ("DX", "电线", "电气", "m", 0, "1.2", ["RV 0.5", "RV 0.75", "RV 1.0", "RVV 2×1.0"]),
    ("JC", "交流接触器", "电气", "个", 10, "48", ["CJX2-09", "CJX2-12", "CJX2-18", "CJX2-25"]),
    ("ZX", "包装纸箱", "包材", "个", 20, "3.2", ["小号", "中号", "大号", "特大号"]),
    ("PM", "珍珠棉", "包材", "卷", 0, "35", ["1m×10mm", "1m×20mm"]),
    (
        "OX",
        "O型密封圈",
        "密封件",
        "个",
        100,
        "0.3",
        ["10×1.9", "12×1.9", "16×2.4", "20×2.4", "25×3.1", "30×3.1", "40×3.5", "50×3.5"],
    ),
    (
        "QG",
        "标准气缸",
        "气动元件",
        "个",
        0,
        "180",
        ["SC32×50", "SC32×100", "SC40×50", "SC40×100", "SC50×100", "SC63×150"],
    ),
]
# Grades that multiply a family into the SKUs a manufacturer really stocks.
_GRADES = {
    "紧固件": ["镀锌", "304不锈钢", "发黑", "达克罗"],
    "轴承": ["国产", "NSK", "SKF"],
    "原材料": ["宝钢", "鞍钢"],
    "电气": ["正泰", "德力西", "施耐德"],
    "包材": ["三层", "五层"],
    "密封件": ["丁腈", "氟橡胶", "硅胶"],
    "气动元件": ["亚德客", "SMC"],
}
_BATCHED = [  # (code stem, name, category, unit, unit cost, shelf life days, specifications)
    ("RH", "润滑油", "化工辅料", "桶", "85", 720, ["L-HM46", "L-HM68", "L-CKC220"]),
    ("JS", "环氧胶水", "化工辅料", "瓶", "18", 365, ["AB胶 50ml", "AB胶 250ml"]),
    ("QQ", "防锈漆", "化工辅料", "桶", "120", 540, ["灰色 5kg", "红丹 5kg", "银粉 5kg"]),
]
_SERIALIZED = [  # (code stem, name, category, unit cost, specifications)
    ("DJ", "三相异步电机", "成品", "1250", ["0.75kW", "1.5kW", "2.2kW", "4kW"]),
    ("SB", "离心水泵", "成品", "2300", ["50-32", "65-50", "80-65"]),
    ("KZ", "变频控制器", "成品", "1680", ["VFD-1.5", "VFD-2.2", "VFD-4.0"]),
]


@dataclass(frozen=True)
class DemoSummary:
    warehouses: int
    partners: int
    items: int
    documents: int
    entries: int


class _Demo:
    def __init__(self, uow: UnitOfWork, days: int, seed: int) -> None:
        self.uow, self.random = uow, random.Random(seed)
        self.actor = "admin"  # sets up the catalogue
        self.start = uow.today() - timedelta(days=days)
        self.days = days
        self.documents = self.entries = 0
        self.items: list[tuple[str, str, str]] = []  # (code, tracking, unit cost)
        self.serial_counter = 0
        self.partner_turns = 0
        # transfers in transit: (number, (shipper, receiver), when shipped)
        self.shipped: list[tuple[str, tuple[str, str], datetime]] = []
        self.moment = datetime.now(UTC)  # the demo's clock: each step a little later
        self.last_step = self.moment  # when the last document's last step was taken

    def at(self, day: date) -> None:
        self.moment = company_time(day, time(9), self.uow.zone) + timedelta(
            minutes=self.random.randrange(0, 540)
        )
        self.uow.clock = lambda: self.moment

    def create(self, data: dict[str, Any]) -> documents.DocumentResult | None:
        """A document taken through the five-step SOP by the people each step belongs to.

        Documents of the last days stop part way, so the flow has live counts and late steps.
        """
        keeper = _keeper(data["warehouse"])
        try:
            result = documents.create(self.uow, keeper, data)
        except DomainError:
            return None
        self.documents += 1
        started = self.moment
        recent = company_day(self.moment, self.uow.zone) >= self.start + timedelta(
            days=self.days - 3
        )
        stop = self.random.choice(["approve", "execute", "verify", "archive", ""]) if recent else ""
        approver = "admin" if keeper == "manager" else "manager"
        steps = [("submit", keeper, 5, 60), ("approve", approver, 20, 240)]
        if data["document_type"] == "issue":
            steps.append(("approve", "finance", 30, 300))  # 二级审核, only where the value asks
        steps.append(("execute", keeper, 10, 180))
        if data["document_type"] != "transfer":
            steps += _closing_steps(keeper)
        done = self.walk(result.number, steps, stop)
        self.last_step = self.moment
        self.moment = started + timedelta(minutes=self.random.randint(1, 20))
        return result if done else None

    def next_partner(self, *kinds: str, warehouse: str | None = None) -> str:
        """The partners of ``kinds`` in turn, a channel only where it sells from ``warehouse``.

        No random draw: the rest of the demo stays as it was.
        """
        codes = [
            p["code"]
            for p in PARTNERS
            if p["kind"] in kinds
            and (warehouse is None or warehouse in p.get("warehouses", [warehouse]))
        ]
        self.partner_turns += 1
        return str(codes[self.partner_turns % len(codes)])

    def walk(self, number: str, steps: list[tuple[str, str, int, int]], stop: str = "") -> bool:
        """Take ``steps`` (action, who, minutes later at least, at most) until ``stop``.

        A step refused for want of stock is sent back (驳回), as a manager would.
        """
        for action, actor, soonest, latest in steps:
            if action == stop:
                return False
            self.moment += timedelta(minutes=self.random.randint(soonest, latest))
            try:
                result = documents.act(self.uow, actor, number, action)
            except DomainError as refused:
                if refused.code == "workflow.transition_not_allowed":
                    continue  # no second approval needed below the threshold
                if action == "execute":
                    documents.act(self.uow, "manager", number, "reject", "库存不足，驳回")
                return False
            self.entries += result.entries
        return True

    def catalogue(self) -> None:
        for code, name, locations in WAREHOUSES:
            catalog.add_warehouse(self.uow, self.actor, {"code": code, "name": name})
            for location in locations:
                catalog.add_location(
                    self.uow,
                    self.actor,
                    {"warehouse": code, "code": location, "name": f"{name} {location} 区"},
                )
        for partner in PARTNERS:
            partners.add(self.uow, self.actor, partner)
        for stem, name, category, unit, box, cost, specs in _PARTS:
            variants = [
                (f"{grade} {spec}", grade_index)
                for spec in specs
                for grade_index, grade in enumerate(_GRADES.get(category, [""]))
            ]
            for index, (spec, grade_index) in enumerate(variants, start=1):
                code = f"{stem}-{index:03d}"
                units = {"箱": str(box)} if box else {}
                # 69: GS1 China; drawn as before, so the rest of the company stays the same.
                barcode = ean13(f"69{self.random.randrange(10**10, 10**11) // 10}")
                price = Decimal(cost) * (1 + Decimal(grade_index) / 2)
                catalog.add_item(
                    self.uow,
                    self.actor,
                    {
                        "code": code,
                        "name": f"{name} {spec}".strip(),
                        "base_unit": unit,
                        "category": category,
                        "specification": spec.strip(),
                        "units": units,
                        "barcodes": {barcode: unit},
                    },
                )
                self.items.append((code, "none", str(price)))
        for stem, name, category, unit, cost, shelf_life, specs in _BATCHED:
            for index, spec in enumerate(specs, start=1):
                code = f"{stem}-{index:03d}"
                catalog.add_item(
                    self.uow,
                    self.actor,
                    {
                        "code": code,
                        "name": f"{name} {spec}",
                        "base_unit": unit,
                        "category": category,
                        "specification": spec,
                        "tracking": "batch",
                        "shelf_life_days": shelf_life,
                    },
                )
                self.items.append((code, "batch", cost))
        for stem, name, category, cost, specs in _SERIALIZED:
            for index, spec in enumerate(specs, start=1):
                code = f"{stem}-{index:03d}"
                catalog.add_item(
                    self.uow,
                    self.actor,
                    {
                        "code": code,
                        "name": f"{name} {spec}",
                        "base_unit": "台",
                        "category": category,
                        "specification": spec,
                        "tracking": "serial",
                    },
                )
                self.items.append((code, "serial", cost))

    def receipt_line(self, code: str, tracking: str, cost: str, day: date) -> dict[str, Any]:
        if tracking == "serial":
            count = self.random.randint(1, 4)
            serials = []
            for _ in range(count):
                self.serial_counter += 1
                serials.append(f"SN{day:%y%m}{self.serial_counter:05d}")
            return {"item": code, "quantity": str(count), "serials": serials, "unit_cost": cost}
        line = {
            "item": code,
            "quantity": str(self.random.choice([20, 50, 100, 200, 500])),
            "unit_cost": cost,
        }
        if tracking == "batch":
            produced = day - timedelta(days=self.random.randint(5, 60))
            line.update(
                quantity=str(self.random.randint(5, 40)),
                batch=f"{produced:%Y%m%d}",
                production_date=produced.isoformat(),
            )
        return line

    def day(self, day: date) -> None:
        self.at(day)
        for warehouse, _, _ in WAREHOUSES:
            if self.random.random() < 0.35:
                picked = self.random.sample(self.items, self.random.randint(2, 8))
                self.create(
                    {
                        "document_type": "receipt",
                        "warehouse": warehouse,
                        "partner": self.next_partner("supplier"),
                        "business_date": day.isoformat(),
                        "note": "采购到货",
                        "lines": [self.receipt_line(c, t, p, day) for c, t, p in picked],
                    }
                )
        for warehouse, _, _ in WAREHOUSES:
            for _ in range(self.random.randint(0, 3)):
                self.issue(warehouse, day)
            if self.random.random() < 0.3:
                self.sell_serial(warehouse, day)
        if self.random.random() < 0.4:
            self.transfer(day)
        if self.shipped and self.random.random() < 0.6:
            number, (shipper, receiver), shipped_at = self.shipped.pop(0)
            resume, self.moment = self.moment, max(self.moment, shipped_at)  # not before
            steps = [("receive", receiver, 60, 600), *_closing_steps(shipper, receiver)]
            self.walk(number, steps)
            self.moment = resume
        if self.random.random() < 0.05:
            self.reverse_recent()

    def stocktake(self, day: date, warehouse: str, finish: bool) -> None:
        """A month's count (月度盘点) of one warehouse.

        A few lines are off by a unit or three; a second person recounts those over 2 %,
        and the count is approved into 盘盈 / 盘亏 when ``finish``.
        """
        self.moment = company_time(day, time(17), self.uow.zone)
        keeper = _keeper(warehouse)
        number = stocktakes.plan(
            self.uow,
            "manager",
            {"warehouse": warehouse, "tolerance_percent": "2", "note": "月度盘点"},
        ).number
        stocktakes.start(self.uow, "manager", number)
        view = stocktakes.view(self.uow, "manager", number)
        serial = {code for code, kind, _ in self.items if kind == "serial"}
        counts = []
        for row in view.lines:
            book = row.line.book_quantity or Decimal(0)
            off = 0
            if row.item not in serial and book >= 3 and self.random.random() < 0.12:
                off = self.random.choice([-3, -2, -1, -1, 1, 2])
            counts.append(
                {
                    "item": row.item,
                    "location": row.location,
                    "batch": row.batch,
                    "quantity": str(book + off),
                    **self.serials_on_shelf(warehouse, row.item, row.location, serial),
                }
            )
        if counts:
            stocktakes.count(self.uow, keeper, number, {"lines": counts})
        if not finish:
            return
        self.moment += timedelta(minutes=40)
        stocktakes.hand_in(self.uow, keeper, number)
        recounts = [
            {
                "item": row.item,
                "location": row.location,
                "batch": row.batch,
                "quantity": str(
                    row.line.counted if self.random.random() < 0.8 else row.line.book_at_count
                ),
                **self.serials_on_shelf(warehouse, row.item, row.location, serial),
            }
            for row in stocktakes.view(self.uow, "manager", number).lines
            if row.line.needs_recount
        ]
        if recounts:
            self.moment += timedelta(minutes=30)
            stocktakes.count(self.uow, "admin", number, {"lines": recounts})
        self.moment += timedelta(minutes=20)
        result = stocktakes.approve(self.uow, "manager", number)
        self.documents += bool(result.gain) + bool(result.loss)
        self.entries += result.entries

    def serials_on_shelf(
        self, warehouse: str, item: str, location: str, serial_items: set[str]
    ) -> dict[str, list[str]]:
        """A serial-tracked item is counted by the serials found: those the books hold there."""
        if item not in serial_items:
            return {}
        with self.uow:
            found = serials_in_stock(self.uow.connection, item, warehouse)
        return {"serials": [unit.serial for unit in found if unit.location == location]}

    def levels(self) -> None:
        """安全库存 / 再订货点 / 最高库存 for a few items, so the demo has 库存预警 and 补货建议.

        SH01 runs low on some (one of which BJ01 can spare), BJ01 on another.
        """
        totals: dict[tuple[str, str], Decimal] = {}
        for warehouse in ("SH01", "BJ01"):
            for item, _, available in self.stocked(warehouse):
                key = (warehouse, item)
                totals[key] = totals.get(key, Decimal(0)) + available
        sh = sorted(item for warehouse, item in totals if warehouse == "SH01")
        shared = [item for item in sh if ("BJ01", item) in totals][:2]
        chosen = shared + [item for item in sh if item not in shared][:3]
        for index, item in enumerate(chosen):
            on_hand = totals[("SH01", item)].to_integral_value()
            safety = on_hand + 1 if index % 2 else on_hand // 2  # below safety / at reorder
            self._levels(item, "SH01", safety, max(on_hand, safety), on_hand * 3 + 10)
        for item in shared[:1]:  # BJ01 keeps its reorder point low: it has surplus to give
            self._levels(item, "BJ01", Decimal(0), Decimal(1), totals[("BJ01", item)] + 5)
        for item in shared[1:]:  # and runs low itself on the other one
            stock = totals[("BJ01", item)].to_integral_value()
            self._levels(item, "BJ01", stock, stock + 5, stock + 20)

    def _levels(
        self, item: str, warehouse: str, safety: Decimal, reorder: Decimal, maximum: Decimal
    ) -> None:
        replenishment.set_levels(
            self.uow,
            "manager",
            {
                "item": item,
                "warehouse": warehouse,
                "safety_stock": safety,
                "reorder_point": reorder,
                "max_quantity": maximum,
            },
        )

    def stocked(self, warehouse: str) -> list[tuple[str, str, Decimal]]:
        with self.uow:
            rows = stock_rows(self.uow.connection, warehouse)
        return [(r.item, r.batch or "", r.available) for r in rows if r.available > 0]

    def issue(self, warehouse: str, day: date) -> None:
        stocked = [
            row for row in self.stocked(warehouse) if not row[0].startswith(("DJ", "SB", "KZ"))
        ]
        if not stocked:
            return
        lines = []
        for item, _, available in self.random.sample(stocked, min(len(stocked), 3)):
            quantity = max(
                Decimal(1),
                (available * Decimal(self.random.choice(["0.1", "0.2", "0.3"]))).quantize(
                    Decimal(1)
                ),
            )
            lines.append({"item": item, "quantity": str(quantity)})
        self.create(
            {
                "document_type": "issue",
                "warehouse": warehouse,
                "note": "生产领料/销售出库",
                "business_date": day.isoformat(),
                "lines": lines,
            }
        )

    def sell_serial(self, warehouse: str, day: date) -> None:
        """One serial-tracked unit (a motor, a pump) sold by its serial number."""
        item = self.random.choice([code for code, kind, _ in self.items if kind == "serial"])
        with self.uow:
            found = serials_in_stock(self.uow.connection, item, warehouse)
        if found:
            serial = self.random.choice(found).serial
            self.create(
                {
                    "document_type": "issue",
                    "warehouse": warehouse,
                    "partner": self.next_partner("customer", "channel", warehouse=warehouse),
                    "note": "销售出库",
                    "business_date": day.isoformat(),
                    "lines": [{"item": item, "quantity": "1", "serials": [serial]}],
                }
            )

    def transfer(self, day: date) -> None:
        source, target = self.random.sample([w for w, _, _ in WAREHOUSES], 2)
        stocked = [row for row in self.stocked(source) if not row[0].startswith(("DJ", "SB", "KZ"))]
        if not stocked:
            return
        item, _, available = self.random.choice(stocked)
        quantity = max(Decimal(1), (available / 4).quantize(Decimal(1)))
        result = self.create(
            {
                "document_type": "transfer",
                "warehouse": source,
                "to_warehouse": target,
                "business_date": day.isoformat(),
                "note": "补货调拨",
                "lines": [{"item": item, "quantity": str(quantity)}],
            }
        )
        if result is not None:
            self.shipped.append((result.number, (_keeper(source), _keeper(target)), self.last_step))

    def reverse_recent(self) -> None:
        from jxc.queries.documents import documents as recent

        with self.uow:
            candidates = [
                d.number for d in recent(self.uow.connection, "issue", "archived", limit=5)
            ]
        if candidates:
            try:
                result = documents.reverse(
                    self.uow, "finance", candidates[0], note="录入错误，红冲"
                )
            except DomainError:
                return
            self.documents += 1
            steps = [
                ("submit", "finance", 5, 30),
                ("approve", "admin", 30, 240),
                ("execute", "finance", 10, 60),
                ("verify", "manager", 30, 240),
                ("archive", "admin", 60, 480),
            ]
            self.walk(result.number, steps)

    def sales_orders(self, day: date) -> None:
        """Orders from the store, the shops and the customers of SH01, at every stage.

        Delivered in full, in part (the rest still reserved, 部分出库), approved and
        waiting, and waiting for approval: the order page and the flow have each.
        """
        self.at(day)
        available: dict[str, Decimal] = {}
        for item, _, quantity in self.stocked("SH01"):
            if not item.startswith(("DJ", "SB", "KZ")):
                available[item] = available.get(item, Decimal(0)) + quantity
        # The dearest goods first: what a shop's orders are worth reading.
        stocked = sorted(available.items(), key=lambda row: (-self._cost(row[0]), row[0]))[:24]
        buyers = ["STORE-SH", "TMALL", "JD", "CUS-HC", "TMALL", "JD", "STORE-SH", "TMALL"]
        delivered = ["all", "all", "all", "part", "part", "none", "none", "unapproved"]
        for turn, (buyer, stage) in enumerate(zip(buyers, delivered, strict=True)):
            self.moment = company_time(day, time(8 + turn), self.uow.zone)
            picked = stocked[turn * 3 : turn * 3 + 3]
            lines = [
                {
                    "item": item,
                    "quantity": str(max(Decimal(1), (available / 10).quantize(Decimal(1)))),
                    "unit_price": str(self._price(item)),
                    "tax_rate": "13",
                }
                for item, available in picked
            ]
            if not lines:
                return
            order = documents.create(
                self.uow,
                "sales",
                {
                    "document_type": "sales_order",
                    "warehouse": "SH01",
                    "partner": buyer,
                    "business_date": day.isoformat(),
                    "note": "渠道订单" if buyer in ("TMALL", "JD") else "客户订单",
                    "lines": lines,
                },
            )
            self.documents += 1
            steps = [("submit", "sales", 5, 30), ("approve", "finance", 10, 60)]
            if not self.walk(order.number, steps, "approve" if stage == "unapproved" else ""):
                continue
            if stage in ("all", "part"):
                self.deliver(order.number, lines if stage == "all" else lines[:1])

    def purchase_orders(self, day: date) -> None:
        """Replenishment for SH01 from two suppliers: one half received, one on its way."""
        plain = sorted(code for code, kind, _ in self.items if kind == "none")
        for turn, (supplier, received) in enumerate((("SUP-YDK", True), ("SUP-SKF", False))):
            self.moment = company_time(day, time(15 + turn), self.uow.zone)
            picked = plain[turn * 2 : turn * 2 + 2]
            lines = [
                {
                    "item": item,
                    "quantity": "40",
                    "unit_price": str(self._cost(item) * Decimal("1.13")),
                }
                for item in picked
            ]
            order = documents.create(
                self.uow,
                "purchaser",
                {
                    "document_type": "purchase_order",
                    "warehouse": "SH01",
                    "partner": supplier,
                    "business_date": day.isoformat(),
                    "note": "补货采购",
                    "lines": [{**line, "tax_rate": "13"} for line in lines],
                },
            )
            self.documents += 1
            steps = [("submit", "purchaser", 5, 30), ("approve", "finance", 10, 60)]
            if not self.walk(order.number, steps) or not received:
                continue
            receipt = documents.create(
                self.uow,
                "clerk.sh01",
                {
                    "document_type": "receipt",
                    "warehouse": "SH01",
                    "source": order.number,
                    "business_date": day.isoformat(),
                    "lines": [{"item": picked[0], "quantity": "20"}],
                },
            )
            self.documents += 1
            steps = [("submit", "clerk.sh01", 5, 30), ("approve", "manager", 10, 60)]
            self.walk(receipt.number, [*steps, ("execute", "clerk.sh01", 10, 60)])

    def deliver(self, order: str, lines: list[dict[str, Any]]) -> None:
        """拣货 → 复核 → 发运 of an order's ``lines`` by scanning, by the clerk and another."""
        self.moment += timedelta(minutes=self.random.randint(30, 120))
        delivery = documents.create(
            self.uow,
            "clerk.sh01",
            {
                "document_type": "sales_delivery",
                "warehouse": "SH01",
                "source": order,
                "lines": [
                    {"item": line["item"], "quantity": line["quantity"], "source_line": number}
                    for number, line in enumerate(lines, start=1)
                ],
            },
        )
        self.documents += 1
        with self.uow:
            picks = pick_list(self.uow.connection, delivery.number)
        scanned = {
            "scans": [
                {"item": row.item, "batch": row.batch, "quantity": str(row.quantity)}
                for row in picks
            ]
        }
        self.moment += timedelta(minutes=self.random.randint(10, 60))
        deliveries.pick(self.uow, "clerk.sh01", delivery.number, scanned)
        self.moment += timedelta(minutes=self.random.randint(5, 30))
        deliveries.check(self.uow, "manager", delivery.number, scanned)
        self.walk(delivery.number, [("ship", "clerk.sh01", 5, 30)])

    def _cost(self, item: str) -> Decimal:
        return next(Decimal(unit_cost) for code, _, unit_cost in self.items if code == item)

    def _price(self, item: str) -> Decimal:
        """A selling price: the item's cost with a margin, as a shop would round it."""
        return (self._cost(item) * Decimal("1.45")).quantize(Decimal("0.01"))


def _closing_steps(*movers: str) -> list[tuple[str, str, int, int]]:
    """核对 by someone who did not move the goods, then 归档 by finance.

    ``movers``: who executed, and for a transfer who received it too.
    """
    verifier = next(person for person in ("manager", "admin") if person not in movers)
    return [("verify", verifier, 30, 360), ("archive", "finance", 60, 480)]


def _keeper(warehouse: str) -> str:
    """Who moves stock in a warehouse: its own clerk, or else the warehouse manager."""
    clerks = {scope: name for name, _, role, scope in DEMO_USERS if role == "warehouse_clerk"}
    return clerks.get(warehouse, "manager")


def load(uow: UnitOfWork, days: int = 90, seed: int = 2026) -> DemoSummary | None:
    """Load the demo company into an initialised, empty database.

    Returns None when the demo company is already there (running it again is harmless).

    Raises:
        Conflict: demo.database_not_empty (the database holds another company's data).
    """
    with uow:
        found = uow.catalog.warehouses_by_code([code for code, _, _ in WAREHOUSES])
        others = uow.catalog.has_warehouses_besides(list(found))
        users = uow.users.count()
    if len(found) == len(WAREHOUSES) and not others:
        return None
    # Users too: the demo's people have published passwords, so they go only where no
    # one has an account yet.
    if found or others or users:
        raise Conflict("demo.database_not_empty", {})
    demo = _Demo(uow, days, seed)
    demo.at(demo.start)

    def people(everywhere: bool) -> list[dict[str, Any]]:
        return [
            {
                "username": name,
                "display_name": display,
                "password": demo_password(name),
                "grants": [{"role": role, "warehouse": scope}],
            }
            for name, display, role, scope in DEMO_USERS
            if (scope is None) is everywhere
        ]

    # Those of every warehouse first (the admin builds the catalogue), then the others.
    auth.add_setup_users(uow, people(everywhere=True))
    demo.catalogue()
    auth.add_setup_users(uow, people(everywhere=False))
    counted = {days - 61: ("SH01", True), days - 31: ("SH01", True), days - 1: ("BJ01", False)}
    for offset in range(days):  # up to yesterday: today's document numbers are the user's
        demo.day(demo.start + timedelta(days=offset))
        if offset in counted:
            demo.stocktake(demo.start + timedelta(days=offset), *counted[offset])
    demo.sales_orders(demo.start + timedelta(days=days - 1))
    demo.purchase_orders(demo.start + timedelta(days=days - 1))
    demo.levels()
    return DemoSummary(
        len(WAREHOUSES), len(PARTNERS), len(demo.items), demo.documents, demo.entries
    )
