"""审计导出 files: whatever a history holds, the file read back hashes to its manifest's digests.

No database: histories are made up by hypothesis (any text, control characters and
formula-like cells included; quantities and money of any size and scale; missing values),
written as XLSX and as a ZIP of CSVs, read back and checked. Changing any one cell must
show in exactly its section.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from jxc.domain.audit_export import ExportScope, Manifest, canonical, check_sections
from jxc.domain.errors import Invalid
from jxc.exports import ExportFormat, history_file, read_history_file
from jxc.queries.audit_export import History
from jxc.queries.documents import DocumentRow, LineRow

EXPORTED_AT = datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC)
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
maybe_texts = st.none() | texts
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6, allow_nan=False
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
moments = st.integers(0, 3 * 10**15).map(lambda micro: EPOCH + timedelta(microseconds=micro))
documents = st.builds(
    DocumentRow,
    number=texts,
    document_type=st.sampled_from(["receipt", "issue", "transfer", "reversal"]),
    state=st.sampled_from(["draft", "posted", "archived"]),
    business_date=days,
    warehouse=texts,
    to_warehouse=maybe_texts,
    lines=st.integers(0, 1000),
    created_by=texts,
    posted_by=maybe_texts,
    reverses=maybe_texts,
    reversed_by=maybe_texts,
    state_since=st.none(),
    note=maybe_texts,
    partner_name=maybe_texts,
    created_at=moments,
    posted_at=st.none() | moments,
)
lines = st.builds(
    LineRow,
    line_no=st.integers(1, 10_000),
    item=texts,
    item_name=texts,
    quantity=amounts,
    unit=texts,
    base_quantity=amounts,
    location=maybe_texts,
    to_location=maybe_texts,
    batch=maybe_texts,
    serials=st.lists(texts, max_size=3),
    unit_cost=st.none() | amounts,
    document=texts,
    production_date=st.none() | days,
    expiry_date=st.none() | days,
)
histories = st.builds(
    History,
    ledger_through=st.integers(0, 10**9),
    audit_through=st.integers(0, 10**9),
    ledger=st.just([]),
    documents=st.lists(documents, max_size=5),
    lines=st.lists(lines, max_size=5),
    events=st.just([]),
)
SCOPE = ExportScope(item="A-1", first_day=date(2026, 1, 1), last_day=date(2026, 3, 31))


def _made(history, export_format):
    return history_file(history, SCOPE, "auditor", EXPORTED_AT, export_format, "zh_CN")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, export_format=st.sampled_from(list(ExportFormat)))
def test_every_history_reads_back_to_the_digests_it_was_written_with(history, export_format):
    file, manifest = _made(history, export_format)
    stated, found = read_history_file(file.content)
    assert stated == manifest
    assert stated.digest == manifest.digest
    assert all(section.matches for section in check_sections(stated, found))
    assert [section.rows for section in manifest.sections] == [
        0,
        len(history.documents),
        len(history.lines),
        0,
    ]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=histories, note=st.text(st.characters(categories=("L", "N", "P", "Zs")), max_size=20)
)
def test_a_note_changed_in_the_xlsx_shows_in_the_documents_section_only(history, note):
    file, manifest = _made(history, ExportFormat.XLSX)
    if not history.documents or canonical(history.documents[0].note) == note:
        return
    book = load_workbook(io.BytesIO(file.content))
    book["单据"].cell(row=2, column=10).value = note or None  # cell(value=None) keeps the old
    out = io.BytesIO()
    book.save(out)
    stated, found = read_history_file(out.getvalue())
    assert [s.name for s in check_sections(stated, found) if not s.matches] == ["documents"]


def _one_document(note):
    """A history of one posted receipt whose note is ``note``."""
    fields = dict.fromkeys(("to_warehouse", "posted_by", "reverses", "reversed_by"))
    receipt = DocumentRow(
        number="RK1",
        document_type="receipt",
        state="posted",
        business_date=date(2026, 1, 2),
        warehouse="WH",
        lines=1,
        created_by="u",
        state_since=None,
        note=note,
        created_at=EXPORTED_AT,
        **fields,
    )
    return History(1, 1, [], [receipt], [], [])


def test_the_csv_keeps_a_formula_as_text_and_gives_it_back_unchanged():
    formula = '=HYPERLINK("http://x")'
    history = _one_document(formula)
    file, manifest = _made(history, ExportFormat.CSV)
    with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
        assert '"\'=HYPERLINK(""http://x"")"' in archive.read("documents.csv").decode()
    stated, found = read_history_file(file.content)
    assert all(section.matches for section in check_sections(stated, found))


def test_a_manifest_is_its_digest_whatever_the_names_of_its_sheets():
    history = History(1, 1, [], [], [], [])
    _, manifest = _made(history, ExportFormat.XLSX)
    renamed = Manifest.from_dict(
        {
            **manifest.as_dict(),
            "sections": [{**section, "parts": ["x"]} for section in manifest.as_dict()["sections"]],
        }
    )
    assert renamed.digest == manifest.digest
    moved = Manifest.from_dict({**manifest.as_dict(), "ledger_through": 2})
    assert moved.digest != manifest.digest


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("12.500000"), "12.5"),
        (Decimal("100"), "100"),
        (Decimal("-0.000"), "0"),
        (12.5, "12.5"),
        (1e-06, "0.000001"),
        (date(2026, 1, 2), "2026-01-02"),
        (datetime(2026, 1, 2), "2026-01-02"),  # noqa: DTZ001 a worksheet's date cell read back
        (None, ""),
    ],
)
def test_canonical_text_is_the_same_written_or_read_back(value, text):
    assert canonical(value) == text


def test_a_long_cell_is_refused_for_xlsx_naming_its_row_but_csv_keeps_it():
    history = _one_document("长" * 40_000)
    with pytest.raises(Invalid) as error:
        _made(history, ExportFormat.XLSX)
    assert (error.value.code, error.value.params["section"], error.value.params["row"]) == (
        "audit_export.cell_too_long",
        "documents",
        2,
    )
    file, _ = _made(history, ExportFormat.CSV)
    stated, found = read_history_file(file.content)
    assert all(section.matches for section in check_sections(stated, found))
