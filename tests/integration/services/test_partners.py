"""Partners (往来单位): suppliers, customers and sales channels, and a channel's sellable stock.

A channel sells from the warehouses it is given; what it may offer of an item is what is
available there (on hand less reserved) less the buffer it keeps back, never below zero.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc.domain.errors import Conflict, Forbidden, Invalid, NotFound
from jxc.i18n.messages import translate
from jxc.queries import audit, movements
from jxc.queries import documents as document_queries
from jxc.queries import partners as partner_queries
from jxc.services import documents, partners, workflows
from tests.builders import a_user, a_warehouse, an_item, create, receive, refused
from tests.conftest import TESTER


@pytest.fixture
def shop(app):
    for code in ("WH1", "WH2", "WH3"):
        a_warehouse(app, code)
    an_item(app, "螺丝-M3")
    an_item(app, "垫片")
    receive(app, "WH1", {"item": "螺丝-M3", "quantity": "10", "unit_cost": "1"})
    receive(app, "WH2", {"item": "螺丝-M3", "quantity": "5", "unit_cost": "1"})
    receive(app, "WH3", {"item": "螺丝-M3", "quantity": "100", "unit_cost": "1"})
    receive(app, "WH1", {"item": "垫片", "quantity": "1", "unit_cost": "1"})
    a_user(app, "sales", "sales")
    a_user(app, "clerk", "warehouse_clerk", "WH1")
    return app


TMALL = {
    "code": "TMALL",
    "name": "天猫旗舰店",
    "kind": "channel",
    "channel_kind": "online",
    "platform": "天猫",
    "warehouses": ["WH1", "WH2"],
    "safety_buffer": "2",
}


def sellable(app, channel="TMALL"):
    with app.reader() as connection:
        rows = partner_queries.channel_stock(connection, channel)
    return {row.item: (row.available, row.sellable) for row in rows}


def test_a_channel_offers_what_its_warehouses_have_available_less_its_buffer(shop):
    partners.add(shop.uow(), "sales", TMALL)

    assert sellable(shop) == {
        "垫片": (Decimal(1), Decimal(0)),  # never below zero
        "螺丝-M3": (Decimal(15), Decimal(13)),  # WH3's 100 are not this channel's
    }


def test_reserved_stock_is_not_sellable_on_any_channel(shop):
    partners.add(shop.uow(), "sales", TMALL)
    partners.add(shop.uow(), "sales", {**TMALL, "code": "JD", "platform": "京东"})
    workflows.use(shop.uow(), TESTER, "sop")
    a_user(shop, "manager", "warehouse_manager", "WH1")
    number = documents.create(
        shop.uow(),
        "clerk",
        {
            "document_type": "issue",
            "warehouse": "WH1",
            "note": "门店补货",
            "lines": [{"item": "螺丝-M3", "quantity": "4"}],
        },
        then="submit",
    ).number
    documents.act(shop.uow(), "manager", number, "approve")  # 预占 4

    assert sellable(shop)["螺丝-M3"] == (Decimal(11), Decimal(9))
    assert sellable(shop, "JD")["螺丝-M3"] == (Decimal(11), Decimal(9))


def test_partners_are_listed_by_kind_and_found_by_name(shop):
    partners.add(shop.uow(), "sales", TMALL)
    partners.add(shop.uow(), "sales", {"code": "SUP-1", "name": "亚德客", "kind": "supplier"})
    partners.add(
        shop.uow(),
        "sales",
        {"code": "CUS-1", "name": "苏州精工", "kind": "customer", "default_warehouse": "WH2"},
    )

    with shop.reader() as connection:
        suppliers = partner_queries.partners(connection, "supplier")
        found = partner_queries.partners(connection, search="精工")
        channel = partner_queries.partner(connection, "TMALL")

    assert [p.code for p in suppliers] == ["SUP-1"]
    assert [(p.code, p.default_warehouse) for p in found] == [("CUS-1", "WH2")]
    assert (channel.warehouses, channel.safety_buffer) == (("WH1", "WH2"), Decimal(2))


def test_every_problem_of_a_new_partner_is_named_at_once_and_nothing_is_written(shop):
    with refused(shop, Invalid) as channel:
        partners.add(
            shop.uow(), "sales", {"code": "X", "name": "X", "kind": "channel", "warehouses": []}
        )
    with refused(shop, Invalid) as supplier:
        partners.add(
            shop.uow(),
            "sales",
            {
                "code": "S",
                "name": "S",
                "kind": "supplier",
                "platform": "天猫",
                "warehouses": ["WH1"],
                "default_warehouse": "NOPE",
            },
        )
    with refused(shop, Invalid) as warehouses:
        partners.add(shop.uow(), "sales", {**TMALL, "warehouses": ["WH1", "NOPE", "WH1"]})
    with refused(shop, Invalid) as buffer:
        partners.add(shop.uow(), "sales", {**TMALL, "safety_buffer": "-1"})

    assert {(i.pointer, i.code) for i in channel.value.items} == {
        ("/channel_kind", "partner.channel_kind_required"),
        ("/warehouses", "partner.channel_warehouses_required"),
    }
    assert {(i.pointer, i.code) for i in supplier.value.items} == {
        ("/platform", "partner.channel_field_only"),
        ("/warehouses", "partner.channel_field_only"),
        ("/default_warehouse", "warehouse.unknown"),
    }
    assert {(i.pointer, i.code) for i in warehouses.value.items} == {
        ("/warehouses", "partner.warehouse_twice"),
        ("/warehouses/2", "warehouse.unknown"),  # counted from 1
    }
    assert [i.pointer for i in buffer.value.items] == ["/safety_buffer"]


def test_a_partner_code_is_taken_once_and_a_replayed_request_adds_it_once(shop):
    partners.add(shop.uow(), "sales", TMALL, request_id="r-1")
    partners.add(shop.uow(), "sales", TMALL, request_id="r-1")

    with refused(shop, Conflict) as taken:
        partners.add(shop.uow(), "sales", TMALL)

    assert taken.value.code == "partner.code_taken"
    with shop.reader() as connection:
        events = [e.action for e in audit.log(connection, actor="sales")]
    assert events == ["partner.add"]


def test_only_purchasers_sales_and_admins_manage_partners(shop):
    with refused(shop, Forbidden):
        partners.add(shop.uow(), "clerk", TMALL)


def test_an_edit_changes_the_fields_given_and_is_checked_as_a_whole(shop):
    partners.add(shop.uow(), "sales", TMALL)

    partners.edit(shop.uow(), "sales", "TMALL", {"safety_buffer": "0", "warehouses": ["WH3"]})
    with refused(shop, Invalid) as broken:
        partners.edit(shop.uow(), "sales", "TMALL", {"kind": "supplier"})
    partners.edit(shop.uow(), "sales", "TMALL", {"active": False})

    assert sellable(shop)["螺丝-M3"] == (Decimal(100), Decimal(100))
    assert {i.code for i in broken.value.items} == {"partner.channel_field_only"}
    with shop.reader() as connection:
        assert partner_queries.partners(connection) == []  # inactive: not offered
        assert partner_queries.partner(connection, "TMALL").active is False


def test_only_a_channel_has_sellable_stock(shop):
    partners.add(shop.uow(), "sales", {"code": "SUP-1", "name": "亚德客", "kind": "supplier"})

    with pytest.raises(Invalid) as supplier:
        sellable(shop, "SUP-1")
    with pytest.raises(NotFound):
        sellable(shop, "NOPE")
    with pytest.raises(NotFound):
        partners.edit(shop.uow(), "sales", "NOPE", {"name": "x"})

    assert supplier.value.code == "partner.not_channel"


# a document's partner ------------------------------------------------------------------------


def test_a_receipt_names_its_supplier_and_an_issue_its_customer_down_to_the_trace(shop):
    partners.add(shop.uow(), "sales", {"code": "SUP-1", "name": "亚德客", "kind": "supplier"})
    partners.add(shop.uow(), "sales", {"code": "CUS-1", "name": "苏州精工", "kind": "customer"})
    received = create(
        shop, "receipt", "WH1", {"item": "垫片", "quantity": "3", "unit_cost": "2"}, partner="SUP-1"
    )
    issued = create(shop, "issue", "WH1", {"item": "垫片", "quantity": "2"}, partner="CUS-1")
    undone = documents.reverse(shop.uow(), TESTER, issued.number, post=True)

    with shop.reader() as connection:
        rows = {row.number: row for row in document_queries.documents(connection)}
        to_customer = document_queries.documents(connection, partner="CUS-1")
        trace = movements.trace_document(connection, issued.number)

    assert (rows[received.number].partner, rows[received.number].partner_name) == (
        "SUP-1",
        "亚德客",
    )
    assert rows[undone.number].partner == "CUS-1"  # a reversal keeps its original's partner
    assert {row.number for row in to_customer} == {issued.number, undone.number}
    assert [m.partner for m in trace.movements] == ["苏州精工"]


def test_a_document_names_only_a_partner_of_its_kind(shop):
    partners.add(shop.uow(), "sales", {"code": "SUP-1", "name": "亚德客", "kind": "supplier"})
    partners.add(shop.uow(), "sales", {"code": "OLD", "name": "旧客户", "kind": "customer"})
    partners.edit(shop.uow(), "sales", "OLD", {"active": False})

    with refused(shop, Invalid) as supplier:
        create(shop, "issue", "WH1", {"item": "垫片", "quantity": "1"}, partner="SUP-1")
    with refused(shop, Invalid) as transfer:
        create(
            shop,
            "transfer",
            "WH1",
            {"item": "垫片", "quantity": "1"},
            to_warehouse="WH2",
            partner="SUP-1",
        )
    with refused(shop, Invalid) as unknown:
        create(shop, "issue", "WH1", {"item": "垫片", "quantity": "1"}, partner="NOPE")
    with refused(shop, Invalid) as inactive:
        create(shop, "issue", "WH1", {"item": "垫片", "quantity": "1"}, partner="OLD")

    assert [(i.pointer, i.code) for i in supplier.value.items] == [
        ("/partner", "partner.wrong_kind")
    ]
    assert translate(supplier.value.items[0].code, "zh_CN", **supplier.value.items[0].params) == (
        "SUP-1 是供应商；其他出库单只能填写以下类型的往来单位：客户、销售渠道"
    )
    assert [i.code for i in transfer.value.items] == ["partner.wrong_kind"]
    assert [i.code for i in unknown.value.items] == ["partner.unknown"]
    assert [i.code for i in inactive.value.items] == ["partner.inactive"]


def test_an_edit_changes_a_drafts_partner(shop):
    partners.add(shop.uow(), "sales", {"code": "CUS-1", "name": "苏州精工", "kind": "customer"})
    partners.add(shop.uow(), "sales", TMALL)
    draft = create(
        shop, "issue", "WH1", {"item": "垫片", "quantity": "1"}, post=False, partner="CUS-1"
    )

    documents.edit(shop.uow(), TESTER, draft.number, {"partner": "TMALL"})

    with shop.reader() as connection:
        (row,) = document_queries.documents(connection, partner="TMALL")
    assert row.number == draft.number


def test_a_channel_becomes_a_customer_when_its_channel_fields_are_cleared(shop):
    partners.add(shop.uow(), "sales", TMALL)

    partners.edit(
        shop.uow(),
        "sales",
        "TMALL",
        {
            "kind": "customer",
            "channel_kind": None,
            "platform": None,
            "warehouses": [],
            "safety_buffer": "0",
        },
    )
    with refused(shop, Invalid) as nameless:
        partners.edit(shop.uow(), "sales", "TMALL", {"name": None})

    with shop.reader() as connection:
        found = partner_queries.partner(connection, "TMALL")
    assert (found.kind, found.channel_kind, found.warehouses) == ("customer", None, ())
    assert nameless.value.code == "field.required"


def test_a_channels_issue_goes_out_only_from_a_warehouse_it_sells_from(shop):
    partners.add(shop.uow(), "sales", TMALL)  # sells from WH1 and WH2

    shipped = create(shop, "issue", "WH2", {"item": "螺丝-M3", "quantity": "1"}, partner="TMALL")
    with refused(shop, Invalid) as elsewhere:
        create(shop, "issue", "WH3", {"item": "螺丝-M3", "quantity": "1"}, partner="TMALL")

    assert shipped.state == "posted"
    (problem,) = elsewhere.value.items
    assert (problem.pointer, problem.code) == ("/warehouse", "partner.not_sold_from")
    assert translate(problem.code, "zh_CN", **problem.params) == (
        "TMALL 不从 WH3 发货；其发货仓库为 WH1, WH2"
    )
