"""`jxc sop …`: the workflows (审批流) — see them live, find what is late, install them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from jxc.cli.output import RequestId, State, file_text, number, out, state, table
from jxc.domain.periods import shown_time
from jxc.domain.workflow import (
    DOCUMENT_TYPES,
    Guard,
    NotBy,
    Required,
    Transition,
    Workflow,
)
from jxc.domain.workflow import mermaid as flowchart
from jxc.i18n.messages import listed
from jxc.queries import documents as document_queries
from jxc.services import workflows

sop = typer.Typer(
    help="SOP workflows (审批流): show with live counts, overdue steps, install definitions.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(sop, name="sop")


def _installed(ctx: typer.Context, document_type: str) -> tuple[str, Workflow]:
    """The installed definition of a document type: its YAML source, parsed."""
    for stored, workflow in workflows.installed(state(ctx).app.uow()):
        if workflow.document_type == document_type:
            return stored.source, workflow
    shown = state(ctx).t("cli.not_one_of", value=document_type, choices=", ".join(DOCUMENT_TYPES))
    raise typer.BadParameter(shown, param_hint="TYPE")


def _hours(span: timedelta | None) -> str:
    return "" if span is None else f"{span.total_seconds() / 3600:,.1f}"


@sop.command("show", help="A workflow with the live count per state and cycle time per step.")
def show(
    ctx: typer.Context,
    document_type: Annotated[str, typer.Argument(help="receipt, issue, transfer or reversal.")],
    mermaid: Annotated[bool, typer.Option(help="Print a Mermaid flowchart instead.")] = False,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Cycle time over these days.")] = 30,
) -> None:
    st = state(ctx)
    _, workflow = _installed(ctx, document_type)
    with st.app.reader() as connection:
        counts = document_queries.state_counts(connection, document_type)
    if mermaid:
        out.print(flowchart(workflow, counts, st.label))
        return
    until = st.app.clock()
    times = workflows.cycle_times(st.app.uow(), document_type, until - timedelta(days=days), until)
    out.print(
        st.t(
            "label.workflow_title",
            document_type=st.t(f"flow.{document_type}"),
            name=workflow.name,
            digest=workflow.digest[:12],
        )
    )
    table(
        st,
        [
            "label.state",
            "label.count",
            "label.sla_hours",
            "label.stays",
            "label.mean_hours",
            "label.median_hours",
            "label.owners",
        ],
        [
            (
                _coded(st.label("state.", name), name),
                counts.get(name, 0),
                _hours(spec.sla),
                times[name].count if name in times else "",
                _hours(times[name].mean) if name in times else "",
                _hours(times[name].median) if name in times else "",
                listed((st.t(f"role.{role}") for role in sorted(workflow.owners(name))), st.locale),
            )
            for name, spec in workflow.states.items()
        ],
    )
    table(
        st,
        ["label.step", "label.from", "label.to", "label.roles", "label.runs", "label.checks"],
        [
            (
                _coded(st.label("permission.", t.action), t.action),
                listed((st.label("state.", source) for source in t.sources), st.locale),
                st.label("state.", t.target),
                listed((st.t(f"role.{role}") for role in sorted(t.roles)), st.locale),
                st.t(f"handler.{t.run}") if t.run else "",
                _checks(st, t),
            )
            for t in workflow.transitions
        ],
    )


def _coded(name: str, code: str) -> str:
    """审核 (approve): a name with the code a command takes, once where they are the same."""
    return name if name == code else f"{name} ({code})"


def _checks(st: State, transition: Transition) -> str:
    """A step's checks in words: 不能由做过制单、提交的人执行；须填写原因."""
    parts = [_guard(st, guard) for guard in transition.guards]
    if transition.when is not None:
        conditions = [
            st.t(f"workflow_check.{key}", amount=number(value))
            for key, value in vars(transition.when).items()
            if value is not None
        ]
        parts.append(st.t("workflow_check.when", conditions=listed(conditions, st.locale)))
    if transition.reason_required:
        parts.append(st.t("workflow_check.reason"))
    return ("；" if st.locale.startswith("zh") else "; ").join(parts)


def _guard(st: State, guard: Guard) -> str:
    if isinstance(guard, Required):
        fields = (st.label("fieldname.", field) for field in guard.fields)
        return st.t("workflow_check.required", fields=listed(fields, st.locale))
    if isinstance(guard, NotBy):
        actions = (st.label("permission.", action) for action in guard.actions)
        return st.t("workflow_check.not_by", actions=listed(actions, st.locale))
    limits = [
        st.t("workflow_check.days", days=guard.min_days) if guard.min_days else "",
        f"{guard.min_ratio:%}" if guard.min_ratio else "",
    ]
    return st.t("workflow_check.shelf_life", limits=" / ".join(limit for limit in limits if limit))


@sop.command("overdue", help="Documents waiting in a step beyond its time limit (超时).")
def overdue(ctx: typer.Context) -> None:
    st = state(ctx)
    late = workflows.overdue(st.app.uow())
    table(
        st,
        [
            "label.document",
            "label.type",
            "label.state",
            "label.warehouse",
            "label.since",
            "label.sla_hours",
            "label.late_hours",
            "label.owners",
        ],
        [
            (
                item.document.number,
                st.t(f"document_type.{item.document.kind}"),
                st.label("state.", item.document.state),
                item.document.warehouse,
                shown_time(item.document.state_since, st.app.zone)
                if item.document.state_since
                else "",
                _hours(item.limit),
                _hours(item.late_by),
                listed(
                    (f"{st.t(f'role.{role}')}@{item.document.warehouse}" for role in item.owners),
                    st.locale,
                ),
            )
            for item in late
        ],
    )


@sop.command("remind", help="Write a reminder to the outbox for each overdue step (cron it).")
def remind(ctx: typer.Context) -> None:
    st = state(ctx)
    out.print(st.t("label.reminders_written", count=workflows.remind(st.app.uow(), st.actor)))


@sop.command("export", help="Print the installed definition of a document type (YAML).")
def export(
    ctx: typer.Context,
    document_type: Annotated[str, typer.Argument(help="receipt, issue, transfer or reversal.")],
) -> None:
    source, _ = _installed(ctx, document_type)
    out.print(source, end="")


@sop.command("load", help="Install an edited definition from a YAML file (admin).")
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The workflow definition (YAML, UTF-8).")],
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    source = file_text(file)
    workflow = workflows.install(st.app.uow(), st.actor, source, request_id)
    out.print(
        st.t(
            "label.workflow_installed",
            document_type=st.t(f"flow.{workflow.document_type}"),
            name=workflow.name,
        )
    )


@sop.command("use", help="Install a shipped set for every document type: sop or simple (admin).")
def use(ctx: typer.Context, name: str, request_id: RequestId = None) -> None:
    st = state(ctx)
    for workflow in workflows.use(st.app.uow(), st.actor, name, request_id):
        out.print(
            st.t(
                "label.workflow_installed",
                document_type=st.t(f"flow.{workflow.document_type}"),
                name=workflow.name,
            )
        )
