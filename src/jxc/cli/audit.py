"""`jxc audit verify` and `jxc audit log`: the tamper-evident record of every action."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from jxc.cli.output import day, err, out, state, state_change, table
from jxc.domain.auth import Action
from jxc.queries import audit
from jxc.services import auth

audit_app = typer.Typer(help="Audit trail (操作日志): who did what, when.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify", help="Recompute the hash chain of every audit event (防篡改校验).")
def verify(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        report = audit.chain_report(connection)
    if report.ok:
        out.print(
            "[green]✓[/] "
            + st.t("label.audit_ok", events=report.events, head=report.head_hash[:16])
        )
        return
    err.print(
        "[bold red]✗ "
        + st.t(
            "label.audit_broken",
            sequence=report.broken_at,
            problem=st.t(f"audit.break.{report.problem}"),
        )
        + "[/]"
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
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
) -> None:
    st = state(ctx)
    auth.allow(st.app.uow(), st.actor, Action.AUDIT_READ)
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    with st.app.reader() as connection:
        events = audit.log(
            connection,
            document=document,
            actor=user,
            first_day=day(start, "--from"),
            last_day=day(end, "--to"),
            action=action,
            zone=zone,
            limit=limit,
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
                e.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                st.t(e.action),
                e.subject,
                state_change(st, e.from_state, e.to_state),
                e.payload if len(e.payload) <= 80 else e.payload[:79] + "…",
            )
            for e in events
        ],
    )
