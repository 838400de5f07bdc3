"""`jxc replenish` and `jxc alerts`: levels set, alerts shown and published, drafts made."""

from __future__ import annotations

from tests.cli.conftest import jxc


def test_levels_alerts_and_accepted_suggestions_from_the_shell(company):
    code, output = jxc(
        company,
        "doc",
        "create",
        "receipt",
        "--warehouse",
        "WH2",
        "--line",
        "螺丝-M3:50@2",
        "--post",
    )
    assert code == 0, output
    code, output = jxc(
        company,
        *("replenish", "levels", "螺丝-M3", "--warehouse", "WH1"),
        *("--safety", "5", "--reorder", "10", "--max", "30"),
    )
    assert code == 0, output
    assert "再订货点 10" in output
    jxc(
        company,
        *("replenish", "levels", "螺丝-M3", "--warehouse", "WH2"),
        "--reorder",
        "20",
        "--max",
        "60",
    )
    code, output = jxc(company, "alerts")
    assert code == 0, output
    assert "低于安全库存" in output
    code, output = jxc(company, "alerts", "publish")
    assert code == 0, output
    assert "1" in output
    code, output = jxc(company, "replenish", "suggest", "--warehouse", "WH1")
    assert code == 0, output
    assert "从 WH2 调拨" in output
    code, output = jxc(company, "replenish", "accept", "--warehouse", "WH1", "--request-id", "r1")
    assert code == 0, output
    assert "已生成 1 张草稿单据" in output
    code, output = jxc(company, "replenish", "accept", "--warehouse", "WH1")
    assert code == 5, output


def test_levels_below_each_other_exit_as_invalid_naming_the_field(company):
    code, output = jxc(
        company,
        *("replenish", "levels", "螺丝-M3", "--warehouse", "WH1"),
        *("--safety", "5", "--reorder", "10", "--max", "8"),
        lang="en",
    )
    assert code == 4, output
    assert "/max_quantity" in output
    assert "below the reorder point" in output
