"""Every list as a file: XLSX (openpyxl) or CSV, its columns named in the user's language.

One column set per list, shared by the web pages and the API, so a list and its export
never disagree. Numbers stay exact (``Decimal`` cells, not floats); dates stay dates.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from jxc.domain.audit_export import (
    FORMAT_NAME,
    SECTIONS,
    ExportScope,
    Manifest,
    Section,
    SectionDigest,
    canonical,
)
from jxc.domain.errors import Invalid
from jxc.domain.quantities import normalized
from jxc.i18n.messages import event_details_text, event_subject, translate, vocabulary
from jxc.queries.audit_export import History
from jxc.queries.reports import AGE_BUCKETS

XLSX_MAX_ROWS = 1_048_576  # a worksheet's limit, the header row included
XLSX_MAX_CELL = 32_767  # characters in one cell
# A spreadsheet runs a cell that starts like a formula: text from users is kept as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.XLSX:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "text/csv; charset=utf-8"


Namer = Callable[[Any, str], str]  # (a stored code, locale) → its name in that language


@dataclass(frozen=True)
class Column:
    label: str  # a label code (label.item …), named in the reader's language
    value: Callable[[Any], Any]
    named: Namer | None = None  # for a code shown by its name (a state, an action)


def attribute(name: str) -> Callable[[Any], Any]:
    return lambda row: getattr(row, name)


def _in(prefix: str) -> Namer:
    return lambda code, locale: vocabulary(prefix, code, locale)


def _columns(*spec: tuple[str, str] | tuple[str, str, Namer]) -> tuple[Column, ...]:
    return tuple(
        Column(label, attribute(name), named[0] if named else None) for label, name, *named in spec
    )


DOCUMENTS = _columns(
    ("label.document", "number"),
    ("label.type", "kind", _in("document_type.")),
    ("label.state", "state", _in("state.")),
    ("label.date", "business_date"),
    ("label.warehouse", "warehouse"),
    ("label.to_warehouse", "to_warehouse"),
    ("label.partner", "partner_name"),
    ("label.line_count", "lines"),
    ("label.user", "created_by"),
    ("label.web_note", "note"),
)
_LISTED = _columns(
    ("label.document", "number"),
    ("label.type", "kind", _in("document_type.")),
    ("label.state", "state", _in("state.")),
    ("label.date", "business_date"),
    ("label.warehouse", "warehouse"),
    ("label.partner", "partner_name"),
)
ORDERS_IN_PROGRESS = (
    *_LISTED,
    *_columns(
        ("label.progress", "progress_label", translate),
        ("label.ordered", "ordered"),
        ("label.done_quantity", "done"),
        ("label.open_on_order", "open"),
        ("label.unit", "unit"),
    ),
)
AWAITING_QC = (
    *_LISTED,
    *_columns(
        ("document_type.purchase_order", "order"),
        ("label.received_into_qc", "received"),
        ("label.waiting_in_qc", "waiting"),
    ),
)
RETURNS = (
    *_LISTED,
    *_columns(("label.returned_against", "returns"), ("label.quantity", "quantity")),
)
STOCK = _columns(
    ("label.item", "item"),
    ("label.name", "item_name"),
    ("label.warehouse", "warehouse"),
    ("label.location", "location"),
    ("label.batch", "batch"),
    ("label.expiry", "expiry_date"),
    ("label.on_hand", "on_hand"),
    ("label.reserved", "reserved"),
    ("label.available", "available"),
    ("label.unit", "unit"),
)
MOVEMENTS = _columns(
    ("label.sequence", "sequence"),
    ("label.date", "business_date"),
    ("label.document", "document"),
    ("label.type", "document_type", _in("document_type.")),
    ("label.item", "item"),
    ("label.batch", "batch"),
    ("label.serial", "serial"),
    ("label.from", "from_location", _in("place.")),
    ("label.to", "to_location", _in("place.")),
    ("label.quantity", "quantity"),
    ("label.value", "value"),
    ("label.partner", "partner"),
    ("label.user", "user"),
    ("label.time", "recorded_at"),
)
LEDGER = (
    *MOVEMENTS[:7],
    Column("label.in", lambda row: row.change if row.change > 0 else None),
    Column("label.out", lambda row: -row.change if row.change < 0 else None),
    Column("label.balance", attribute("balance")),
    *MOVEMENTS[10:],
)
PARTNERS = _columns(
    ("label.code", "code"),
    ("label.name", "name"),
    ("label.kind", "kind", _in("partner_kind.")),
    ("label.contact", "contact"),
    ("label.phone", "phone"),
    ("label.default_warehouse", "default_warehouse"),
    ("label.channel_kind", "channel_kind", _in("channel_kind.")),
    ("label.platform", "platform"),
    ("label.sells_from", "warehouses"),
    ("label.safety_buffer", "safety_buffer"),
)
SELLABLE = _columns(
    ("label.item", "item"),
    ("label.name", "item_name"),
    ("label.available", "available"),
    ("label.safety_buffer", "buffer"),
    ("label.sellable", "sellable"),
    ("label.unit", "unit"),
)
STOCKTAKES = _columns(
    ("label.stocktake", "number"),
    ("label.warehouse", "warehouse"),
    ("label.state", "state", _in("state.")),
    ("label.line_count", "lines"),
    ("label.counted_lines", "counted"),
    ("label.recounts", "recounts"),
    ("label.count_gain", "gain"),
    ("label.count_loss", "loss"),
    ("label.user", "created_by"),
    ("label.web_note", "note"),
)
COUNT_LINES = (
    *_columns(
        ("label.location", "location"),
        ("label.item", "item"),
        ("label.name", "item_name"),
        ("label.batch", "batch"),
        ("label.unit", "unit"),
    ),
    Column("label.book_quantity", lambda row: row.line.book_quantity),
    Column("label.counted_quantity", lambda row: row.line.counted),
    Column("label.recounted_quantity", lambda row: row.line.recounted),
    Column("label.difference", lambda row: row.line.difference),
)
AUDIT = (
    *_columns(
        ("label.sequence", "sequence"),
        ("label.time", "occurred_at"),
        ("label.user", "actor", _in("actor.")),
        ("label.action", "action", translate),
    ),
    Column(
        "label.subject",
        lambda event: event,
        lambda event, locale: event_subject(event.subject_type, event.subject, locale),
    ),
    *_columns(
        ("label.from", "from_state", _in("state.")),
        ("label.to", "to_state", _in("state.")),
        ("label.details", "payload", event_details_text),
        ("label.details_recorded", "payload"),  # as recorded, for whoever checks by machine
    ),
)


STOCK_SUMMARY = _columns(
    ("label.warehouse", "warehouse"),
    ("label.item", "item"),
    ("label.name", "item_name"),
    ("label.category", "category"),
    ("label.unit", "unit"),
    ("label.opening_quantity", "opening_quantity"),
    ("label.opening_value", "opening_value"),
    ("label.in_quantity", "in_quantity"),
    ("label.in_value", "in_value"),
    ("label.out_quantity", "out_quantity"),
    ("label.out_value", "out_value"),
    ("label.closing_quantity", "closing_quantity"),
    ("label.closing_value", "closing_value"),
)
AGE_BUCKET_NAMES = tuple(name for name, _ in AGE_BUCKETS)


def _bucket(field: str, index: int) -> Callable[[Any], Any]:
    return lambda row: getattr(row, field)[index]


AGEING = (
    *_columns(
        ("label.warehouse", "warehouse"),
        ("label.item", "item"),
        ("label.name", "item_name"),
        ("label.unit", "unit"),
        ("label.on_hand", "on_hand"),
        ("label.stock_value", "value"),
    ),
    *(
        column
        for index, name in enumerate(AGE_BUCKET_NAMES)
        for column in (
            Column(f"label.age_{name}_quantity", _bucket("quantities", index)),
            Column(f"label.age_{name}_value", _bucket("values", index)),
        )
    ),
)
DORMANT = _columns(
    ("label.warehouse", "warehouse"),
    ("label.item", "item"),
    ("label.name", "item_name"),
    ("label.unit", "unit"),
    ("label.last_out", "last_out"),
    ("label.first_in", "first_in"),
    ("label.days_idle", "days_idle"),
    ("label.on_hand", "on_hand"),
    ("label.stock_value", "value"),
)
EXPIRY = (
    *_columns(
        ("label.warehouse", "warehouse"),
        ("label.location", "location"),
        ("label.item", "item"),
        ("label.name", "item_name"),
        ("label.batch", "batch"),
        ("label.expiry", "expiry_date"),
        ("label.days_left", "days_left"),
    ),
    Column(
        "label.expiry_status",
        lambda row: "label.expired" if row.expired else "label.expiring",
        translate,
    ),
    *_columns(
        ("label.on_hand", "on_hand"),
        ("label.unit", "unit"),
        ("label.stock_value", "value"),
    ),
)
IN_TRANSIT = _columns(
    ("label.document", "document"),
    ("label.date", "business_date"),
    ("label.from_warehouse", "from_warehouse"),
    ("label.to_warehouse", "to_warehouse"),
    ("label.shipped_at", "shipped_at"),
    ("label.days_in_transit", "days_in_transit"),
    ("label.item", "item"),
    ("label.name", "item_name"),
    ("label.quantity", "quantity"),
    ("label.unit", "unit"),
    ("label.value", "value"),
)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str

    @property
    def headers(self) -> dict[str, str]:
        """An HTTP answer's headers that make a browser save it under its name."""
        return {"Content-Disposition": f'attachment; filename="{self.filename}"'}


def totalled(rows: Sequence[Any], total: Any, locale: str) -> list[Any]:
    """A report's rows and its 合计 row last, named in its warehouse column."""
    return [*rows, replace(total, warehouse=translate("label.total", locale))]


def export(
    columns: Sequence[Column],
    rows: Iterable[Any],
    export_format: ExportFormat,
    locale: str,
    name: str,
) -> ExportFile:
    """``rows`` as a file named ``name`` (without its extension).

    Raises:
        Invalid: export.too_many_rows when a worksheet could not hold them.
    """
    header = [translate(column.label, locale) for column in columns]
    body = [[_cell(column, row, locale) for column in columns] for row in rows]
    # One limit for both formats: a list is exported whole or not at all, never cut short.
    if len(body) + 1 > XLSX_MAX_ROWS:
        raise Invalid("export.too_many_rows", {"rows": len(body), "limit": XLSX_MAX_ROWS - 1})
    writer = _xlsx if export_format is ExportFormat.XLSX else _csv
    return ExportFile(
        writer(header, body, name), export_format.media_type, f"{name}.{export_format.value}"
    )


def _cell(column: Column, row: Any, locale: str) -> Any:
    value = column.value(row)
    if value is None:
        return None
    if column.named is not None:
        return column.named(value, locale)
    if isinstance(value, Decimal):
        return normalized(value)
    if isinstance(value, list | tuple):
        return " ".join(str(part) for part in value)
    return value


def _csv(
    header: list[str], body: list[list[Any]], name: str, as_text: Callable[[Any], str] | None = None
) -> bytes:
    cell = as_text or _text
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in body:
        writer.writerow(["" if value is None else cell(value) for value in row])
    # With its byte-order mark, Excel opens the Chinese as UTF-8, not as the local code page.
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _utc_text(moment: datetime) -> str:
    """A recorded time in a file: files have no time zone, so the UTC time, saying so."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return _utc_text(value) if value.tzinfo else str(value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return str(value)


def _xlsx(header: list[str], body: list[list[Any]], name: str) -> bytes:
    book = Workbook(write_only=True)
    _sheet(book, name, header, body)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Workbook, title: str, header: list[str], body: list[list[Any]]) -> None:
    sheet = book.create_sheet(title[:31])  # a sheet title has at most 31 characters
    sheet.append(header)
    for row in body:
        sheet.append([_xlsx_cell(sheet, value) for value in row])


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        # A worksheet holds no control characters and at most 32,767 per cell.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL]
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # openpyxl would write a formula
            return cell
        return value
    if isinstance(value, datetime):
        return _utc_text(value) if value.tzinfo else value
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


# 审计导出: the whole history of a scope, four sections and a manifest with their digests ------

HISTORY_LEDGER = (
    *MOVEMENTS[:1],
    *_columns(("label.date", "business_date"), ("label.time", "recorded_at")),
    *MOVEMENTS[2:10],
    *_columns(("label.unit_cost", "unit_cost")),
    *MOVEMENTS[10:13],
)
HISTORY_DOCUMENTS = (
    *DOCUMENTS[:7],
    *_columns(
        ("label.reverses", "reverses"),
        ("label.reversed_by", "reversed_by"),
        ("label.web_note", "note"),
        ("label.created_by", "created_by"),
        ("label.created_at", "created_at"),
        ("label.posted_by", "posted_by"),
        ("label.posted_at", "posted_at"),
    ),
)
HISTORY_LINES = _columns(
    ("label.document", "document"),
    ("label.line", "line_no"),
    ("label.item", "item"),
    ("label.name", "item_name"),
    ("label.quantity", "quantity"),
    ("label.unit", "unit"),
    ("label.base_quantity", "base_quantity"),
    ("label.location", "location"),
    ("label.to_location", "to_location"),
    ("label.batch", "batch"),
    ("label.production_date", "production_date"),
    ("label.expiry", "expiry_date"),
    ("label.serials", "serials"),
    ("label.unit_cost", "unit_cost"),
)
# 审计导出: the events as recorded, for a machine to check against their seals.
HISTORY_EVENTS = _columns(
    ("label.sequence", "sequence"),
    ("label.time", "occurred_at"),
    ("label.user", "actor"),
    ("label.action", "action", translate),
    ("label.subject", "subject"),
    ("label.from", "from_state", _in("state.")),
    ("label.to", "to_state", _in("state.")),
    ("label.details", "payload"),
    ("label.subject_type", "subject_type"),
    ("label.hash", "hash"),
)
HISTORY_SECTIONS = {
    "ledger": ("label.export_ledger", HISTORY_LEDGER),
    "documents": ("label.export_documents", HISTORY_DOCUMENTS),
    "document_lines": ("label.export_lines", HISTORY_LINES),
    "audit_events": ("label.export_events", HISTORY_EVENTS),
}
_MANIFEST_FILE = "manifest.json"
# A worksheet holds no control characters, and its XML reads a carriage return back as \n.
_UNKEEPABLE = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|\r")
_XLSX_NUMBER_DIGITS = 15  # what a worksheet's number keeps exactly; longer ones stay text


def history_file(
    history: History,
    scope: ExportScope,
    exported_by: str,
    exported_at: datetime,
    export_format: ExportFormat,
    locale: str,
) -> tuple[ExportFile, Manifest]:
    """An audit export as one file and the manifest it carries (whose digest is recorded).

    XLSX: a 说明 sheet (the manifest), then a sheet per section. CSV: a ZIP of one CSV per
    section and ``manifest.json``. Either way each cell is written as the canonical text
    its section's digest was computed over, or as a number or date that reads back to it.

    Raises:
        Invalid: audit_export.cell_too_long (XLSX only: a cell beyond 32,767 characters).
    """
    rows_of: dict[str, Sequence[Any]] = {
        "ledger": history.ledger,
        "documents": history.documents,
        "document_lines": history.lines,
        "audit_events": history.events,
    }
    xlsx = export_format is ExportFormat.XLSX
    sections, bodies = [], {}
    for name in SECTIONS:
        label, columns = HISTORY_SECTIONS[name]
        digest = SectionDigest()
        body = []
        for number, row in enumerate(rows_of[name], start=2):
            cells = [_stored(column, row, locale, xlsx) for column in columns]
            if xlsx:
                _check_cell_lengths(name, number, cells)
            digest.add(cells)
            body.append(cells)
        title = translate(label, locale)
        part = title[:31] if xlsx else f"{name}.csv"
        sections.append(Section(name, digest.rows, digest.hexdigest(), (part,)))
        bodies[part] = ([translate(column.label, locale) for column in columns], body)
    manifest = Manifest(
        scope=scope,
        exported_by=exported_by,
        exported_at=exported_at,
        ledger_through=history.ledger_through,
        audit_through=history.audit_through,
        sections=tuple(sections),
    )
    stamp = exported_at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    name = f"audit-export-{stamp}-{manifest.digest[:8]}"
    if xlsx:
        file = ExportFile(
            _history_xlsx(manifest, bodies, locale), export_format.media_type, f"{name}.xlsx"
        )
    else:
        file = ExportFile(_history_zip(manifest, bodies), "application/zip", f"{name}.zip")
    return file, manifest


def _stored(column: Column, row: Any, locale: str, xlsx: bool) -> Any:
    """A cell as the file keeps it: text, or (XLSX) a number or a date that reads back alike."""
    value = column.value(row)
    if value is None:
        return None
    if column.named is not None:
        return column.named(value, locale)
    if isinstance(value, list | tuple):
        value = " ".join(str(part) for part in value)
    if isinstance(value, str):  # kept visible as \xNN, in CSV alike
        return _UNKEEPABLE.sub(lambda found: f"\\x{ord(found.group()):02x}", value)
    if not xlsx:
        return canonical(value)
    if isinstance(value, Decimal):
        exact = len(value.normalize().as_tuple().digits) <= _XLSX_NUMBER_DIGITS
        return normalized(value) if exact else canonical(value)
    if isinstance(value, datetime):
        return canonical(value)  # in UTC, as text: a worksheet has no time zones
    return value


def _check_cell_lengths(section: str, row: int, cells: list[Any]) -> None:
    for cell in cells:
        if isinstance(cell, str) and len(cell) > XLSX_MAX_CELL:
            raise Invalid(
                "audit_export.cell_too_long",
                {"section": section, "row": row, "limit": XLSX_MAX_CELL},
            )


def _guarded(cell: Any) -> str:
    """A CSV cell: a text a spreadsheet would run as a formula (or that starts with ') gets '."""
    if isinstance(cell, str) and cell.startswith((*_FORMULA_STARTS, "'")):
        return "'" + cell
    return str(cell)


def _unguarded(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _history_xlsx(
    manifest: Manifest, bodies: dict[str, tuple[list[str], list[list[Any]]]], locale: str
) -> bytes:
    book = Workbook(write_only=True)
    about = book.create_sheet(translate("label.export_manifest", locale)[:31])
    about.append([FORMAT_NAME])
    about.append([json.dumps(manifest.as_dict(), ensure_ascii=False)])
    about.append([])
    for label, value in (
        ("label.export_digest", manifest.digest),
        ("label.export_scope", manifest.scope.describe()),
        ("label.user", manifest.exported_by),
        ("label.time", canonical(manifest.exported_at)),
    ):
        about.append([translate(label, locale), _xlsx_cell(about, value)])
    for section in manifest.sections:
        about.append([section.parts[0], section.rows, section.sha256])
    for title, (header, body) in bodies.items():
        _sheet(book, title, header, body)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _history_zip(manifest: Manifest, bodies: dict[str, tuple[list[str], list[list[Any]]]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            _MANIFEST_FILE, json.dumps(manifest.as_dict(), ensure_ascii=False, indent=2)
        )
        for part, (header, body) in bodies.items():
            archive.writestr(part, _csv(header, body, part, as_text=_guarded))
    return out.getvalue()


def read_history_file(content: bytes) -> tuple[Manifest, dict[str, SectionDigest]]:
    """The manifest an audit export carries and the digests of the rows it holds now.

    Raises:
        Invalid: audit_export.not_an_export (not an XLSX or ZIP this version wrote).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if _MANIFEST_FILE in archive.namelist():
                return _read_zip(archive)
        return _read_xlsx(content)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise Invalid("audit_export.not_an_export", {}) from None


def _read_zip(archive: zipfile.ZipFile) -> tuple[Manifest, dict[str, SectionDigest]]:
    manifest = Manifest.from_dict(json.loads(archive.read(_MANIFEST_FILE)))
    found = {}
    for section in manifest.sections:
        digest = SectionDigest()
        for part in section.parts:
            text = archive.read(part).decode("utf-8-sig")
            rows = csv.reader(io.StringIO(text, newline=""))
            next(rows, None)  # the header, in the exporter's language
            for row in rows:
                digest.add([_unguarded(cell) if cell else None for cell in row])
        found[section.name] = digest
    return manifest, found


def _read_xlsx(content: bytes) -> tuple[Manifest, dict[str, SectionDigest]]:
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        about = next((sheet for sheet in book.worksheets if sheet["A1"].value == FORMAT_NAME), None)
        if about is None:
            raise Invalid("audit_export.not_an_export", {})
        manifest = Manifest.from_dict(json.loads(str(about["A2"].value)))
        found = {}
        for section in manifest.sections:
            digest = SectionDigest()
            for part in section.parts:
                rows = book[part].iter_rows(values_only=True)
                width = len(next(rows, ()))  # the header's: empty cells at a row's end
                for row in rows:
                    digest.add([*row, *[None] * (width - len(row))])
            found[section.name] = digest
        return manifest, found
    finally:
        book.close()
