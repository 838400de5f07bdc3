"""`jxc audit verify`, `log`, `export` and `verify-export`: the tamper-evident record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jxc.cli.output import (
    Limit,
    check_writable,
    crossed,
    day,
    err,
    failed,
    file_bytes,
    ok,
    out,
    state,
    state_change,
    table,
    write_file,
)
from jxc.domain.audit_export import ExportScope
from jxc.domain.auth import Action
from jxc.domain.periods import shown_time
from jxc.exports import HISTORY_SECTIONS, ExportFormat
from jxc.i18n.messages import event_details_text, event_subject
from jxc.queries import audit
from jxc.services import audit_exports, auth

audit_app = typer.Typer(help="Audit trail (操作日志): who did what, when.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify", help="Recompute the hash chain of every audit event (防篡改校验).")
def verify(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        report = audit.chain_report(connection)
    if report.ok:
        out.print(ok(st.t("label.audit_ok", events=report.events, head=report.head_hash[:16])))
        return
    err.print(
        failed(
            st.t(
                "label.audit_broken",
                sequence=report.broken_at,
                problem=st.t(f"audit.break.{report.problem}"),
            )
        )
    )
    raise typer.Exit(1)


@audit_app.command("log", help="List audit events, newest last (操作日志).")
def show_log(
    ctx: typer.Context,
    document: Annotated[str | None, typer.Option(help="Document number.")] = None,
    user: Annotated[str | None, typer.Option(help="Who acted (操作员).")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. document.post")] = None,
    start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    limit: Limit = 200,
) -> None:
    st = state(ctx)
    auth.allow(st.app.uow(), st.actor, Action.AUDIT_READ)
    zone = st.app.zone
    with st.app.reader() as connection:
        events = audit.log(
            connection,
            document=document,
            actor=user,
            first_day=day(start, "--from"),
            last_day=day(end, "--to"),
            action=action,
            zone=zone,
            limit=limit + 1,
        )
    table(
        st,
        [
            "label.sequence",
            "label.time",
            "label.user",
            "label.action",
            "label.subject",
            "label.state",
            "label.details",
        ],
        [
            (
                e.sequence,
                shown_time(e.occurred_at, zone, seconds=True),
                st.label("actor.", e.actor),
                st.t(e.action),
                event_subject(e.subject_type, e.subject, st.locale),
                state_change(st, e.from_state, e.to_state),
                _shortened(event_details_text(e.payload, st.locale)),
            )
            for e in events
        ],
        limit=limit,
        whole=False,
        newest_last=True,
    )


@audit_app.command(
    "export",
    help="审计导出: the whole history of an item, batch, serial or date range, with a digest.",
)
def export_history(
    ctx: typer.Context,
    item: Annotated[str | None, typer.Option(help="Item code.")] = None,
    batch: Annotated[str | None, typer.Option(help="A batch of --item.")] = None,
    serial: Annotated[str | None, typer.Option(help="Serial number.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="xlsx, or csv (a ZIP of CSV files).")
    ] = ExportFormat.XLSX,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The file to write (default: its name).")
    ] = None,
) -> None:
    st = state(ctx)
    scope = ExportScope(item, batch, serial, day(start, "--from"), day(end, "--to"))
    # Without -o the file is named by its scope, in the working folder: checked now.
    check_writable(output if output is not None else Path.cwd() / "audit-export")
    file, manifest = audit_exports.export_history(
        st.app.uow(), st.actor, scope, export_format, st.locale
    )
    path = output or Path(file.filename)
    write_file(path, file.content)
    out.print(st.t("label.export_written", path=path, digest=manifest.digest))
    for section in manifest.sections:
        name = st.t(HISTORY_SECTIONS[section.name][0])
        out.print("  " + st.t("label.export_rows", section=name, rows=section.rows))


@audit_app.command(
    "verify-export",
    help="Check an audit export: its rows match its digest, and the digest is on record.",
)
def verify_export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The audit export (.zip).")],
) -> None:
    st = state(ctx)
    check = audit_exports.verify_export(st.app.uow(), st.actor, file_bytes(path))
    for section in check.sections:
        name = st.t(HISTORY_SECTIONS[section.name][0])
        if section.matches:
            out.print(ok(st.t("label.export_section_ok", section=name, rows=section.rows_found)))
        else:
            changed = st.t(
                "label.export_changed",
                section=name,
                found=section.rows_found,
                stated=section.rows_stated,
            )
            out.print(crossed(changed))
    if check.recorded_sequence is None:
        unknown = st.t("label.export_not_recorded", digest=check.digest)
        out.print(crossed(unknown))
    if not check.ok:
        err.print(st.t("label.export_broken"), style="bold red")
        raise typer.Exit(1)
    assert check.recorded_at is not None
    zone = st.app.zone
    out.print(
        ok(
            st.t(
                "label.export_ok",
                digest=check.digest,
                user=check.recorded_by,
                time=shown_time(check.recorded_at, zone, seconds=True),
                sequence=check.recorded_sequence,
            )
        )
    )


def _shortened(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
