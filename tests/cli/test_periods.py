"""`jxc period close / list / reopen` and `jxc stock as-of` on the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.cli.conftest import jxc


def test_closing_last_month_refuses_postings_into_it_until_an_admin_reopens_it(company):
    last_day = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    month = f"{last_day:%Y-%m}"
    receipt = ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:2:箱")
    code, output = jxc(company, *receipt, "--date", last_day.isoformat(), "--post")
    assert code == 0, output

    code, output = jxc(company, "stock", "as-of", last_day.isoformat(), "--item", "螺丝-M3")
    assert f"{last_day} 日终库存（之前没有已结账月份，按全部流水累计）" in output

    code, output = jxc(company, "period", "close", month)
    assert (code, f"{month} 已结账" in output) == (0, True), output
    code, output = jxc(company, *receipt, "--date", last_day.isoformat(), "--post")
    assert code == 4
    assert f"位于已结账期间 {month}" in output
    code, output = jxc(company, *receipt, "--date", last_day.isoformat(), lang="en")
    assert f"lies in the closed period {month}" in output

    code, output = jxc(company, "stock", "as-of", last_day.isoformat(), "--item", "螺丝-M3")
    assert code == 0, output
    assert f"自 {month} 期末快照起算" in output
    assert "24" in output.split("螺丝-M3")[-1]

    code, output = jxc(company, "period", "reopen", month)
    assert (code, "需要填写原因" in output) == (4, True), output
    code, output = jxc(company, "period", "reopen", month, "--reason", "补录")
    assert code == 0, output
    code, output = jxc(company, "period", "list", lang="en")
    assert month in output
    assert "补录" in output
    code, output = jxc(company, "period", "close", "2026-13")
    assert (code, "不是月份" in output) == (4, True)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    code, output = jxc(company, "stock", "as-of", tomorrow.isoformat())
    assert (code, f"{tomorrow} 晚于今天" in output) == (4, True), output
    code, output = jxc(company, "stock", "as-of", "2026-02-30", lang="en")
    assert (code, "DAY: 2026-02-30 is not a date (use YYYY-MM-DD)" in output) == (4, True)
    code, output = jxc(company, "stock", "as-of", last_day.isoformat(), "--warehouse", "XX01")
    assert (code, "仓库 XX01 不存在" in output) == (3, True), output
