"""`jxc check` on books edited behind the application's back: each problem named once,
by the place and batch a person knows, in figures a person reads."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from jxc.db import schema as s
from jxc.i18n.messages import translate
from jxc.queries import consistency
from tests.builders import a_warehouse, an_item, receive


def problems(app):
    with app.reader() as connection:
        return consistency.check(connection).problems


def test_a_balance_edited_is_named_by_its_place_and_batch_and_its_pool_is_left_alone(app):
    a_warehouse(app, "WH1")
    an_item(app, "胶水", tracking="batch", shelf_life_days=365)
    glue = {"item": "胶水", "quantity": "5", "unit_cost": "2", "batch": "G1"}
    receive(app, "WH1", {**glue, "production_date": "2026-11-01"})
    assert problems(app) == []
    with app.engine.begin() as connection:
        connection.execute(update(s.StockBalance).values(on_hand=Decimal(6)))

    found = problems(app)

    assert [(p.code, translate(p.code, "zh_CN", **p.params)) for p in found] == [
        ("check.balance_mismatch", "胶水 在 WH1/STOCK/G1 的库存余额为 6，但流水合计为 5"),
        ("check.item_not_balanced", "商品 胶水 在全部库位上的合计不为零（1）"),
    ]


def test_a_cost_pool_edited_is_named_by_its_warehouse_in_figures_a_person_reads(app):
    a_warehouse(app, "WH1")
    an_item(app, "螺丝")
    receive(app, "WH1", {"item": "螺丝", "quantity": "16", "unit_cost": "0.6"})
    with app.engine.begin() as connection:
        connection.execute(update(s.StockCost).values(quantity=Decimal(17)))

    (found,) = problems(app)

    assert translate(found.code, "en", **found.params) == (
        "Cost pool of 螺丝 in WH1 holds 17 / 9.6 (quantity / value) but the ledger says 16 / 9.6"
    )
