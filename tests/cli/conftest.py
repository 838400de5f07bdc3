"""The `jxc` command run in-process, acting as the test databases' admin."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from jxc.cli.main import app
from tests.conftest import TESTER, TESTER_PASSWORD

runner = CliRunner()


def jxc(database_url: str, *args: str, lang: str = "zh-CN") -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["--db", database_url, "--lang", lang, "--user", TESTER, *args],
        env={"JXC_PASSWORD": TESTER_PASSWORD},
    )
    return result.exit_code, result.output


@pytest.fixture
def company(database_url: str) -> str:
    for args in (
        ("warehouse", "add", "WH1", "一号仓"),
        ("warehouse", "add", "WH2", "二号仓"),
        (
            "item",
            "add",
            "螺丝-M3",
            "螺丝 M3",
            "--unit",
            "个",
            "--conversion",
            "箱=12",
            "--barcode",
            "6901234567892",
        ),
        (
            "item",
            "add",
            "MILK",
            "牛奶 1L",
            "--unit",
            "瓶",
            "--tracking",
            "batch",
            "--shelf-life",
            "30",
        ),
    ):
        code, output = jxc(database_url, *args)
        assert code == 0, output
    return database_url
