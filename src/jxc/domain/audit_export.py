"""审计导出: the whole history of a batch, a serial, an item or a date range, with a digest.

An export has four sections (ledger entries, documents, their lines, audit events). Each
section's rows, as canonical text, hash to that section's digest; the manifest (scope,
who exported it when, how far the ledger and the audit trail were read, each section's
rows and digest) hashes to the export's digest, which goes on the hash-chained audit trail
as the export is made. ``jxc audit verify-export`` recomputes both from the file: a file
whose rows or manifest were changed no longer hashes to a digest on record.

Canonical text is what a spreadsheet gives back, so XLSX and CSV files verify alike:
numbers without trailing zeros, dates as ISO dates, times in UTC, nothing as "".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from jxc.domain.errors import ErrorCollector, Invalid

FORMAT_NAME = "jxc-audit-export"
FORMAT_VERSION = 1
SECTIONS = ("ledger", "documents", "document_lines", "audit_events")
MAX_EXPORT_DAYS = 366  # a date range alone: a year at a time


@dataclass(frozen=True)
class ExportScope:
    """What an export covers: an item, one of its batches, a serial, and/or business days."""

    item: str | None = None
    batch: str | None = None
    serial: str | None = None
    first_day: date | None = None
    last_day: date | None = None

    def check(self) -> None:
        """Refuse a scope that names nothing, or names it in a way that cannot be read.

        Raises:
            Invalid: audit_export.scope_required, audit_export.batch_needs_item,
                audit_export.batch_or_serial, audit_export.days_required,
                date.range_reversed, audit_export.range_too_long.
        """
        errors = ErrorCollector()
        subject = self.item or self.serial
        named = subject or self.batch
        if not named and self.first_day is None and self.last_day is None:
            errors.add("/item", "audit_export.scope_required")
        if self.batch and not self.item:
            errors.add("/batch", "audit_export.batch_needs_item", batch=self.batch)
        if self.batch and self.serial:
            errors.add("/serial", "audit_export.batch_or_serial")
        if not subject and (self.first_day is None) != (self.last_day is None):
            field_name = "first_day" if self.first_day is None else "last_day"
            errors.add(f"/{field_name}", "audit_export.days_required")
        if self.first_day and self.last_day:
            if self.first_day > self.last_day:
                errors.add(
                    "/last_day", "date.range_reversed", start=self.first_day, end=self.last_day
                )
            elif not subject and (self.last_day - self.first_day).days + 1 > MAX_EXPORT_DAYS:
                errors.add(
                    "/last_day",
                    "audit_export.range_too_long",
                    start=self.first_day,
                    end=self.last_day,
                    days=MAX_EXPORT_DAYS,
                )
        errors.raise_if_any()

    @classmethod
    def from_form(
        cls, item: str, batch: str, serial: str, first_day: str, last_day: str
    ) -> ExportScope:
        """A scope as a form sends it: blank fields name nothing.

        Raises:
            Invalid: date.invalid, naming the field.
        """
        errors = ErrorCollector()

        def day(name: str, text: str) -> date | None:
            try:
                return date.fromisoformat(text.strip()) if text.strip() else None
            except ValueError:
                errors.add(f"/{name}", "date.invalid", field=name, value=text)
                return None

        scope = cls(
            item.strip() or None,
            batch.strip() or None,
            serial.strip() or None,
            day("first_day", first_day),
            day("last_day", last_day),
        )
        errors.raise_if_any()
        return scope

    def as_dict(self) -> dict[str, str]:
        return {name: canonical(value) for name, value in vars(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportScope:
        def day(name: str) -> date | None:
            text = data.get(name)
            return date.fromisoformat(text) if text else None

        return cls(
            item=data.get("item"),
            batch=data.get("batch"),
            serial=data.get("serial"),
            first_day=day("first_day"),
            last_day=day("last_day"),
        )

    def describe(self) -> str:
        """The scope as one line people read: ``item A1 · batch B7 · 2026-01-01 – 2026-03-31``."""
        parts = [f"{name} {value}" for name, value in self.as_dict().items() if "day" not in name]
        if self.first_day or self.last_day:
            parts.append(f"{canonical(self.first_day) or '…'} – {canonical(self.last_day) or '…'}")
        return " · ".join(parts)


def canonical(value: Any) -> str:
    """One cell as text, the same whether it was written or read back from XLSX or CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # a number cell read back from a worksheet
        return _decimal_text(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).isoformat()
        # A worksheet gives a date cell back as a datetime at midnight.
        return value.date().isoformat() if value.time() == time.min else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


class SectionDigest:
    """The running SHA-256 of one section's rows, each as a JSON list of canonical texts."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.rows = 0

    def add(self, cells: Sequence[Any]) -> None:
        line = json.dumps([canonical(cell) for cell in cells], ensure_ascii=False)
        self._hash.update(line.encode() + b"\n")
        self.rows += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class Section:
    name: str  # one of SECTIONS
    rows: int
    sha256: str
    parts: tuple[str, ...] = ()  # where its rows are: sheet titles or file names, in order


@dataclass(frozen=True)
class Manifest:
    """What an export says about itself; its ``digest`` is what the audit trail keeps."""

    scope: ExportScope
    exported_by: str
    exported_at: datetime
    ledger_through: int  # the last ledger entry that existed when it was read
    audit_through: int  # the last audit event that existed when it was read
    sections: tuple[Section, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "scope": self.scope.as_dict(),
            "exported_by": self.exported_by,
            "exported_at": canonical(self.exported_at),
            "ledger_through": self.ledger_through,
            "audit_through": self.audit_through,
            "sections": [
                {"name": s.name, "rows": s.rows, "sha256": s.sha256, "parts": list(s.parts)}
                for s in self.sections
            ],
        }

    @property
    def digest(self) -> str:
        # The parts name where rows are kept, not what they say: a file re-saved under other
        # sheet names still holds the same export.
        core = self.as_dict()
        for section in core["sections"]:
            del section["parts"]
        text = json.dumps(core, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """The manifest a file carries.

        Raises:
            Invalid: audit_export.not_an_export (not one, or one this version cannot read).
        """
        try:
            if data["format"] != FORMAT_NAME or data["version"] != FORMAT_VERSION:
                raise ValueError(data["format"])
            sections = tuple(
                Section(s["name"], int(s["rows"]), str(s["sha256"]), tuple(s["parts"]))
                for s in data["sections"]
            )
            if tuple(s.name for s in sections) != SECTIONS:
                raise ValueError("sections")
            return cls(
                scope=ExportScope.from_dict(data["scope"]),
                exported_by=str(data["exported_by"]),
                exported_at=datetime.fromisoformat(data["exported_at"]),
                ledger_through=int(data["ledger_through"]),
                audit_through=int(data["audit_through"]),
                sections=sections,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise Invalid("audit_export.not_an_export", {}) from None


@dataclass(frozen=True)
class SectionCheck:
    name: str
    rows_stated: int
    rows_found: int
    matches: bool


@dataclass(frozen=True)
class ExportCheck:
    """What ``verify-export`` found: a file is sound when every check passed."""

    manifest: Manifest
    sections: tuple[SectionCheck, ...]
    recorded_sequence: int | None  # the audit event that recorded this digest, if any
    recorded_by: str | None = None
    recorded_at: datetime | None = None

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def rows_intact(self) -> bool:
        return all(section.matches for section in self.sections)

    @property
    def ok(self) -> bool:
        return self.rows_intact and self.recorded_sequence is not None


def check_sections(
    manifest: Manifest, found: Mapping[str, SectionDigest]
) -> tuple[SectionCheck, ...]:
    """Each section's rows as read from a file against what its manifest states."""
    checks = []
    for section in manifest.sections:
        digest = found.get(section.name)
        rows = digest.rows if digest is not None else 0
        matches = digest is not None and digest.hexdigest() == section.sha256
        checks.append(SectionCheck(section.name, section.rows, rows, matches))
    return tuple(checks)
