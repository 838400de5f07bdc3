"""`jxc stocktake`: a count planned, frozen, counted, recounted and approved from the shell."""

from __future__ import annotations

import re

from jxc.cli.main import app
from tests.builders import PASSWORD
from tests.cli.conftest import jxc, runner
from tests.conftest import TESTER, TESTER_PASSWORD


def as_user(database_url: str, user: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["--db", database_url, "--lang", "zh-CN", "--user", user, *args],
        env={"JXC_PASSWORD": PASSWORD},
    )
    return result.exit_code, result.output


def a_clerk(database_url: str, username: str) -> None:
    result = runner.invoke(
        app,
        ["--db", database_url, "--user", TESTER, "user", "add", username, "盘点员"]
        + ["--role", "warehouse_clerk@WH1"],
        env={"JXC_PASSWORD": TESTER_PASSWORD},
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output


def test_a_stocktake_from_plan_to_gain_and_loss(company):
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:10@2")
    code, output = jxc(company, *receipt, "--post")
    assert code == 0, output
    code, output = jxc(company, "partner", "add", "C1", "客户一")
    assert code == 0, output
    order = ("doc", "create", "sales_order", "--warehouse", "WH1", "--partner", "C1")
    code, output = jxc(company, *order, "--line", "螺丝-M3:9@5", "--then", "approve")
    assert code == 0, output
    sales_order = re.search(r"XSDD\d{12}", output).group(0)
    a_clerk(company, "clerk1")
    a_clerk(company, "clerk2")
    code, output = jxc(company, "stocktake", "plan", "--warehouse", "WH1", "--tolerance", "10")
    assert code == 0, output
    number = re.search(r"PD\d{12}", output).group(0)
    assert "已计划" in output
    code, output = jxc(company, "stocktake", "start", number)
    assert "盘点中，1 行" in output

    code, output = as_user(company, "clerk1", "stocktake", "show", number)
    assert code == 0, output
    assert "账面数量" not in output  # blind
    code, output = as_user(company, "clerk1", "stocktake", "count", number, "--scan", "螺丝-M3:-2")
    assert code == 4
    assert "实盘数量不能为负数" in output
    code, output = as_user(company, "clerk1", "stocktake", "count", number, "--scan", "螺丝-M3:7")
    assert code == 0, output
    code, output = as_user(company, "clerk1", "stocktake", "hand-in", number)
    assert "1 行差异超出容差" in output
    code, output = as_user(company, "clerk1", "stocktake", "count", number, "--scan", "螺丝-M3:8")
    assert code == 4
    assert "复盘须由另一人完成" in output
    code, output = as_user(company, "clerk2", "stocktake", "count", number, "--scan", "螺丝-M3:8")
    assert code == 0, output
    code, output = as_user(company, "clerk2", "stocktake", "approve", number)
    assert code == 6  # a clerk does not approve

    code, output = jxc(company, "stocktake", "approve", number)
    assert code == 0, output
    assert "盘亏: CK" in output
    # 2 are gone and only 1 was free: the order's newest hold gives back the other
    assert re.search(rf"盘亏释放 {sales_order} 的预占：螺丝-M3@\S+ × 1\n", output), output

    code, output = jxc(company, "stocktake", "show", number)
    assert "账面数量" in output
    assert "-2" in output
    assert re.search(r"盘亏: CK\d{12}", output), output  # the document it posted
    code, output = jxc(company, "stock", "item", "螺丝-M3", "WH1")
    assert code == 0, output
    assert re.search(r"\b8\b", output)
    code, output = jxc(company, "stocktake", "list")
    assert number in output
    assert "已审核" in output


def test_goods_of_a_batch_the_books_never_had_are_counted_with_its_expiry(company):
    code, output = jxc(company, "stocktake", "plan", "--warehouse", "WH1")
    assert code == 0, output
    number = re.search(r"PD\d{12}", output).group(0)
    jxc(company, "stocktake", "start", number)
    found = ("stocktake", "count", number, "--scan", "MILK:6:B0601")

    code, output = jxc(company, *found)
    assert code == 4
    assert "商品 MILK 的批次 B0601 需要生产日期或有效期至" in output
    code, output = jxc(company, *found, "--expiry", "2026-13-01")
    assert code == 4
    assert "有效期至：2026-13-01 不是有效日期（格式 YYYY-MM-DD）" in output
    # the expiry is the new batch's: the screws on the same command have none to take
    code, output = jxc(company, *found, "--scan", "螺丝-M3:1", "--expiry", "2027-06-01")
    assert code == 0, output

    code, output = jxc(company, "stocktake", "show", number)
    assert re.search(r"MILK.*B0601.*\b6\b", output), output


def test_serial_goods_are_counted_by_their_serials(company, tmp_path):
    code, output = jxc(
        company, "item", "add", "PUMP-1", "离心水泵", "--unit", "台", "--tracking", "serial"
    )
    assert code == 0, output
    lines = tmp_path / "pumps.csv"
    lines.write_text("商品,数量,序列号\nPUMP-1,2,SN-1;SN-2\n", encoding="utf-8")
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--post")
    code, output = jxc(company, *receipt, "--file", str(lines))
    assert code == 0, output
    code, output = jxc(company, "stocktake", "plan", "--warehouse", "WH1")
    number = re.search(r"PD\d{12}", output).group(0)
    code, output = jxc(company, "stocktake", "start", number)
    assert code == 0, output

    code, output = jxc(company, "stocktake", "count", number, "--scan", "PUMP-1:2")
    assert code == 4
    assert "按序列号盘点" in output
    count = ("stocktake", "count", number, "--add", "--scan")
    code, output = jxc(company, *count, "PUMP-1:1::SN-1")
    assert code == 0, output
    code, output = jxc(company, *count, "PUMP-1:1::SN-1")
    assert code == 4
    assert "SN-1 已盘点过" in output


def test_show_warns_of_an_expired_batch_found_on_the_shelf(company):
    code, output = jxc(company, "stocktake", "plan", "--warehouse", "WH1")
    number = re.search(r"PD\d{12}", output).group(0)
    jxc(company, "stocktake", "start", number)
    found = ("stocktake", "count", number, "--scan", "MILK:6:B0101", "--expiry", "2025-01-31")
    code, output = jxc(company, *found)
    assert code == 0, output

    code, output = jxc(company, "stocktake", "show", number)
    assert "⚠ MILK@STOCK/B0101  批次 B0101 已于 2025-01-31 过期：请隔离存放，不可销售" in output
    code, output = jxc(company, "stocktake", "show", number, lang="en")
    assert "Batch B0101 expired on 2025-01-31: set it aside, not for sale" in output
