"""审计导出: a scope's whole history to XLSX or CSV, and `verify-export` catching any change."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from jxc.domain.audit_export import ExportScope
from jxc.domain.errors import Forbidden, Invalid, NotFound
from jxc.exports import ExportFormat
from jxc.queries import audit
from jxc.queries import audit_export as queries
from jxc.services import audit_exports, documents
from tests.builders import a_user, a_warehouse, an_item, create, refused, unique

XLSX, CSV = ExportFormat.XLSX, ExportFormat.CSV


@pytest.fixture
def history(app):
    """A batch item and a serial item received, moved, issued and a mistake reversed."""
    main, other = a_warehouse(app), a_warehouse(app)
    glue = an_item(app, unique("胶水"), tracking="batch", shelf_life_days=365).code
    pump = an_item(app, unique("泵"), base_unit="台", tracking="serial").code
    serial = unique("SN")
    batch = {"batch": "G1", "production_date": "2026-09-01"}
    received = create(
        app,
        "receipt",
        main,
        {"item": glue, "quantity": "10", "unit_cost": "2.5", **batch},
        {
            "item": glue,
            "quantity": "4",
            "unit_cost": "3",
            "batch": "G2",
            "production_date": "2026-09-02",
        },
        {"item": pump, "quantity": "1", "unit_cost": "800", "serials": [serial]},
        business_date="2026-10-01",
        note='=HYPERLINK("http://x")',  # a formula must stay text in both formats
    )
    moved = create(
        app,
        "transfer",
        main,
        {"item": glue, "quantity": "3", "batch": "G1"},
        {"item": pump, "quantity": "1", "serials": [serial]},
        to_warehouse=other,
        business_date="2026-10-02",
    )
    documents.receive(app.uow(), "tester", moved.number)
    wrong = create(
        app,
        "issue",
        main,
        {"item": glue, "quantity": "2", "batch": "G1"},
        business_date="2026-10-03",
    )
    reversal = documents.reverse(app.uow(), "tester", wrong.number, post=True)
    draft = create(app, "issue", main, {"item": glue, "quantity": "1", "batch": "G2"}, post=False)
    return {
        "auditor": a_user(app, unique("auditor"), "auditor"),
        "glue": glue,
        "pump": pump,
        "serial": serial,
        "received": received.number,
        "wrong": wrong.number,
        "reversal": reversal.number,
        "draft": draft.number,
    }


def export(app, scope, export_format=XLSX, actor="tester"):
    return audit_exports.export_history(app.uow(), actor, scope, export_format, "zh_CN")


def sheets(content):
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def test_an_item_export_holds_its_ledger_documents_lines_and_their_audit_events(app, history):
    file, manifest = export(app, ExportScope(item=history["glue"]))
    book = sheets(file.content)
    assert list(book) == ["导出说明", "库存流水", "单据", "单据明细", "操作日志"]
    ledger = book["库存流水"]
    assert ledger[0][:5] == ["序号", "业务日期", "时间", "单据编号", "单据类型"]
    # receipt G1 + G2, the transfer's two postings of G1, the wrong issue and its reversal
    assert [row[3] for row in ledger[1:]].count(history["received"]) == 2
    assert {row[3] for row in ledger[1:]} == {
        history["received"],
        history["wrong"],
        history["reversal"],
        *[row[3] for row in ledger[1:] if row[3].startswith("DB")],
    }
    assert len(ledger) - 1 == 6
    assert sum(
        Decimal(str(row[12])) for row in ledger[1:] if row[3] == history["received"]
    ) == Decimal("37")  # 10 × 2.5 + 4 × 3
    numbers = [row[0] for row in book["单据"][1:]]
    assert history["draft"] in numbers  # a draft moved nothing yet, but is part of the history
    assert len(numbers) == 5
    lines = book["单据明细"][1:]
    assert {row[2] for row in lines} == {history["glue"]}  # only this item's lines
    events = book["操作日志"][1:]
    subjects = {row[4] for row in events}
    assert {history["received"], history["reversal"], history["draft"], history["glue"]} <= subjects
    assert all(len(row[9]) == 64 for row in events)  # each event's seal
    stated = {section.name: section.rows for section in manifest.sections}
    assert stated == {
        "ledger": 6,
        "documents": 5,
        "document_lines": len(lines),
        "audit_events": len(events),
    }


def test_a_batch_export_holds_only_that_batch(app, history):
    file, manifest = export(app, ExportScope(item=history["glue"], batch="G2"))
    book = sheets(file.content)
    assert {row[6] for row in book["库存流水"][1:]} == {"G2"}
    assert {row[9] for row in book["单据明细"][1:]} == {"G2"}
    assert [row[0] for row in book["单据"][1:]] == [history["received"], history["draft"]]


def test_a_serial_export_follows_the_serial_across_warehouses(app, history):
    file, manifest = export(app, ExportScope(serial=history["serial"]), CSV)
    with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
        ledger = list(csv.reader(io.StringIO(archive.read("ledger.csv").decode("utf-8-sig"))))
        found = json.loads(archive.read("manifest.json"))
    assert [row[7] for row in ledger[1:]] == [history["serial"]] * 3  # received, shipped, arrived
    assert found["scope"] == {"serial": history["serial"]}
    assert file.filename.endswith(".zip")


def test_a_date_range_export_holds_every_document_of_those_days(app, history):
    file, manifest = export(
        app, ExportScope(first_day=date(2026, 10, 2), last_day=date(2026, 10, 3))
    )
    book = sheets(file.content)
    numbers = {row[0] for row in book["单据"][1:]}
    assert {history["wrong"]} <= numbers
    assert history["received"] not in numbers  # dated 1 October
    assert all(
        date(2026, 10, 2) <= row[1].date() <= date(2026, 10, 3) for row in book["库存流水"][1:]
    )


@pytest.mark.parametrize("export_format", [XLSX, CSV])
def test_an_export_verifies_and_its_digest_is_on_the_audit_trail(app, history, export_format):
    auditor = history["auditor"]
    file, manifest = export(app, ExportScope(item=history["glue"]), export_format, actor=auditor)
    check = audit_exports.verify_export(app.uow(), auditor, file.content)
    assert check.ok, check
    assert check.digest == manifest.digest
    assert check.recorded_by == auditor
    with app.reader() as connection:
        event = audit.log(connection, action="audit.export", limit=1)[-1]
    assert (event.subject, event.sequence) == (manifest.digest, check.recorded_sequence)
    assert json.loads(event.payload)["rows"]["ledger"] == 6


def _edited_xlsx(content, title, row, column, value):
    book = load_workbook(io.BytesIO(content))
    book[title].cell(row=row, column=column).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_quantity_changed_in_the_xlsx_is_caught_in_its_section(app, history):
    file, _ = export(app, ExportScope(item=history["glue"]))
    changed = _edited_xlsx(file.content, "库存流水", 2, 11, 9)
    check = audit_exports.verify_export(app.uow(), "tester", changed)
    assert not check.ok
    assert [section.name for section in check.sections if not section.matches] == ["ledger"]
    assert check.recorded_sequence is not None  # the manifest itself is untouched


def test_a_row_deleted_from_the_csv_is_caught_with_both_row_counts(app, history):
    file, _ = export(app, ExportScope(item=history["glue"]), CSV)
    source = zipfile.ZipFile(io.BytesIO(file.content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            if name == "audit_events.csv":
                data = b"\r\n".join(data.split(b"\r\n")[:-2] + [b""])
            archive.writestr(name, data)
    check = audit_exports.verify_export(app.uow(), "tester", out.getvalue())
    events = next(section for section in check.sections if section.name == "audit_events")
    assert (events.matches, events.rows_found, events.rows_stated) == (
        False,
        events.rows_stated - 1,
        events.rows_stated,
    )


def test_a_manifest_rewritten_to_match_edited_rows_is_not_on_record(app, history):
    file, manifest = export(app, ExportScope(item=history["glue"]), CSV)
    source = zipfile.ZipFile(io.BytesIO(file.content))
    stated = json.loads(source.read("manifest.json"))
    stated["exported_by"] = "someone-else"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            archive.writestr(name, json.dumps(stated) if name == "manifest.json" else data)
    check = audit_exports.verify_export(app.uow(), "tester", out.getvalue())
    assert check.rows_intact
    assert check.recorded_sequence is None
    assert not check.ok


def test_exporting_needs_the_audit_read_permission_and_records_nothing_when_refused(app, history):
    clerk = a_user(app, unique("clerk"), "warehouse_clerk")
    with refused(app, Forbidden):
        export(app, ExportScope(item=history["glue"]), actor=clerk)


@pytest.mark.parametrize(
    ("scope", "code"),
    [
        (ExportScope(), "audit_export.scope_required"),
        (ExportScope(batch="G1"), "audit_export.batch_needs_item"),
        (ExportScope(first_day=date(2026, 10, 1)), "audit_export.days_required"),
        (
            ExportScope(first_day=date(2026, 1, 1), last_day=date(2027, 6, 30)),
            "audit_export.range_too_long",
        ),
        (
            ExportScope(first_day=date(2026, 10, 9), last_day=date(2026, 10, 1)),
            "date.range_reversed",
        ),
    ],
)
def test_a_scope_that_names_nothing_readable_is_refused_and_records_nothing(app, scope, code):
    with refused(app, Invalid) as error:
        export(app, scope)
    assert error.value.code == code


def test_an_unknown_item_batch_or_serial_is_named_and_records_nothing(app, history):
    for scope, code in (
        (ExportScope(item="NO-SUCH"), "item.unknown"),
        (ExportScope(item=history["glue"], batch="G9"), "batch.unknown"),
        (ExportScope(serial="SN-NONE"), "serial.unknown"),
    ):
        with refused(app, NotFound) as error:
            export(app, scope)
        assert error.value.code == code


def test_a_file_that_is_no_export_is_refused_by_name(app):
    for content in (b"not a file at all", _plain_xlsx()):
        with pytest.raises(Invalid) as error:
            audit_exports.verify_export(app.uow(), "tester", content)
        assert error.value.code == "audit_export.not_an_export"


def _plain_xlsx():
    book = Workbook()
    book.active.append(["just", "a", "sheet"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_section_beyond_the_limit_is_refused_naming_it(app, history):
    with app.reader() as connection, pytest.raises(Invalid) as error:
        queries.history(connection, ExportScope(item=history["glue"]), UTC, limit=5)
    assert error.value.code == "audit_export.too_many_rows"
    assert (error.value.params["section"], error.value.params["rows"]) == ("ledger", 6)


def test_a_line_that_left_its_batch_to_fefo_is_in_that_batchs_history(app):
    warehouse = a_warehouse(app)
    glue = an_item(app, unique("胶水"), tracking="batch", shelf_life_days=365).code
    batch = {"batch": "B1", "production_date": "2026-09-01"}
    create(app, "receipt", warehouse, {"item": glue, "quantity": "5", "unit_cost": "1", **batch})
    picked = create(app, "issue", warehouse, {"item": glue, "quantity": "2"})  # FEFO: B1
    file, _ = export(app, ExportScope(item=glue, batch="B1"), CSV)
    with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
        lines = list(
            csv.reader(io.StringIO(archive.read("document_lines.csv").decode("utf-8-sig")))
        )
    assert picked.number in [row[0] for row in lines[1:]]
