"""Workflow definitions: read from YAML, checked, installed per document type.

The shipped sets live in ``defaults/workflows/<set>/<document type>.yaml``: ``sop`` (the
five-step SOP, what a new database gets) and ``simple`` (draft → posted, what a
database that already had documents keeps on upgrade). An admin exports one, edits it
and installs it back; a definition that does not hold together is refused naming
every problem with its line, and nothing is installed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml

from jxc.config import SUPPORTED_LOCALES
from jxc.db.repositories.workflows import StoredWorkflow
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import SYSTEM_ACTOR, AuditEntry
from jxc.domain.auth import Action
from jxc.domain.errors import Conflict, Invalid, NotFound
from jxc.domain.workflow import (
    DOCUMENT_TYPES,
    StepTime,
    Workflow,
    check_not_by,
    digest,
    parse_workflow,
)
from jxc.domain.workflow import cycle_times as step_times
from jxc.i18n.messages import named
from jxc.queries import documents as document_queries
from jxc.queries.documents import DocumentRow
from jxc.services.auth import principal, require
from jxc.services.base import reading, remember, replay, transactional

SHIPPED_SETS = ("sop", "simple")
DEFAULT_SET = "sop"
UPGRADE_SET = "simple"
MAX_SOURCE = 100_000

_parsed: dict[str, Workflow] = {}  # by digest of the source: parsing is deterministic
_parsed_lock = threading.Lock()


def shipped_source(set_name: str, document_type: str) -> str:
    """The YAML of a shipped definition.

    Raises:
        NotFound: workflow.set_unknown.
    """
    if set_name not in SHIPPED_SETS or document_type not in DOCUMENT_TYPES:
        raise NotFound("workflow.set_unknown", {"name": set_name, "known": ", ".join(SHIPPED_SETS)})
    folder = resources.files("jxc") / "defaults" / "workflows" / set_name
    return (folder / f"{document_type}.yaml").read_text(encoding="utf-8")


def shipped_actions() -> list[str]:
    """Every step the shipped definitions name, in the order the SOP takes them."""
    actions: list[str] = []
    for set_name in SHIPPED_SETS:
        for document_type in DOCUMENT_TYPES:
            for transition in parse_source(shipped_source(set_name, document_type)).transitions:
                if transition.action not in actions:
                    actions.append(transition.action)
    return actions


@reading
def flow(uow: UnitOfWork, actor: str, document_type: str) -> tuple[Workflow, dict[str, int]]:
    """A document type's workflow, and how many of ``actor``'s documents are in each state.

    Raises:
        NotFound: workflow.not_installed.
    """
    workflow = definition(uow, document_type)
    visible = principal(uow, actor).visible_warehouses
    return workflow, document_queries.state_counts(uow.connection, document_type, visible)


# What a scan screen's button does with the new document, by what its workflow offers first.
ENTRY_STEPS = ("submit", "post", "approve")


@reading
def entry_step(uow: UnitOfWork, document_type: str) -> str | None:
    """The first step a document entered on a scan screen takes.

    提交 in the SOP, 过账 in a one-step workflow (审核 for an order), None where the
    workflow offers none of them (the document stays a draft).

    Raises:
        NotFound: workflow.not_installed.
    """
    workflow = definition(uow, document_type)
    offered = workflow.allowed(workflow.initial)
    return next((step for step in ENTRY_STEPS if step in offered), None)


def parse_source(source: str) -> Workflow:
    """A workflow from its YAML text.

    Raises:
        Invalid: workflow.yaml_invalid (with its line), or workflow.* items each naming
            the line of the problem.
    """
    key = digest(source)
    with _parsed_lock:
        known = _parsed.get(key)
    if known is not None:
        return known
    if len(source) > MAX_SOURCE:
        raise Invalid("text.too_long", {"field": "workflow", "value": source[:50]})
    lines: dict[str, int] = {}
    spec = _plain(_compose(source), "", lines)

    def line_of(pointer: str) -> int:
        while pointer and pointer not in lines:
            pointer = pointer.rsplit("/", 1)[0]
        return lines.get(pointer, 1)

    workflow = replace(parse_workflow(spec, line_of), digest=key)
    with _parsed_lock:
        _parsed[key] = workflow
    return workflow


def _compose(source: str) -> yaml.Node | None:
    try:
        return yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise Invalid(
            "workflow.yaml_invalid",
            {"line": mark.line + 1 if mark else 1, "problem": str(error.problem or error)},
        ) from None
    except yaml.YAMLError as error:
        raise Invalid("workflow.yaml_invalid", {"line": 1, "problem": str(error)}) from None


def _plain(node: yaml.Node | None, pointer: str, lines: dict[str, int]) -> Any:
    """Python values from a YAML node, noting each value's line by its JSON pointer."""
    if node is None:
        return None
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                raise Invalid(
                    "workflow.key_duplicated", {"key": key, "line": key_node.start_mark.line + 1}
                )
            result[key] = _plain(value_node, f"{pointer}/{key}", lines)
            lines[f"{pointer}/{key}"] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _plain(child, f"{pointer}/{index}", lines)
            for index, child in enumerate(node.value, start=1)
        ]
    return yaml.SafeLoader("").construct_object(node)


def definition(uow: UnitOfWork, document_type: str) -> Workflow:
    """The workflow ``document_type`` follows in this database.

    Raises:
        NotFound: workflow.not_installed.
    """
    stored = uow.workflows.get(document_type)
    if stored is None:
        raise NotFound("workflow.not_installed", {"document_type": document_type})
    return parse_source(stored.source)


@transactional
def install(uow: UnitOfWork, actor: str, source: str, request_id: str | None = None) -> Workflow:
    """Install an edited definition for the document type it names (admin only).

    Raises:
        Forbidden: auth.forbidden (workflow.manage).
        Invalid: the definition's problems, each with its line; nothing is installed.
    """
    require(uow, actor, Action.WORKFLOW_MANAGE)
    workflow = parse_source(source)
    check_not_by(workflow)
    seen = replay(uow, actor, request_id, "workflows.install", workflow.digest)
    if seen is None:
        _put(uow, actor, workflow, source)
        remember(uow, actor, request_id, "workflows.install", workflow.digest, {})
        uow.commit()
    return workflow


@transactional
def use(
    uow: UnitOfWork, actor: str, set_name: str, request_id: str | None = None
) -> list[Workflow]:
    """Install a shipped set (``sop`` or ``simple``) for every document type (admin only).

    Raises:
        Forbidden: auth.forbidden (workflow.manage).
        NotFound: workflow.set_unknown.
    """
    require(uow, actor, Action.WORKFLOW_MANAGE)
    sources = [shipped_source(set_name, kind) for kind in DOCUMENT_TYPES]
    workflows = [parse_source(source) for source in sources]
    if replay(uow, actor, request_id, "workflows.use", set_name) is None:
        for workflow, source in zip(workflows, sources, strict=True):
            _put(uow, actor, workflow, source)
        remember(uow, actor, request_id, "workflows.use", set_name, {})
        uow.commit()
    return workflows


@transactional
def install_defaults(uow: UnitOfWork) -> None:
    """Give every document type without a workflow its default.

    A new database gets the five-step SOP; one that already has documents keeps one-step
    posting, what it had before (an admin switches with ``use``).
    """
    missing = [kind for kind in DOCUMENT_TYPES if uow.workflows.get(kind) is None]
    if not missing:
        return
    set_name = UPGRADE_SET if uow.documents.any_exist() else DEFAULT_SET
    for kind in missing:
        source = shipped_source(set_name, kind)
        _put(uow, SYSTEM_ACTOR, parse_source(source), source)
    uow.commit()


def _put(uow: UnitOfWork, actor: str, workflow: Workflow, source: str) -> None:
    """Install ``workflow`` for its document type.

    Raises:
        Conflict: workflow.states_in_use when documents still on their way (in a state that
            is not final) would be left in a state the new workflow does not have.
    """
    current = uow.workflows.get(workflow.document_type)
    if current is not None:
        before = parse_source(current.source).states
        counts = document_queries.state_counts(uow.connection, workflow.document_type)
        stranded = {
            state: count
            for state, count in counts.items()
            if count
            and state in before
            and not before[state].final
            and state not in workflow.states
        }
        if stranded:
            raise Conflict(
                "workflow.states_in_use",
                {
                    "document_type": workflow.document_type,
                    "states": sorted(stranded),
                    "count": sum(stranded.values()),
                },
            )
    uow.workflows.put(
        StoredWorkflow(
            workflow.document_type,
            workflow.name,
            source,
            workflow.digest,
            actor,
            uow.clock(),
        )
    )
    uow.record(
        AuditEntry(
            actor,
            "workflow.install",
            "workflow",
            workflow.document_type,
            {"name": workflow.name, "digest": workflow.digest},
        )
    )


@reading
def installed(uow: UnitOfWork) -> list[tuple[StoredWorkflow, Workflow]]:
    """Every installed definition, parsed."""
    return [(stored, parse_source(stored.source)) for stored in uow.workflows.installed()]


def state_named(uow: UnitOfWork, text: str) -> str:
    """The state an installed workflow calls ``text``.

    By its name or its label in either language: 已审核 as readily as approved.

    Raises:
        Invalid: document.state_unknown, naming the states there are.
    """
    # Documents keep the states of workflows since replaced (已归档 of the SOP's).
    kept = uow.run(lambda: uow.documents.states_in_use(), read_only=True)
    known = sorted({name for _, workflow in installed(uow) for name in workflow.states} | kept)
    found = named("state.", text.strip(), known, SUPPORTED_LOCALES)
    if found is None:
        raise Invalid("document.state_unknown", {"value": text, "states": known})
    return found


def step_named(workflow: Workflow, text: str) -> str:
    """The step of ``workflow`` that ``text`` names: by its name or its label (审核).

    ``text`` itself where it names none: taking it is refused naming the steps there are.
    """
    steps = list(dict.fromkeys(t.action for t in workflow.transitions))
    return named("permission.", text.strip(), steps, SUPPORTED_LOCALES) or text


@dataclass(frozen=True)
class Overdue:
    """A document that has waited in a step longer than the step's time limit."""

    document: DocumentRow
    limit: timedelta
    late_by: timedelta
    owners: tuple[str, ...]  # the roles that can move it on


def _overdue(uow: UnitOfWork) -> list[Overdue]:
    now = uow.clock()
    found = []
    for stored in uow.workflows.installed():
        workflow = parse_source(stored.source)
        for state in workflow.states.values():
            if state.sla is None:
                continue
            for row in document_queries.waiting(
                uow.connection, workflow.document_type, state.name, now - state.sla
            ):
                assert row.state_since is not None
                found.append(
                    Overdue(
                        row,
                        state.sla,
                        now - row.state_since - state.sla,
                        tuple(sorted(workflow.owners(state.name))),
                    )
                )
    return sorted(found, key=lambda late: late.late_by, reverse=True)


@reading
def overdue(uow: UnitOfWork) -> list[Overdue]:
    """Every document waiting in a step beyond its time limit, the latest first."""
    return _overdue(uow)


@transactional
def remind(uow: UnitOfWork, actor: str) -> int:
    """Write a reminder to the outbox for each overdue step not reminded of yet.

    Run it as often as you like (cron): one reminder per document and stay in a step.
    Returns how many reminders are new.

    Raises:
        Unauthenticated: auth.unknown_user.
    """
    principal(uow, actor)
    now = uow.clock()
    events = [
        {
            "topic": "document.overdue",
            "key": f"document.overdue:{late.document.number}:{late.document.state}:"
            f"{late.document.state_since}",
            "payload": {
                "number": late.document.number,
                "document_type": late.document.document_type,
                "state": late.document.state,
                "warehouse": late.document.warehouse,
                "since": str(late.document.state_since),
                "late_by_hours": round(late.late_by.total_seconds() / 3600, 1),
                "owners": list(late.owners),
            },
            "created_at": now,
        }
        for late in _overdue(uow)
    ]
    written = uow.outbox.add(events)
    uow.commit()
    return written


@reading
def cycle_times(
    uow: UnitOfWork, document_type: str, since: datetime, until: datetime
) -> dict[str, StepTime]:
    """单据处理周期 per step of a document type, from the audit trail.

    A step is a state someone must move a document on from; what happens to a document
    after it is archived or voided (a reversal much later) is not processing time.
    """
    workflow = definition(uow, document_type)
    steps = {name for name in workflow.states if workflow.allowed(name)}
    stays = document_queries.stays(uow.connection, document_type, since, until)
    return step_times((state, left - entered) for state, entered, left in stays if state in steps)
