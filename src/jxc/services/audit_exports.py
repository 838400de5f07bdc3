"""审计导出 and its check: one action exports a scope's whole history; its digest is recorded.

Reading and writing the file happen outside any write transaction (a year of ledger must
not hold up posting); only recording the digest on the audit trail writes, briefly.
"""

from __future__ import annotations

from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.audit_export import ExportCheck, ExportScope, Manifest, check_sections
from jxc.domain.auth import Action
from jxc.exports import XLSX_MAX_ROWS, ExportFile, ExportFormat, history_file, read_history_file
from jxc.queries import audit_export as queries
from jxc.services.auth import allow


def export_history(
    uow: UnitOfWork,
    actor: str,
    scope: ExportScope,
    export_format: ExportFormat,
    locale: str,
) -> tuple[ExportFile, Manifest]:
    """The full history of ``scope`` as a file; its digest goes on the audit trail.

    Audit events are taken by their day in the company's time zone.

    Raises:
        Forbidden: auth.forbidden (audit.read: auditors and admins).
        Invalid: audit_export.scope_required … (``ExportScope.check``),
            audit_export.too_many_rows, audit_export.cell_too_long.
        NotFound: item.unknown, batch.unknown, serial.unknown.
    """
    allow(uow, actor, Action.AUDIT_READ)
    scope.check()
    history = uow.run(
        lambda: queries.history(uow.connection, scope, uow.zone, XLSX_MAX_ROWS - 1), read_only=True
    )
    file, manifest = history_file(history, scope, actor, uow.clock(), export_format, locale)

    def record() -> None:
        payload = {
            "scope": scope.as_dict(),
            "format": export_format.value,
            "rows": {section.name: section.rows for section in manifest.sections},
            "ledger_through": manifest.ledger_through,
            "audit_through": manifest.audit_through,
        }
        uow.record(AuditEntry(actor, "audit.export", "export", manifest.digest, payload))
        uow.commit()

    uow.run(record)
    return file, manifest


def verify_export(uow: UnitOfWork, actor: str, content: bytes) -> ExportCheck:
    """Whether a file is an audit export as it was made: rows intact, digest on record.

    Raises:
        Forbidden: auth.forbidden (audit.read).
        Invalid: audit_export.not_an_export.
    """
    allow(uow, actor, Action.AUDIT_READ)
    manifest, found = read_history_file(content)
    sections = check_sections(manifest, found)
    event = uow.run(lambda: queries.recorded(uow.connection, manifest.digest), read_only=True)
    if event is None:
        return ExportCheck(manifest, sections, None)
    return ExportCheck(manifest, sections, event.sequence, event.actor, event.occurred_at)
