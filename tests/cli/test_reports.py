"""`jxc report`: each report on screen and as CSV / XLSX files with Chinese headings."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from openpyxl import load_workbook

from tests.cli.conftest import jxc

TODAY = datetime.now(UTC).date()  # every document is dated so: a run may pass midnight


def stocked(database_url: str) -> None:
    for args in (
        ("doc", "create", "receipt", "--warehouse", "WH1", "--line", "螺丝-M3:30", "--post"),
        ("doc", "create", "issue", "--warehouse", "WH1", "--line", "螺丝-M3:4", "--post"),
        (
            "doc",
            "create",
            "transfer",
            "--warehouse",
            "WH1",
            "--to-warehouse",
            "WH2",
            "--line",
            "螺丝-M3:6",
            "--post",
        ),
    ):
        code, output = jxc(database_url, *args, "--date", str(TODAY))
        assert code == 0, output


def test_the_summary_shows_in_out_and_closing_in_chinese(company):
    stocked(company)

    code, output = jxc(company, "report", "summary", "--from", str(TODAY), "--to", str(TODAY))

    assert code == 0, output
    assert "期初数量" in output
    assert "期末数量" in output
    assert "合计" in output
    row = next(line for line in output.splitlines() if "螺丝-M3" in line)
    assert "30" in row
    assert "20" in row  # 30 in, 4 issued, 6 sent: 20 left


def test_the_summary_exports_xlsx_and_csv_with_chinese_headers(company, tmp_path):
    stocked(company)
    path = tmp_path / "summary.xlsx"
    period = ("--from", str(TODAY), "--to", str(TODAY))

    code, output = jxc(company, "report", "summary", *period, "--format", "xlsx", "-o", str(path))
    assert code == 0, output
    sheet = load_workbook(path).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:2] == ("仓库", "商品")
    assert "期初金额" in header
    assert "期末金额" in header
    assert rows[-1][0] == "合计"

    code, output = jxc(company, "report", "summary", *period, "--format", "csv")
    assert code == 0, output
    lines = output.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("仓库,商品")
    assert any(line.startswith("WH1,螺丝-M3") for line in lines)


def test_the_stock_list_and_the_item_ledger_export_like_every_report(company, tmp_path):
    stocked(company)
    code, output = jxc(company, "report", "stock", "--warehouse", "WH1", "--format", "csv")
    assert code == 0, output
    lines = output.lstrip("\ufeff").splitlines()
    assert lines == ["商品,名称,仓库,库位,批次,有效期至,现存量,预占,可用库存,单位", lines[1]]
    assert lines[1].startswith("螺丝-M3,螺丝 M3,WH1,STOCK,,,20,0,20,")

    path = tmp_path / "ledger.xlsx"
    code, output = jxc(company, "ledger", "螺丝-M3", "--format", "xlsx", "-o", str(path))
    assert code == 0, output
    header, *rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert header[7:10] == ("入库", "出库", "结存")
    assert [row[7:10] for row in rows][:2] == [(30, None, 30), (None, 4, 26)]


def test_a_reversed_period_exits_4_naming_both_days(company):
    code, output = jxc(company, "report", "summary", "--from", "2026-10-31", "--to", "2026-10-01")
    assert code == 4
    assert "2026-10-31" in output
    assert "report.range_reversed" in output
    code, output = jxc(
        company, "report", "summary", "--from", "2024-01-01", "--to", "2026-01-01", lang="en"
    )
    assert code == 4
    assert "longer than 366 days" in output


def test_an_unknown_warehouse_exits_3(company):
    code, output = jxc(company, "report", "ageing", "--warehouse", "NOWHERE")
    assert code == 3, output


def test_ageing_dormant_expiry_and_in_transit_run_and_export(company, tmp_path):
    stocked(company)

    code, output = jxc(company, "report", "ageing")
    assert code == 0, output
    code, output = jxc(company, "report", "ageing", "--format", "csv")
    assert code == 0, output
    header, row, total = output.lstrip("\ufeff").splitlines()
    assert "0–30天数量" in header
    assert row.startswith("WH1,螺丝-M3")
    assert total.startswith("合计")
    code, output = jxc(company, "report", "dormant", "--days", "0", lang="en")
    assert code == 0, output
    assert "螺丝-M3" in output
    code, output = jxc(company, "report", "expiry", "--days", "30")
    assert code == 0, output
    code, output = jxc(company, "report", "in-transit", "--format", "csv")
    assert code == 0, output
    body = output.lstrip("\ufeff").splitlines()
    assert body[0].startswith("单据")
    assert "WH1,WH2" in body[1]
    code, output = jxc(company, "report", "in-transit")
    assert code == 0, output
    assert re.search(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b", output), output
    assert "+00:00" not in output
    path = tmp_path / "ageing.xlsx"
    code, output = jxc(company, "report", "ageing", "--format", "xlsx", "--output", str(path))
    assert code == 0, output
    header = next(load_workbook(io.BytesIO(path.read_bytes())).active.iter_rows(values_only=True))
    assert "365天以上金额" in header


def test_stock_status_and_the_item_ledger_are_reports_too(company):
    stocked(company)
    code, output = jxc(company, "report", "stock", "--warehouse", "WH1")
    assert code == 0, output
    assert "螺丝-M3" in output
    code, output = jxc(company, "report", "ledger", "螺丝-M3", "--warehouse", "WH1")
    assert code == 0, output
    assert re.search(r"│ 供应商 +│ WH1/STOCK +│", output), output  # a virtual place by its name
    assert "SUPPLIER" not in output
    code, output = jxc(company, "report", "ledger", "螺丝-M3", lang="en")
    assert re.search(r"│ Suppliers +│ WH1/STOCK +│", output), output


def test_a_report_to_a_missing_folder_is_refused_naming_it(company, tmp_path):
    missing = tmp_path / "nodir" / "x.csv"
    period = ("--from", str(TODAY), "--to", str(TODAY))

    code, output = jxc(company, "report", "summary", *period, "--format", "csv", "-o", str(missing))

    assert code == 4, output
    assert f"无法写入 {missing}：文件夹 {missing.parent} 不存在" in output
