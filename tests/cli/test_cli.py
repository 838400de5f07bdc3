"""The `jxc` command: exit codes per error category, messages in zh-CN and en."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from jxc import __version__
from jxc.bootstrap import SCHEMA_REVISION, build, head_revision, upgrade
from jxc.cli.main import app
from jxc.config import Settings
from jxc.db.schema import AuditEvent, Document
from jxc.domain.workflow import DOCUMENT_TYPES
from tests.builders import snapshot, tamper_with_audit
from tests.cli.conftest import jxc, runner


def test_receiving_two_boxes_shows_24_pieces_on_hand(company):
    code, output = jxc(
        company,
        "doc",
        "create",
        "receipt",
        "--warehouse",
        "WH1",
        "--line",
        "螺丝-M3:2:箱",
        "--post",
    )
    assert code == 0, output
    assert "已过账" in output

    code, output = jxc(company, "stock", "item", "螺丝-M3", "WH1", lang="en")
    assert code == 0
    assert "24" in output.split("WH1")[1]


def test_an_unknown_item_exits_3_and_names_it_in_chinese_and_english(company):
    code, output = jxc(company, "stock", "item", "NO-SUCH", "WH1")
    assert (code, "商品 NO-SUCH 不存在" in output) == (3, True)
    code, output = jxc(company, "stock", "item", "NO-SUCH", "WH1", lang="en")
    assert (code, "Item NO-SUCH does not exist" in output) == (3, True)


def test_issuing_more_than_available_exits_5_naming_every_short_line(company):
    jxc(company, "doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:10", "--post")
    before = snapshot_of(company)
    code, output = jxc(
        company,
        "doc",
        "create",
        "issue",
        "--warehouse",
        "WH1",
        "--line",
        "螺丝-M3:11",
        "--line",
        "螺丝-M3:5",
        "--post",
        lang="en",
    )
    assert code == 5
    assert "Not enough stock" in output
    assert "requested 11, available 10" in output
    assert snapshot_of(company) == before


def test_bad_quantities_exit_4_with_each_problem_named(company):
    code, output = jxc(
        company,
        "doc",
        "create",
        "receipt",
        "--warehouse",
        "WH1",
        "--line",
        "螺丝-M3:0",
        "--line",
        "螺丝-M3:1.5",
        "--line",
        "MILK:2",
    )
    assert code == 4
    assert "/lines/1/quantity" in output
    assert "数量必须大于零" in output
    assert "/lines/2/quantity" in output
    assert "小数位" in output
    assert "/lines/3/batch" in output
    assert "批次" in output

    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:1e3"
    )
    assert code == 4
    assert "/lines/1/quantity 数量：1e3 请写成普通数字，例如 1000 或 1.5" in output
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:１２"
    )
    assert code == 0, output


def test_posting_a_posted_document_exits_5(company):
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:1", "--post"
    )
    number = re.search(r"RK\d+", output).group(0)
    code, output = jxc(company, "doc", "post", number, lang="en")
    assert code == 5
    assert f"Document {number} is Posted: post is not allowed there; allowed: none" in output
    code, output = jxc(company, "doc", "post", number)
    assert code == 5
    assert f"单据 {number} 当前为「已过账」，不能过账；此状态下可以：无" in output


def test_a_first_step_a_new_document_cannot_take_is_refused_before_it_is_written(company):
    before = snapshot_of(company)
    create = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:1")

    code, output = jxc(company, *create, "--then", "execute")

    assert code == 5
    told = "新建的入库单处于「草稿」，不能直接执行（此状态下可以：过账、作废）；未创建任何单据"
    assert told in output
    assert "RK" not in output  # no number of a document rolled back
    assert snapshot_of(company) == before


def test_a_partner_kind_that_does_not_exist_is_refused_not_listed_as_none(company):
    code, output = jxc(company, "partner", "list", "--kind", "vendor")

    assert code == 4
    assert "类型：vendor 不是允许的值；可用：supplier, customer, channel" in output


def test_an_item_or_partner_with_malformed_fields_and_unknown_codes_is_told_all_at_once(company):
    item = jxc(company, "item", "add", "X1", "样品", "--unit", "盒子", "--shelf-life", "0")
    partner = jxc(
        company, "partner", "add", "C1", "客户一", "--kind", "customr", "--warehouse", "WH9"
    )

    assert item[0] == 4
    assert "发现 2 处问题；未写入任何数据" in item[1]
    assert "保质期（天）：0 小于允许的最小值 1" in item[1]
    assert "/base_unit 计量单位 盒子 不存在" in item[1]
    assert partner[0] == 4
    assert "类型：customr 不是允许的值" in partner[1]
    assert "/warehouses/1 仓库 WH9 不存在" in partner[1]
    assert "X1" not in jxc(company, "item", "list")[1]  # nothing written


def test_stock_at_a_location_that_does_not_exist_is_refused_not_listed_as_none(company):
    anywhere = jxc(company, "stock", "list", "--location", "NOPE")
    in_one = jxc(company, "stock", "list", "--warehouse", "WH1", "--location", "NOPE")

    assert anywhere == (3, anywhere[1])
    assert "没有哪个仓库有库位 NOPE" in anywhere[1]
    assert in_one[0] == 3
    assert "仓库 WH1 中没有库位 NOPE" in in_one[1]


def test_a_missing_or_malformed_field_is_named_in_the_users_language(company):
    code, output = jxc(company, "doc", "create", "receipt", "--line", "螺丝-M3:1")
    assert code == 4
    assert "/warehouse 仓库为必填项" in output
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:x", lang="en"
    )
    assert code == 4
    assert "/lines/1/quantity Quantity: x is not a number" in output


def test_posting_a_draft_says_what_it_became(company):
    create = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:1")
    code, output = jxc(company, *create)
    number = re.search(r"RK\d+", output).group(0)
    assert f"已生成 {number}（草稿）" in output

    code, output = jxc(company, "doc", "post", number)
    assert code == 0, output
    assert f"{number} 现为已过账：1 行明细，1 条库存流水" in output


def test_a_csv_file_with_a_ragged_row_names_the_row(company, tmp_path):
    file = tmp_path / "lines.csv"
    file.write_text("商品,数量,单位\n螺丝-M3,2,箱\n螺丝-M3,1,个,extra\n", encoding="utf-8")
    before = snapshot_of(company)
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file), "--post"
    )
    assert code == 4
    assert "第 3 行" in output
    assert snapshot_of(company) == before


def test_a_gbk_csv_from_excel_is_received_and_a_column_given_twice_is_refused(company, tmp_path):
    file = tmp_path / "到货.csv"
    file.write_bytes("商品,数量,单位\n\n螺丝-M3,2,箱\n".encode("gbk"))
    args = ("doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file), "--post")
    code, output = jxc(company, *args)
    assert code == 0, output

    file.write_text("商品,数量,数量\n螺丝-M3,1,2\n", encoding="utf-8")
    before = snapshot_of(company)
    code, output = jxc(company, *args)
    assert code == 4
    assert "到货.csv：列 数量 出现了两次" in output
    assert snapshot_of(company) == before

    file.write_text("商品,数量,单位\n\n螺丝-M3,1,个,多余\n", encoding="utf-8")
    code, output = jxc(company, *args)
    assert code == 4
    assert "第 3 行" in output  # the file's row, counting the blank one


def test_every_bad_row_of_a_csv_is_named_by_its_row_in_the_file_at_once(company, tmp_path):
    file = tmp_path / "到货.csv"
    file.write_text(
        "商品,数量,单位\n螺丝-M3,5,吨\n\n不存在的商品,3,\n螺丝-M3,-2,\n螺丝-M3,abc,\n",
        encoding="utf-8",
    )
    before = snapshot_of(company)
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file), "--post"
    )

    assert code == 4
    assert "发现 4 处问题" in output
    assert [line.split()[1] for line in output.splitlines() if line.strip().startswith("•")] == [
        "/rows/2/unit",
        "/rows/4/item",
        "/rows/5/quantity",
        "/rows/6/quantity",
    ]
    assert "数量必须大于零，不能是 -2" in output
    assert snapshot_of(company) == before


def test_a_file_is_told_as_it_was_written_a_null_as_missing_a_folder_as_a_folder(company, tmp_path):
    args = ("doc", "create", "receipt", "--warehouse", "WH1", "--file")
    written = tmp_path / "到货.json"
    written.write_text('{"lines": [{"item": null, "quantity": true}]}', encoding="utf-8")
    headless = tmp_path / "无表头.csv"
    headless.write_text("LS-001,3\n", encoding="utf-8")

    code, output = jxc(company, *args, str(written))
    assert code == 4
    assert "/lines/1/item 商品为必填项" in output
    assert "/lines/1/quantity 数量：true 不是数字" in output
    code, output = jxc(company, *args, str(headless))
    assert (code, "无表头.csv：无法识别的列 LS-001" in output) == (4, True), output
    code, output = jxc(company, *args, str(tmp_path))
    assert (code, f"{tmp_path} 是文件夹，请给出其中的一个文件" in output) == (4, True), output


def test_a_file_with_one_bad_row_names_that_row(company, tmp_path):
    file = tmp_path / "到货.csv"
    file.write_text("商品,数量\n\n不存在的商品,3\n", encoding="utf-8")
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file)
    )
    assert (code, output.split()[1]) == (4, "/rows/3/item")


def test_a_short_line_of_a_file_is_named_by_its_row(company, tmp_path):
    file = tmp_path / "领料.csv"
    file.write_text("商品,数量\n\n螺丝-M3,1000\n", encoding="utf-8")
    code, output = jxc(
        company, "doc", "create", "issue", "--warehouse", "WH1", "--file", str(file), "--post"
    )
    assert code != 0
    assert "/rows/3 第 3 行：螺丝-M3" in output


def test_lines_given_both_by_option_and_in_a_file_are_refused_not_half_dropped(company, tmp_path):
    file = tmp_path / "到货.csv"
    file.write_text("商品,数量,单位成本\n螺丝-M3,2,1\n", encoding="utf-8")
    both = ("--warehouse", "WH1", "--line", "螺丝-M3:7@1", "--file", str(file))

    code, output = jxc(company, "doc", "create", "receipt", *both)

    assert code == 4
    assert "明细行请用 --line 或文件 到货.csv 二选一给出，不能同时使用" in output
    assert "RK" not in jxc(company, "doc", "list")[1]


def test_an_orders_lines_are_edited_as_they_were_created_the_at_sign_a_unit_price(company):
    jxc(company, "partner", "add", "C1", "客户一")
    order = ("doc", "create", "sales_order", "--warehouse", "WH1", "--partner", "C1")
    code, output = jxc(company, *order, "--line", "螺丝-M3:9@5")
    number = re.search(r"XSDD\d{12}", output).group(0)

    code, output = jxc(
        company, "doc", "edit", number, "--line", "螺丝-M3:1@36:箱", "--tax-rate", "9"
    )
    assert code == 0, output
    code, output = jxc(company, "doc", "show", number)

    assert re.search(r"│ 1 +│ 螺丝-M3 .*│ +36(\.00)? +│ +9", output), output
    code, output = jxc(company, "doc", "edit", number, "--note", "改备注", "--tax-rate", "3")
    assert code == 4
    assert "--tax-rate 用于订单的明细行：请同时用 --line 或 --file 给出明细" in output


def test_an_order_from_a_file_takes_each_lines_price_tax_and_discount(company, tmp_path):
    jxc(company, "partner", "add", "C1", "客户一")
    file = tmp_path / "订单.csv"
    file.write_text("商品,数量,单价,税率,折扣率\n螺丝-M3,5,120,13,5\n螺丝-M3,2,80,,\n", "utf-8")
    order = ("doc", "create", "sales_order", "--warehouse", "WH1", "--partner", "C1")

    code, output = jxc(company, *order, "--file", str(file), "--tax-rate", "9")

    assert code == 0, output
    number = re.search(r"XSDD\d{12}", output).group(0)
    code, output = jxc(company, "doc", "show", number)
    assert re.search(
        r"│ 1 +│ 螺丝-M3 +│ 5 个 +│ 120 +│ 13 +│ 5 +│ 504\.42 +│ 65\.58 +│ 570\.00", output
    )
    assert re.search(r"│ 2 +│ 螺丝-M3 +│ 2 个 +│ 80 +│ 9 +│ 0 +│", output), output  # the command's
    receipt = tmp_path / "入库.csv"
    receipt.write_text("商品,数量,单价\n螺丝-M3,5,120\n", "utf-8")
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--file", str(receipt)
    )
    assert code == 4
    assert "/rows/2/unit_price 单价、税率和折扣在订单上填写，入库单不能填写" in output


def test_a_units_ratio_changes_only_while_no_open_document_counts_in_it(company):
    def receipt_of(boxes):
        code, output = jxc(
            company,
            "doc",
            "create",
            "receipt",
            "--warehouse",
            "WH1",
            "--line",
            f"BX-1:{boxes}@50:箱",
        )
        return re.search(r"RK\d{12}", output).group(0)

    jxc(company, "item", "add", "BX-1", "纸箱装", "--conversion", "箱=10")
    assert jxc(company, "item", "unit", "BX-1", "箱", "12")[0] == 0  # nothing counts in 箱 yet
    drafted = receipt_of(2)
    while_drafted = jxc(company, "item", "unit", "BX-1", "箱", "20")
    jxc(company, "doc", "void", drafted)
    once_voided = jxc(company, "item", "unit", "BX-1", "箱", "12")
    jxc(company, "doc", "post", receipt_of(2))
    once_posted = jxc(company, "item", "unit", "BX-1", "箱", "20", lang="en")

    assert while_drafted[0] == 5
    assert f"BX-1 的 箱 换算率不能再改：单据 {drafted} 已按 箱 计数" in while_drafted[1]
    assert once_voided[0] == 0, once_voided[1]  # a voided document counts no more
    assert once_posted[0] == 5
    assert "The ratio of 箱 for BX-1 cannot change: the item has stock history" in once_posted[1]
    assert re.search(r"│ BX-1 │ WH1 +│ +24 │", jxc(company, "stock", "item", "BX-1", "WH1")[1])


def test_a_unit_of_measure_is_added_listed_and_used_once_and_refused_twice(company):
    added = jxc(company, "unit", "add", "罐", "罐")
    again = jxc(company, "unit", "add", "罐", "罐")
    too_fine = jxc(company, "unit", "add", "米2", "平方米", "--decimals", "9")
    item = jxc(company, "item", "add", "NF-1", "奶粉 900g", "--unit", "罐")

    assert added == (0, "已新增计量单位 罐\n")
    assert again[0] == 5
    assert "计量单位 罐 已存在" in again[1]
    assert too_fine[0] == 4
    assert "计量单位的小数位为 0 到 6，不能是 9" in too_fine[1]
    assert item[0] == 0, item[1]
    assert re.search(r"│ 罐 +│ 罐 +│ 0 +│", jxc(company, "unit", "list")[1])


def test_a_csv_file_with_chinese_headings_is_received(company, tmp_path):
    file = tmp_path / "到货.csv"
    file.write_text(
        "\ufeff商品,数量,批次,生产日期\nMILK,6,B20261101,2026-11-01\n", encoding="utf-8"
    )
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file), "--post"
    )
    assert code == 0, output
    code, output = jxc(company, "stock", "list", "--item", "MILK", lang="en")
    assert "B20261101" in output
    assert "2026-12-01" in output


def test_malformed_json_names_row_and_column(company, tmp_path):
    file = tmp_path / "doc.json"
    file.write_text('{"lines": [{"item": "螺丝-M3", "quantity": 1,}]}', encoding="utf-8")
    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file), lang="en"
    )
    assert code == 4
    assert "row 1, column" in output


def test_a_json_document_file_carries_its_header(company, tmp_path):
    file = tmp_path / "transfer.json"
    file.write_text(
        json.dumps(
            {
                "warehouse": "WH1",
                "to_warehouse": "WH2",
                "lines": [{"item": "螺丝-M3", "quantity": "2"}],
            }
        ),
        encoding="utf-8",
    )
    jxc(company, "doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:5", "--post")
    code, output = jxc(
        company, "doc", "create", "transfer", "--file", str(file), "--post", lang="en"
    )
    assert code == 0, output
    assert "In transit" in output


def test_an_option_that_says_otherwise_than_the_files_header_is_refused(company, tmp_path):
    file = tmp_path / "transfer.json"
    header = {"document_type": "transfer", "warehouse": "WH1", "to_warehouse": "WH2"}
    file.write_text(
        json.dumps({**header, "lines": [{"item": "螺丝-M3", "quantity": "2"}]}), encoding="utf-8"
    )
    before = snapshot_of(company)
    for args, told in (
        (("transfer", "--warehouse", "WH2"), "transfer.json 中的仓库为 WH1，命令行却给出 WH2"),
        (("issue",), "transfer.json 中的单据类型为 transfer，命令行却给出 issue"),
    ):
        code, output = jxc(company, "doc", "create", *args, "--file", str(file))
        assert code == 4
        assert f"{told}；请只在一处给出" in output
    assert snapshot_of(company) == before
    code, output = jxc(
        company, "doc", "create", "transfer", "--file", str(file), "--warehouse", "WH1"
    )
    assert code == 0, output


def test_an_unreachable_database_exits_8_with_a_clear_message():
    result = runner.invoke(
        app, ["--db", "postgresql://nobody:x@127.0.0.1:1/none", "--lang", "en", "check"]
    )
    assert result.exit_code == 8
    assert "Cannot reach the database" in result.output
    assert "x@" not in result.output  # the password is not shown


@pytest.mark.parametrize("url", ["foo://bar", "mysql://u:secret@h/x", "postgresql+psycopg2://h/x"])
def test_a_database_jxc_does_not_run_on_is_named_not_a_traceback(url):
    result = runner.invoke(app, ["--db", url, "--lang", "zh-CN", "check"])

    assert result.exit_code == 4, result.output
    engine = url.split(":")[0]
    assert f"JXC 只能使用 SQLite 或 PostgreSQL，不支持 {engine}" in result.output
    assert "Traceback" not in result.output
    assert "secret" not in result.output


def test_an_unsupported_language_is_a_usage_error(database_url):
    result = runner.invoke(app, ["--db", database_url, "--lang", "fr", "check"])
    assert result.exit_code == 2
    assert "JXC 不支持语言 fr：请用 zh-CN, en" in result.output

    from_environment = runner.invoke(app, ["--db", database_url, "check"], env={"JXC_LANG": "fr"})
    assert from_environment.exit_code == 2, from_environment.output
    assert "JXC 不支持语言 fr" in from_environment.output
    assert not isinstance(from_environment.exception, FileNotFoundError)


def test_check_passes_on_the_demo_company_and_trace_follows_a_batch(empty_database_url):
    database_url = empty_database_url
    code, output = jxc(database_url, "demo", "--days", "10")
    assert code == 0, output
    assert "演示公司已载入" in output
    code, output = jxc(database_url, "check")
    assert code == 0, output
    assert "检查通过" in output
    code, output = jxc(database_url, "demo", "--days", "10")
    assert (code, "已载入过" in output) == (0, True)


def test_the_demo_takes_each_documents_steps_in_order_and_verifies_every_transfer_it_received(
    empty_database_url,
):
    code, output = jxc(empty_database_url, "demo", "--days", "20")
    assert code == 0, output
    application = build(Settings(database_url=empty_database_url))
    try:
        with application.engine.connect() as connection:
            events = connection.execute(
                select(AuditEvent.subject, AuditEvent.occurred_at)
                .where(AuditEvent.subject_type == "document")
                .order_by(AuditEvent.sequence)
            ).all()
            received = connection.execute(
                select(Document.number).where(
                    Document.document_type == "transfer", Document.state == "executed"
                )
            ).all()
            verified = connection.execute(
                select(Document.number).where(
                    Document.document_type == "transfer", Document.state == "archived"
                )
            ).all()
    finally:
        application.dispose()
    latest: dict[str, object] = {}
    for subject, moment in events:
        assert moment >= latest.get(subject, moment), f"{subject}: a step before the one before"
        latest[subject] = moment
    assert received == []  # received, then verified by someone who moved none of it
    assert len(verified) > 0


def snapshot_of(database_url: str) -> dict[str, object]:
    from jxc.bootstrap import build
    from jxc.config import Settings

    application = build(Settings(database_url=database_url))
    try:
        return snapshot(application)
    finally:
        application.dispose()


def test_serials_in_stock_are_listed_until_one_is_sold(company, tmp_path):
    def lines(quantity, serials):
        path = tmp_path / f"pump-{quantity}.csv"
        path.write_text(f"商品,数量,序列号\nPUMP-1,{quantity},{serials}\n", encoding="utf-8")
        return str(path)

    code, output = jxc(
        company, "item", "add", "PUMP-1", "离心水泵", "--unit", "台", "--tracking", "serial"
    )
    assert code == 0, output
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--post")
    code, output = jxc(company, *receipt, "--file", lines(2, "SN-1;SN-2"))
    assert code == 0, output

    code, output = jxc(company, "stock", "serials", "PUMP-1", "WH1")
    assert code == 0, output
    assert "PUMP-1 在 WH1：2 个序列号在库" in output
    assert ("SN-1" in output, "SN-2" in output) == (True, True)

    issue = ("doc", "create", "issue", "--warehouse", "WH1", "--post")
    code, output = jxc(company, *issue, "--file", lines(1, "SN-1"))
    assert code == 0, output
    code, output = jxc(company, "stock", "serials", "PUMP-1", "WH1", lang="en")
    assert code == 0, output
    assert "PUMP-1 at WH1: 1 serial number(s) in stock" in output
    assert ("SN-1" in output, "SN-2" in output) == (False, True)


def test_a_missing_column_is_named_as_the_user_writes_headings(company, tmp_path):
    file = tmp_path / "到货.csv"
    file.write_text("商品,单位\n螺丝-M3,个\n", encoding="utf-8")
    args = ("doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file))

    code, output = jxc(company, *args)
    assert code == 4
    assert "缺少列 数量（应有：商品、数量、单位、" in output
    code, output = jxc(company, *args, lang="en")
    assert "column quantity is missing (expected: item, quantity, unit, " in output


def test_a_semicolon_separated_csv_is_read(company, tmp_path):
    file = tmp_path / "lines.csv"
    file.write_text("item;quantity;unit\n螺丝-M3;2;箱\n", encoding="utf-8")

    code, output = jxc(
        company, "doc", "create", "receipt", "--warehouse", "WH1", "--file", str(file), "--post"
    )
    assert code == 0, output
    code, output = jxc(company, "stock", "item", "螺丝-M3", "WH1", lang="en")
    assert "24" in output.split("WH1")[1]


def receive_two_boxes(database_url: str) -> str:
    code, output = jxc(
        database_url, "doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:2:箱"
    )
    assert code == 0, output
    number = re.search(r"RK\d{12}", output)
    assert number is not None, output
    code, output = jxc(database_url, "doc", "post", number.group())
    assert code == 0, output
    return number.group()


def test_audit_verify_passes_then_names_the_tampered_event_in_both_languages(company):
    receive_two_boxes(company)
    code, output = jxc(company, "audit", "verify")
    assert code == 0, output
    # initialisation, every workflow installed, the company's time zone kept, every
    # workflow switched to one-step posting, the tester, two warehouses, two items, the
    # receipt made and posted
    assert f"操作日志完整：{9 + 2 * len(DOCUMENT_TYPES)} 条记录" in output

    application = build(Settings(database_url=company))
    try:
        tamper_with_audit(
            application, update(AuditEvent).where(AuditEvent.sequence == 6).values(actor="someone")
        )
    finally:
        application.dispose()

    code, output = jxc(company, "audit", "verify")
    assert code == 1
    assert "操作日志在第 6 条处断裂：其内容与签封不符" in output
    code, output = jxc(company, "audit", "verify", lang="en")
    assert code == 1
    assert "Audit trail broken at event #6: its content no longer matches its seal" in output


def test_audit_log_shows_who_did_what_to_a_document_and_filters_bad_days_out(company):
    number = receive_two_boxes(company)

    code, output = jxc(company, "audit", "log", "--document", number)
    assert code == 0, output
    rows = [line for line in output.splitlines() if number in line]
    assert len(rows) == 2
    assert "tester" in rows[0]
    assert "创建单据" in rows[0]
    assert "→ 草稿" in rows[0]
    assert "过账" in rows[1]
    assert "草稿 → 已过账" in rows[1]
    assert "库存流水 1 · 单据明细 1" in rows[1]  # in words, not {"entries":1,"lines":1}

    code, output = jxc(company, "audit", "log", "--user", "tester", lang="en")
    assert code == 0, output
    assert "Add warehouse" in output
    assert "Add item" in output
    assert "Post" in output
    assert "Tracking Batch" in output

    code, output = jxc(company, "audit", "log", "--from", "2026-13-01")
    assert code == 4
    assert "--from：2026-13-01 不是有效日期（格式 YYYY-MM-DD）" in output
    code, output = jxc(company, "audit", "log", "--from", "2026-03-05", "--to", "2026-03-04")
    assert code == 4
    assert "期间开始日期 2026-03-05 晚于结束日期 2026-03-04" in output


def test_the_demo_refuses_a_database_that_already_has_users(database_url):
    code, output = jxc(database_url, "demo", "--days", "10", lang="en")

    assert code == 5
    assert "this one holds other data or users" in output


def test_an_unknown_company_time_zone_is_named_in_both_languages(database_url):
    for lang, shown in (
        ("zh-CN", "JXC_TIMEZONE=Asia/Beijing 不是时区；请用 IANA 时区名，例如 Asia/Shanghai"),
        ("en", "JXC_TIMEZONE=Asia/Beijing is not a time zone"),
    ):
        result = runner.invoke(
            app,
            ["--db", database_url, "--lang", lang, "check"],
            env={"JXC_TIMEZONE": "Asia/Beijing"},
        )
        assert result.exit_code == 4, result.output
        assert shown in result.output


def test_the_company_time_zone_is_shown_and_changed_and_another_jxc_timezone_is_told_unused(
    database_url,
):
    code, output = jxc(database_url, "company", "timezone", "Asia/Shanghai")
    assert (code, output.strip()) == (0, "公司时区已改为 Asia/Shanghai")
    code, output = jxc(database_url, "company", "timezone", lang="en")
    assert (code, output.strip()) == (0, "Company time zone: Asia/Shanghai")

    code, output = jxc(database_url, "company", "timezone", "Asia/Peking")
    assert code == 4
    assert "Asia/Peking 不是时区；请用 IANA 时区名（例如 Asia/Shanghai）或 UTC 偏移" in output

    result = runner.invoke(
        app,
        ["--db", database_url, "--lang", "zh-CN", "company", "timezone"],
        env={"JXC_TIMEZONE": "Europe/Paris"},
    )
    assert result.exit_code == 0, result.output
    assert "JXC_TIMEZONE=Europe/Paris 未生效：本公司时区为 Asia/Shanghai" in result.output
    assert "公司时区：Asia/Shanghai" in result.output


def test_text_that_looks_like_markup_is_shown_as_typed_not_read_as_styles(company):
    code, output = jxc(company, "stock", "item", "[/x]", "WH1")
    assert (code, output.strip()) == (3, "✗ 商品 [/x] 不存在  (item.unknown)")
    code, output = jxc(company, "stock", "item", "[bold]ABC", "WH1")
    assert (code, output.strip()) == (3, "✗ 商品 [bold]ABC 不存在  (item.unknown)")

    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:1")
    code, output = jxc(company, *receipt, "--note", "[urgent] 加急")
    assert code == 0, output
    number = re.search(r"RK\d+", output).group(0)
    code, output = jxc(company, "doc", "show", number)
    assert "备注：[urgent] 加急" in output


def test_a_list_cut_at_its_limit_says_so_and_how_to_see_the_rest(company):
    for line in ("螺丝-M3:2", "MILK:3:瓶:B1:2026-11-01"):
        code, output = jxc(
            company, "doc", "create", "receipt", "--warehouse", "WH1", "--line", line, "--post"
        )
        assert code == 0, output

    code, output = jxc(company, "stock", "list", "--limit", "1")
    assert code == 0, output
    assert output.rstrip().endswith("仅显示 2 行中的前 1 行；用 --limit 显示更多")
    assert ("MILK" in output) != ("螺丝-M3" in output)
    code, output = jxc(company, "doc", "list", "--limit", "1", lang="en")
    assert output.rstrip().endswith("The first 1 are shown; there are more, --limit shows them")
    code, output = jxc(company, "doc", "list", "--limit", "2")
    assert "仅显示" not in output
    code, output = jxc(company, "doc", "list", "--limit", "0")
    assert code == 2


def test_documents_are_listed_by_a_state_named_in_either_language_and_not_by_nonsense(company):
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:2")
    code, output = jxc(company, *receipt, "--post")
    assert code == 0, output
    for named in ("posted", "已过账", "Posted"):
        code, output = jxc(company, "doc", "list", "--state", named)
        assert (code, "RK" in output) == (0, True), named
    code, output = jxc(company, "doc", "list", "--state", "已执行了")
    assert code == 4
    assert "没有「已执行了」这个单据状态；可用状态：" in output
    assert "已过账" in output

    code, output = jxc(company, "sop", "use", "sop")
    assert code == 0, output
    code, output = jxc(company, "doc", "list", "--state", "已过账")  # not a state of the SOP's
    assert (code, "RK" in output) == (0, True), output


def submitted_on_the_sop(company: str, step: str = "submit") -> str:
    """A receipt drafted and submitted (``step``, by any name) on the five-step SOP."""
    code, output = jxc(company, "sop", "use", "sop")
    assert code == 0, output
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:2@3")
    code, output = jxc(company, *receipt, "--then", step)
    assert code == 0, output
    return re.search(r"RK\d{12}", output).group(0)


def test_approving_ones_own_draft_exits_as_not_permitted_not_as_bad_input(company):
    number = submitted_on_the_sop(company)

    code, output = jxc(company, "doc", "approve", number)

    assert code == 6, output  # as a role that may not: scripts tell it from a typo
    assert f"已对单据 {number} 执行过「创建」，「审核」须由另一人完成" in output


def test_a_blank_request_id_is_refused_as_it_would_make_every_blank_request_one(company):
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:2")
    before = snapshot_of(company)

    code, output = jxc(company, *receipt, "--request-id", " ")

    assert code == 4
    assert "请求号不能为空" in output
    assert snapshot_of(company) == before


def test_a_fefo_suggestion_refuses_the_quantities_an_issue_would_refuse(company):
    for typed, said in (
        ("-5", "数量必须大于零，不能是 -5"),
        ("0", "数量必须大于零，不能是 0"),
        ("1.5", "数量 1.5 的小数位超过单位 个 允许的 0 位"),
        ("10000000000000", "超过上限 10^12"),
    ):
        code, output = jxc(company, "stock", "fefo", "螺丝-M3", "WH1", typed)
        assert (code, said in output) == (4, True), output
    code, output = jxc(company, "stock", "fefo", "螺丝-M3", "WH1", "2")
    assert code == 0, output


def test_a_fefo_suggestion_leaves_expired_batches_out_and_says_how_much(company):
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--post")
    code, output = jxc(company, *receipt, "--line", "MILK:4@3::OLD:2025-01-01")
    assert code == 0, output
    fresh = datetime.now(UTC).date() - timedelta(days=1)
    code, output = jxc(company, *receipt, "--line", f"MILK:6@3::NEW:{fresh}")
    assert code == 0, output

    code, output = jxc(company, "stock", "fefo", "MILK", "WH1", "8")

    assert code == 0, output
    assert re.search(rf"│ STOCK +│ NEW +│ {fresh + timedelta(days=30)} +│ +6 │", output), output
    assert "OLD" not in output
    assert "还差 2" in output
    assert "已略去过期批次 4：出库须在明细上指明批次才会取用" in output


def test_a_step_is_named_by_its_code_or_its_chinese_name(company):
    number = submitted_on_the_sop(company, "提交")

    code, output = jxc(company, "doc", "act", number, "批准")
    assert code == 4
    assert (
        f"单据 {number} 的流程没有「批准」这一步；单据当前为「审核中」，此状态下可以：审核、驳回"
        in output
    )
    code, output = jxc(company, "doc", "act", number, "驳回", "--reason", "数量不对")

    assert code == 0, output
    assert f"{number} 现为已驳回" in output


def test_a_pick_scan_takes_serials_after_the_batch_and_a_malformed_one_says_the_form(company):
    code, output = jxc(company, "doc", "pick", "XSCK404", "--scan", "手机:2::SN1,SN2")
    assert (code, "出库单 XSCK404 不存在" in output) == (3, True), output  # read, then looked up

    code, output = jxc(company, "doc", "pick", "XSCK404", "--scan", "手机:2::SN1:SN2")
    assert code == 2, output
    assert "格式应为 商品:数量[:批次[:序列号,…]]" in output


def test_a_file_argument_missing_or_malformed_is_told_in_the_users_language(company, tmp_path):
    code, output = jxc(company, "audit", "verify-export", str(tmp_path / "nope.zip"))
    assert (code, output.strip()) == (4, f"✗ 文件 {tmp_path / 'nope.zip'} 不存在  (file.not_found)")
    code, output = jxc(company, "sop", "load", str(tmp_path))
    assert (code, "是文件夹" in output) == (4, True)

    mapping = tmp_path / "tmall.yaml"
    mapping.write_text("channel: [TMALL\ncolumns: x\n", encoding="utf-8")
    orders = tmp_path / "orders.csv"
    orders.write_text("订单号,SKU,数量\n", encoding="utf-8")
    code, output = jxc(company, "doc", "import-orders", str(orders), "--mapping", str(mapping))
    assert (code, output.strip()) == (
        4,
        "✗ tmall.yaml：第 2 行第 8 列不是有效的 YAML  (file.yaml_syntax)",
    )
    mapping.write_bytes("channel: 天猫".encode("utf-16"))
    code, output = jxc(company, "doc", "import-orders", str(orders), "--mapping", str(mapping))
    assert "tmall.yaml 不是 UTF-8 文本（第 0 字节）；请另存为 UTF-8 编码" in output


def test_a_line_in_short_form_that_cannot_be_read_is_explained_in_the_users_language(company):
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3")
    code, output = jxc(company, *receipt)
    assert code == 2
    assert (
        "✗ --line 的值无效：螺丝-M3：格式应为 商品:数量[@单位成本][:单位[:批次[:生产日期]]]，"
        "例如 螺丝-M3:10@2.5:箱"
    ) in output
    code, output = jxc(company, *receipt, lang="en")
    assert "螺丝-M3: expected ITEM:QUANTITY[@COST][:UNIT[:BATCH[:PRODUCED]]]" in output


def test_a_malformed_database_url_and_a_database_never_initialised_are_named(tmp_path):
    code, output = jxc("nonsense", "check", lang="en")
    assert code == 4
    assert "nonsense is not a database URL" in output

    code, output = jxc(f"sqlite:///{tmp_path / 'new.db'}", "stock", "list")
    assert code == 8
    assert "还没有 JXC 的表；请先运行 jxc init" in output


def test_stock_of_a_warehouse_or_item_that_does_not_exist_is_named_not_shown_empty(company):
    code, output = jxc(company, "stock", "list", "--warehouse", "XX01")
    assert (code, "仓库 XX01 不存在" in output) == (3, True), output
    code, output = jxc(company, "stock", "list", "--item", "NOPE", lang="en")
    assert (code, "Item NOPE does not exist" in output) == (3, True), output
    code, output = jxc(company, "stock", "list", "--warehouse", "WH1")
    assert code == 0, "a real warehouse with no stock is just an empty list"


def test_serving_on_a_port_in_use_says_so_and_never_that_it_started(company):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])

        code, output = jxc(company, "serve", "--port", port)

    assert code == 8, output
    assert f"127.0.0.1:{port} 已被占用：是否已有 JXC 在运行？" in output
    assert "已启动" not in output


def test_listing_an_unknown_document_type_or_warehouse_says_so_instead_of_an_empty_list(company):
    code, output = jxc(company, "doc", "list", "--type", "nonsense")
    assert code == 4, output
    assert "未知的单据类型 nonsense；可选：receipt（入库单）、issue（其他出库单）、" in output

    code, output = jxc(company, "doc", "list", "--warehouse", "XX99")
    assert code == 3, output
    assert "XX99" in output


def test_usage_errors_are_told_in_the_users_language_before_any_command_runs(company):
    for args, expected in (
        (("stock", "item"), "缺少参数 item"),
        (("report", "summary", "--from", "2026-11-01"), "缺少选项 --to"),
        (("doc", "list", "--bogus"), "没有选项 --bogus"),
        (("stok", "list"), "没有命令 stok；是否要用 'stock', 'stocktake'？"),
        (("report", "expiry", "--days", "-5"), "--days 的值无效：-5 小于允许的最小值 0"),
        (("report", "dormant", "--days", "abc"), "--days 的值无效：abc 不是数字"),
        (("audit", "log", "--limit", "9999999"), "9999999 大于允许的最大值 100000"),
        (("audit", "export", "--format", "pdf"), "pdf 不是可选值之一：'xlsx', 'csv'"),
        (("stock", "item", "A", "B", "C"), "多余的参数：C"),
    ):
        code, output = jxc(company, *args)
        assert code == 2, output
        assert expected in output, output
        assert "Error:" not in output

    code, output = jxc(company, "stock", "item", lang="en")
    assert (code, output.splitlines()[0]) == (2, "✗ Missing argument item")
    assert "See jxc stock item --help" in output


def test_a_prompt_left_without_an_answer_is_cancelled_in_the_users_language(company):
    result = runner.invoke(app, ["--db", company, "--lang", "zh-CN", "login", "tester"], input="")

    assert result.exit_code == 1
    assert "已取消，未做任何操作" in result.output
    assert "Traceback" not in result.output


def test_the_negative_stock_switch_is_said_explicitly_never_by_default(company):
    code, output = jxc(company, "warehouse", "negative-stock", "WH1")
    assert code == 2
    assert "缺少选项 --allow" in output
    code, output = jxc(company, "warehouse", "negative-stock", "WH1", "--allow")
    assert code == 0, output
    code, output = jxc(company, "warehouse", "list")
    assert "✓" in output.split("WH1")[1].splitlines()[0]


def test_help_is_written_in_the_users_language(database_url):
    result = runner.invoke(app, ["--lang", "zh-CN", "doc", "create", "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("用法：jxc doc create [OPTIONS]")
    for said in (
        "新建单据：",
        "选项：",
        "参数：",
        "[必填]",
        "显示此帮助后退出。",
        "[默认：no-post]",
    ):
        assert said in result.output
    assert "Options" not in result.output

    english = runner.invoke(app, ["--lang", "en", "doc", "create", "--help"])
    assert english.output.startswith("Usage: jxc doc create [OPTIONS]")
    assert "Create a document:" in english.output
    assert "选项" not in english.output


def test_the_version_is_shown_without_a_database():
    result = runner.invoke(app, ["--db", "sqlite:////nonexistent/dir/x.db", "--version"])
    assert (result.exit_code, result.output.strip()) == (0, f"jxc {__version__}")


def test_a_database_of_an_older_release_is_named_until_init_upgrades_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    older = build(Settings(database_url=url))
    upgrade(older, "0017")
    older.dispose()

    code, output = jxc(url, "stock", "list")
    assert code == 8, output
    assert "的结构版本是 0017，本版 JXC 需要" in output
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    assert runner.invoke(app, ["--db", url, "stock", "list"]).exit_code == 0


def test_the_schema_revision_the_code_expects_is_the_newest_migration():
    assert head_revision() == SCHEMA_REVISION


def test_locations_are_listed_with_their_kind_usage_and_parent_in_the_users_language(company):
    code, output = jxc(company, "location", "add", "WH1", "QC-1", "待检区", "--usage", "qc")
    assert code == 0, output
    code, output = jxc(company, "location", "list", "--warehouse", "WH1")
    assert code == 0, output
    assert "上级库位" in output
    for kind in ("存储库位", "在途", "质检区"):
        assert kind in output
    for code_word in ("internal", "transit", "qc "):
        assert code_word not in output
    code, output = jxc(company, "location", "list", lang="en")
    for english in ("Inventory gain/loss", "Parent location", "Quality check area"):
        assert english in output


def test_sop_show_tells_each_steps_states_effect_and_checks_in_words(company):
    code, output = jxc(company, "sop", "use", "sop")
    assert code == 0, output

    code, output = jxc(company, "sop", "show", "issue")

    assert code == 0, output
    steps = {
        line.split("│")[1].strip(): line for line in output.splitlines() if line.startswith("│")
    }
    assert re.search(r"审核中 +│ 一级已审 .*不能由做过创建、提交的人执行；仅当金额 > 50000", output)
    assert "草稿、已驳回" in steps["提交 (submit)"]
    assert "必填：备注" in steps["提交 (submit)"]
    assert "过账" in steps["执行 (execute)"]
    assert "释放预占" in steps["反审核 (unapprove)"]
    assert "须填写原因" in steps["反审核 (unapprove)"]
    for code_word in ("pending", "rejected", "reserve", "not by", "reason"):
        assert code_word not in output.split("步骤", 1)[1]
    code, output = jxc(company, "sop", "show", "receipt", lang="en")
    assert "Shelf life left ≥ 50%" in output
    assert "Not by whoever did: create, submit" in output
    assert "approve (approve)" not in output
