"""`jxc audit export` writes the file and says its digest; `verify-export` exits 1 on a change."""

from __future__ import annotations

import zipfile

from tests.cli.conftest import jxc
from tests.cli.test_reports import stocked


def test_an_item_history_is_written_verified_and_a_changed_copy_exits_1(company, tmp_path):
    stocked(company)
    written = tmp_path / "screws.zip"
    code, output = jxc(
        company, "audit", "export", "--item", "螺丝-M3", "--format", "csv", "-o", str(written)
    )
    assert code == 0, output
    assert f"审计导出已写入 {written}" in output
    assert "库存流水：3 行" in output

    code, output = jxc(company, "audit", "verify-export", str(written))
    assert code == 0, output
    assert "审计导出完好" in output

    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(changed, "w") as copy:
        for name in source.namelist():
            data = source.read(name)
            copy.writestr(name, data.replace(b",30,", b",300,") if name == "ledger.csv" else data)
    code, output = jxc(company, "audit", "verify-export", str(changed), lang="en")
    assert code == 1
    assert "✗ Ledger entries: changed since export (rows now 3, exported 3)" in output
    assert "✓ Documents" in output


def test_an_export_without_a_scope_exits_4_naming_what_to_give(company):
    code, output = jxc(company, "audit", "export")
    assert code == 4, output
    assert "audit_export.scope_required" in output


def test_an_export_to_a_path_that_cannot_take_it_is_refused_before_anything_is_recorded(
    company, tmp_path
):
    stocked(company)
    code, before = jxc(company, "audit", "log", "--action", "audit.export")
    assert code == 0, before

    for path, message in (
        (tmp_path / "no-such-folder" / "a.xlsx", f"文件夹 {tmp_path / 'no-such-folder'} 不存在"),
        (tmp_path, f"{tmp_path} 是文件夹"),
    ):
        code, output = jxc(company, "audit", "export", "--item", "螺丝-M3", "-o", str(path))
        assert code == 4, output
        assert message in output
        assert "Traceback" not in output

    jxc(company, "audit", "export", "--item", "螺丝-M3", "-o", str(tmp_path / "a.xlsx"))
    code, after = jxc(company, "audit", "log", "--action", "audit.export")
    assert code == 0, after
    assert after.count("审计导出") == before.count("审计导出") + 1, (
        "only the written one is on record"
    )
