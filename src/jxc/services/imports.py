"""Documents from files: CSV (one line per row, header names the columns) or JSON.

A file is read whole and checked before anything is written: a malformed file names
its row and column, a row with bad values names its line and field, and the document
is then created in one transaction like any other (invariant 8).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jxc.domain.errors import DomainError, ErrorCollector, ErrorItem, Invalid
from jxc.services.tables import check_headings_unique, decoded, numbered

LINE_COLUMNS = (
    "item",
    "quantity",
    "unit",
    "location",
    "to_location",
    "batch",
    "production_date",
    "expiry_date",
    "serials",
    "unit_cost",
    "unit_price",
    "tax_rate",
    "discount_rate",
)
# Column headings as Chinese users write them (glossary terms) → field names.
CHINESE_COLUMNS = {
    "商品": "item",
    "商品编码": "item",
    "数量": "quantity",
    "单位": "unit",
    "库位": "location",
    "调入库位": "to_location",
    "批次": "batch",
    "批次号": "batch",
    "生产日期": "production_date",
    "有效期至": "expiry_date",
    "序列号": "serials",
    "单位成本": "unit_cost",
    "单价": "unit_price",
    "税率": "tax_rate",
    "折扣率": "discount_rate",
}
REQUIRED_COLUMNS = ("item", "quantity")
_LINE_POINTER = re.compile(r"^/lines/(\d+)(/.*)?$")


@dataclass(frozen=True)
class DocumentFile:
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    rows: list[int] | None  # a CSV's row of each line (None: JSON, whose lines are a list)

    def told_by_row(self, error: DomainError) -> DomainError:
        """``error`` with each line it names told as the row the user sees in the file.

        The document does not exist (it was refused whole), so its line 2 means nothing to
        the user; the file's row 4 (after the heading and a blank row) does. An error of
        one problem carries its pointer in its own parameters too.
        """
        if self.rows is None:
            return error
        error.items = tuple(
            ErrorItem(self._row_pointer(item.pointer), item.code, self._rows_in(item.params))
            for item in error.items
        )
        if isinstance(error.params.get("pointer"), str):
            error.params = {
                **self._rows_in(error.params),
                "pointer": self._row_pointer(error.params["pointer"]),
            }
        return error

    def _row_pointer(self, pointer: str) -> str:
        """/lines/2/quantity as /rows/4/quantity; any other pointer as it is."""
        assert self.rows is not None
        found = _LINE_POINTER.match(pointer)
        line = int(found.group(1)) if found else 0
        if found is None or not 1 <= line <= len(self.rows):
            return pointer
        return f"/rows/{self.rows[line - 1]}{found.group(2) or ''}"

    def _rows_in(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters with the lines they name told as rows.

        ``line`` is a number; ``lines`` a list as text ("1, 3").
        """
        assert self.rows is not None
        rows = self.rows
        params = dict(given)
        line = params.get("line")
        if isinstance(line, int) and 1 <= line <= len(rows):
            params["line"] = rows[line - 1]
        lines = params.get("lines")
        if isinstance(lines, str):
            numbers = [int(n) for n in lines.split(", ") if n.isdigit() and 0 < int(n) <= len(rows)]
            if len(numbers) == len(lines.split(", ")):
                params["lines"] = ", ".join(str(rows[n - 1]) for n in numbers)
        return params


def check_is_file(path: Path) -> None:
    """Raises Invalid file.not_found, or file.is_folder where a folder was named."""
    if path.is_dir():
        raise Invalid("file.is_folder", {"file": str(path)})
    if not path.is_file():
        raise Invalid("file.not_found", {"file": str(path)})


def read_document(path: Path) -> DocumentFile:
    """Header fields and lines from a CSV (lines only) or JSON file.

    Raises:
        Invalid: file.not_found, file.is_folder, file.unsupported_format,
            file.column_missing, file.empty,
            file.column_repeated, file.row_field_count, file.not_text, file.not_utf8 (JSON),
            file.json_syntax, file.json_shape.
    """
    check_is_file(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise Invalid("file.unsupported_format", {"file": path.name})
    content = path.read_bytes()
    header: dict[str, Any] = {}
    rows: list[int] | None = None
    if suffix == ".csv":
        rows, lines = _csv_lines(path.name, decoded(path.name, content))
    else:
        try:
            text = content.decode("utf-8-sig")  # JSON is UTF-8 by its standard
        except UnicodeDecodeError as error:
            raise Invalid("file.not_utf8", {"file": path.name, "byte": error.start}) from None
        header, lines = _json_document(path.name, text)
    if not lines:
        raise Invalid("file.empty", {"file": path.name})
    return DocumentFile(header, lines, rows)


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab that spreadsheets of some locales write instead."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count) if header else ","


def _csv_lines(name: str, text: str) -> tuple[list[int], list[dict[str, Any]]]:
    """The lines of a CSV file and the row each came from."""
    rows = numbered(list(csv.reader(io.StringIO(text), delimiter=_delimiter(text))))
    if not rows:
        raise Invalid("file.empty", {"file": name})
    typed = [cell.strip() for cell in rows[0][1]]
    header = [CHINESE_COLUMNS.get(cell, cell.lower()) for cell in typed]
    check_headings_unique(name, header)
    errors = ErrorCollector()
    for column in REQUIRED_COLUMNS:
        if column not in header:
            errors.add(
                "/header",
                "file.column_missing",
                file=name,
                column=column,
                expected=list(LINE_COLUMNS),
            )
    for column, as_typed in zip(header, typed, strict=True):
        if column not in LINE_COLUMNS:
            errors.add(
                "/header",
                "file.column_unknown",
                file=name,
                column=as_typed,  # LS-001, as the file has it: a first row of data, perhaps
                expected=list(LINE_COLUMNS),
            )
    errors.raise_if_any()
    numbers, lines = [], []
    for number, row in rows[1:]:
        if len(row) != len(header):
            errors.add(
                f"/rows/{number}",
                "file.row_field_count",
                file=name,
                row=number,
                expected=len(header),
                found=len(row),
            )
            continue
        cells = {column: cell.strip() for column, cell in zip(header, row, strict=True)}
        line: dict[str, Any] = {k: v for k, v in cells.items() if v != "" and k != "serials"}
        if cells.get("serials"):
            line["serials"] = cells["serials"].replace(";", " ").replace(",", " ").split()
        numbers.append(number)
        lines.append(line)
    errors.raise_if_any()
    return numbers, lines


def _json_document(name: str, text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        data = json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as error:
        raise Invalid(
            "file.json_syntax", {"file": name, "row": error.lineno, "column": error.colno}
        ) from None
    header = {k: v for k, v in data.items() if k != "lines"} if isinstance(data, dict) else {}
    lines = data.get("lines") if isinstance(data, dict) else data
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise Invalid("file.json_shape", {"file": name})
    return header, lines
