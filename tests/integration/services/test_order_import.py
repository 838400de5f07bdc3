"""A shop's order export read into sales orders: checked whole, every bad row named, once.

The mapping names the shop's columns and says what each shop SKU (商家编码) is here: an
item, or a bundle (组合商品) of several. A file with any bad row imports nothing; the same
file imported again makes no new orders; a shop order number imported before is refused.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from jxc.domain.errors import Forbidden, Invalid
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.queries import stock_levels
from jxc.services import order_import, partners
from tests.builders import a_user, a_warehouse, an_item, receive, refused

HEADINGS = "订单编号,商家编码,购买数量,商品单价\n"
MAPPING = {
    "channel": "TMALL",
    "warehouse": "WH1",
    "columns": {
        "order_number": "订单编号",
        "sku": "商家编码",
        "quantity": "购买数量",
        "unit_price": "商品单价",
    },
    "skus": {"TM-CUP": "杯子", "TM-POT": "壶", "TM-SET": {"杯子": "2", "壶": "1"}},
    "tax_rate": "13",
    "steps": ["approve"],
}


@pytest.fixture
def shop(app):
    a_warehouse(app, "WH1")
    an_item(app, "杯子")
    an_item(app, "壶")
    receive(app, "WH1", {"item": "杯子", "quantity": "20"}, {"item": "壶", "quantity": "5"})
    partners.add(
        app.uow(),
        "tester",
        {
            "code": "TMALL",
            "name": "天猫",
            "kind": "channel",
            "channel_kind": "online",
            "warehouses": ["WH1"],
        },
    )
    return app


def run(app, text, name="orders.csv", mapping=MAPPING):
    return order_import.import_orders(app.uow(), "tester", name, text.encode(), mapping)


def reserved(app, item):
    with app.reader() as connection:
        return stock_levels.on_hand(connection, item, "WH1").reserved


def test_orders_are_made_and_approved_with_a_bundle_split_into_its_items(shop):
    text = HEADINGS + "T1001,TM-CUP,2,10\nT1001,TM-SET,1,60\nT1002,TM-POT,1,30\n"

    done = run(shop, text)

    assert [external for external, _ in done.orders] == ["T1001", "T1002"]
    assert done.lines == 4  # the set is a cup line and a pot line
    assert (reserved(shop, "杯子"), reserved(shop, "壶")) == (Decimal(4), Decimal(2))
    ours = dict(done.orders)["T1001"]
    with shop.reader() as connection:
        header, _ = document_queries.document(connection, ours)
        lines = order_queries.priced_lines(connection, ours)
    assert (header.state, header.partner) == ("approved", "TMALL")
    assert [(line.item, line.quantity, line.unit_price) for line in lines] == [
        ("杯子", Decimal(2), Decimal(10)),
        ("杯子", Decimal(2), Decimal(20)),  # the set's ¥60 shared by its three units
        ("壶", Decimal(1), Decimal(20)),
    ]


def test_the_same_file_imported_twice_makes_its_orders_once(shop):
    text = HEADINGS + "T1001,TM-CUP,2,10\n"

    first = run(shop, text)
    again = run(shop, text)

    assert again == first
    assert reserved(shop, "杯子") == Decimal(2)


def test_the_same_file_from_another_user_names_the_orders_already_in(shop):
    other = a_user(shop, "sales-" + "x" * 58, "sales")  # the longest user name there may be
    text = HEADINGS + "T1,TM-CUP,2,10\n"
    run(shop, text)

    with refused(shop, Invalid) as caught:
        order_import.import_orders(shop.uow(), other, "orders.csv", text.encode(), MAPPING)
    assert [i.code for i in caught.value.items] == ["import.order_imported"]
    again = order_import.import_orders(
        shop.uow(), other, "orders.csv", (HEADINGS + "T2,TM-CUP,1,10\n").encode(), MAPPING
    )
    assert [external for external, _ in again.orders] == ["T2"]


def test_a_shop_order_imported_before_is_refused_in_another_file(shop):
    run(shop, HEADINGS + "T1001,TM-CUP,2,10\n")

    with refused(shop, Invalid) as caught:
        run(shop, HEADINGS + "T1002,TM-CUP,1,10\nT1001,TM-CUP,1,10\n")

    assert [(i.pointer, i.code) for i in caught.value.items] == [
        ("/rows/3/订单编号", "import.order_imported")
    ]


def test_every_bad_row_is_named_with_its_column_and_nothing_is_imported(shop):
    text = HEADINGS + (
        "T1,TM-CUP,2,10\n"
        "T2,TM-NOPE,1,10\n"
        "T3,TM-CUP,两个,10\n"
        ",TM-CUP,1,10\n"
        "T5,TM-CUP,0,10\n"
        "T6,TM-CUP,1,-3\n"
        "T7,TM-CUP,1,1.23456\n"
        f"{'T' * 65},TM-CUP,1,10\n"
    )

    with refused(shop, Invalid) as caught:
        run(shop, text)

    assert [(i.pointer, i.code) for i in caught.value.items] == [
        ("/rows/3/商家编码", "import.sku_unknown"),
        ("/rows/4/购买数量", "import.not_a_number"),
        ("/rows/5/订单编号", "import.value_required"),
        ("/rows/6/购买数量", "import.not_positive"),
        ("/rows/7/商品单价", "price.negative"),
        ("/rows/8/商品单价", "price.too_precise"),
        ("/rows/9/订单编号", "import.value_too_long"),
    ]


def test_a_row_is_named_by_its_number_in_the_file_after_blank_rows(shop):
    text = HEADINGS + "T1,TM-CUP,2,10\n,,,\n\nT2,TM-NOPE,1,10\n"
    book = Workbook()
    for row in (HEADINGS.strip().split(","), ["T1", "TM-CUP", 2, 10], [], ["T2", "TM-NOPE", 1, 10]):
        book.active.append(row)
    content = io.BytesIO()
    book.save(content)

    for name, data in (("orders.csv", text.encode()), ("orders.xlsx", content.getvalue())):
        with refused(shop, Invalid) as caught:
            order_import.import_orders(shop.uow(), "tester", name, data, MAPPING)
        row = 5 if name.endswith(".csv") else 4
        assert [(i.pointer, i.code) for i in caught.value.items] == [
            (f"/rows/{row}/商家编码", "import.sku_unknown")
        ], name


def test_a_column_given_twice_is_refused_and_a_gbk_file_from_excel_is_read(shop):
    with refused(shop, Invalid) as caught:
        run(shop, "订单编号,商家编码,购买数量,购买数量,商品单价\nT1,TM-CUP,1,2,10\n")
    assert (caught.value.code, caught.value.params["column"]) == (
        "file.column_repeated",
        "购买数量",
    )

    done = order_import.import_orders(
        shop.uow(), "tester", "天猫.csv", (HEADINGS + "T1,TM-CUP,2,10\n").encode("gbk"), MAPPING
    )
    assert [external for external, _ in done.orders] == ["T1"]


def test_a_file_without_a_mapped_column_or_of_another_format_is_refused(shop):
    with refused(shop, Invalid) as caught:
        run(shop, "订单编号,商家编码,数量,商品单价\nT1,TM-CUP,1,10\n")
    assert [(i.code, i.params["column"]) for i in caught.value.items] == [
        ("import.column_missing", "购买数量")
    ]
    with refused(shop, Invalid) as caught:
        run(shop, "x", name="orders.txt")
    assert caught.value.code == "import.unsupported_format"
    with refused(shop, Invalid) as caught:
        run(shop, "not a workbook", name="orders.xlsx")
    assert (caught.value.code, caught.value.params) == ("file.not_xlsx", {"file": "orders.xlsx"})


def test_an_order_beyond_the_stock_refuses_the_whole_file_naming_the_order_and_its_rows(shop):
    with refused(shop, Invalid) as caught:
        run(shop, HEADINGS + "T1,TM-CUP,2,10\nT2,TM-POT,9,30\n")

    ((pointer, code, rows),) = [(i.pointer, i.code, i.params["rows"]) for i in caught.value.items]
    assert (pointer, code, rows) == ("/orders/T2", "stock.line_short", "3")


def test_an_xlsx_export_reads_like_its_csv(shop):
    book = Workbook()
    sheet = book.active
    sheet.append(["订单编号", "商家编码", "购买数量", "商品单价"])
    sheet.append(["T9", "TM-CUP", 3, 9.9])
    content = io.BytesIO()
    book.save(content)

    done = order_import.import_orders(
        shop.uow(), "tester", "orders.xlsx", content.getvalue(), MAPPING
    )

    with shop.reader() as connection:
        (line,) = order_queries.priced_lines(connection, dict(done.orders)["T9"])
    assert (line.quantity, line.unit_price) == (Decimal(3), Decimal("9.9"))


def test_someone_who_may_not_sell_there_imports_nothing_even_a_file_imported_before(shop):
    run(shop, HEADINGS + "T1001,TM-CUP,2,10\n")
    a_user(shop, "clerk.elsewhere", "warehouse_clerk")

    with refused(shop, Forbidden):
        order_import.import_orders(
            shop.uow(),
            "clerk.elsewhere",
            "orders.csv",
            (HEADINGS + "T1001,TM-CUP,2,10\n").encode(),
            MAPPING,
        )
