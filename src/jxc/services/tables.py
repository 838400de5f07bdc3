"""Tables from files as people save them: CSV from Excel in China, blank rows, their row numbers.

Every importer reads its rows through here, so a row is named by the number a
spreadsheet shows for it, whatever blank rows come before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from jxc.domain.errors import Invalid


def decoded(name: str, content: bytes) -> str:
    """CSV text: UTF-8 with or without BOM, else GB18030 (what Excel in China saves).

    Raises:
        Invalid: file.not_text (neither: a binary file given as CSV).
    """
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as error:
        raise Invalid("file.not_text", {"file": name, "byte": error.start}) from None


def numbered(table: Sequence[list[str]]) -> list[tuple[int, list[str]]]:
    """The rows with anything in them, each with its row number in the file (from 1)."""
    return [
        (number, row)
        for number, row in enumerate(table, start=1)
        if any(cell.strip() for cell in row)
    ]


def check_headings_unique(name: str, headings: Sequence[str]) -> None:
    """Refuse a column given twice: which of the two a row means cannot be known.

    Raises:
        Invalid: file.column_repeated.
    """
    seen: set[str] = set()
    for heading in headings:
        if heading and heading in seen:
            raise Invalid("file.column_repeated", {"file": name, "column": heading})
        seen.add(heading)
