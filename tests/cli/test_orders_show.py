"""`jxc doc show` and `jxc doc list` name a document's partner and the order it was made from."""

from __future__ import annotations

import re

from tests.cli.conftest import jxc


def test_a_receipt_made_from_a_purchase_order_names_its_supplier_and_its_order(company):
    code, output = jxc(company, "partner", "add", "SUP-1", "螺丝供应商", "--kind", "supplier")
    assert code == 0, output
    code, output = jxc(
        company,
        "doc",
        "create",
        "purchase_order",
        "--warehouse",
        "WH1",
        "--partner",
        "SUP-1",
        "--line",
        "螺丝-M3:10@2",
        "--then",
        "approve",
    )
    assert code == 0, output
    order = re.search(r"CGDD\d+", output).group(0)
    code, output = jxc(company, "doc", "push-down", order)
    assert code == 0, output
    receipt = re.search(r"RK\d+", output).group(0)

    code, output = jxc(company, "doc", "show", receipt)
    assert "往来单位：SUP-1 螺丝供应商" in output
    assert f"源单：{order}" in output
    code, output = jxc(company, "doc", "list", "--type", "receipt")
    assert "螺丝供应商" in output.split(receipt)[1].splitlines()[0]
