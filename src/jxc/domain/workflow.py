"""Workflows as data (审批流): states, transitions, who may take them, guards, what they run.

Each document type follows one definition (YAML in ``defaults/workflows``, editable by an
admin). A transition names the action people take (提交 submit, 审核 approve …), the
states it leaves from and goes to, the roles allowed to take it, its guards, and the
handler it runs (``post`` writes the ledger). A step not defined from the current state
is refused naming the state, the action and what is allowed, never silently skipped.

Two rules hold whatever a definition says: a state reached after the ledger posting is
never left for one before it (after 执行 the only correction is a reversal, 红冲), and a
document with downstream documents is not taken back before execution.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from jxc.domain.auth import Principal, Role
from jxc.domain.errors import Conflict, ErrorCollector, Forbidden, Invalid

T = TypeVar("T")

REVERSED = "reversed"  # every workflow's built-in end: the document's reversal was executed
DOCUMENT_TYPES = (
    "receipt",
    "issue",
    "transfer",
    "reversal",
    "sales_order",
    "sales_delivery",
    "purchase_order",
    "sales_return",
    "purchase_return",
    "putaway",
)
ORDER_TYPES = ("sales_order", "purchase_order")  # post nothing: their receipts and deliveries do
# The step an order takes by itself when its last unit is delivered (已完成).
COMPLETE = "complete"
APPROVE = "approve"
MAX_REASON = 500


class Handler(StrEnum):
    """What a transition runs besides moving the state."""

    POST = "post"  # write the ledger: post (a transfer: ship into transit; a reversal: mirror)
    RECEIVE = "receive"  # a transfer's receiving leg
    RESERVE = "reserve"  # 预占: hold the stock the document will take (it stays on hand)
    RELEASE = "release"  # give back what the document holds

    @property
    def posts(self) -> bool:
        """Whether it writes the ledger (the step after which only a reversal corrects)."""
        return self in (Handler.POST, Handler.RECEIVE)


# Only documents that take stock out can hold it for later.
RESERVING_TYPES = ("issue", "transfer", "sales_order", "reversal")


class Scope(StrEnum):
    """Whose warehouse a transition is taken in: a role's grant must cover it."""

    SOURCE = "source"
    DESTINATION = "destination"  # a transfer's receiving warehouse


REQUIRABLE_FIELDS = ("note", "counterpart", "unit_cost", "location")


@dataclass(frozen=True)
class State:
    name: str
    initial: bool = False
    final: bool = False
    sla: timedelta | None = None  # how long a document may wait here (reminders, overdue)
    editable: bool = False  # its lines and header may still change (the initial state always)


@dataclass(frozen=True)
class Condition:
    """When a transition applies (e.g. 二级审核 only above a value)."""

    value_over: Decimal | None = None
    value_at_most: Decimal | None = None
    quantity_over: Decimal | None = None
    quantity_at_most: Decimal | None = None

    def holds(self, value: Decimal, quantity: Decimal) -> bool:
        return (
            (self.value_over is None or value > self.value_over)
            and (self.value_at_most is None or value <= self.value_at_most)
            and (self.quantity_over is None or quantity > self.quantity_over)
            and (self.quantity_at_most is None or quantity <= self.quantity_at_most)
        )


@dataclass(frozen=True)
class Required:
    fields: tuple[str, ...]


@dataclass(frozen=True)
class NotBy:
    """Separation of duties: the actor must not be who took these actions in this round."""

    actions: tuple[str, ...]

    @property
    def barred_after(self) -> tuple[str, ...]:
        """Its actions, an edit counted with create: whoever edited a document wrote it too."""
        return self.actions + (("edit",) if "create" in self.actions else ())


@dataclass(frozen=True)
class ShelfLife:
    """A receipt's batches must have this much shelf life left on the business date."""

    min_days: int | None = None
    min_ratio: Decimal | None = None


Guard = Required | NotBy | ShelfLife


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[Role]
    run: Handler | None = None
    guards: tuple[Guard, ...] = ()
    when: Condition | None = None
    reason_required: bool = False
    scope: Scope = Scope.SOURCE
    line: int = 0

    def warehouse(self, source: T, destination: T | None) -> T:
        """The warehouse whose grants this step needs: the source, or a transfer's destination."""
        if self.scope is Scope.DESTINATION and destination is not None:
            return destination
        return source


@dataclass(frozen=True)
class LineFacts:
    line_no: int
    item: str
    unit_cost: Decimal | None
    location: str | None
    batch: str | None
    expiry_date: date | None
    shelf_life_days: int | None


@dataclass(frozen=True)
class DocumentFacts:
    """What guards and conditions look at; the service fills what the step needs."""

    number: str
    business_date: date
    created_by: str
    note: str | None = None
    counterpart: str | None = None
    value: Decimal = Decimal(0)
    quantity: Decimal = Decimal(0)
    lines: tuple[LineFacts, ...] = ()
    done_by: Mapping[str, frozenset[str]] = field(default_factory=dict)  # action → users
    downstream: tuple[str, ...] = ()  # numbers of live documents made from this one


@dataclass(frozen=True)
class Needs:
    """Which facts a step's checks read, so the service only fetches those."""

    value: bool = False
    lines: bool = False
    history: bool = False


@dataclass(frozen=True)
class SecondApproval:
    """二级审核: approving more than ``value_over`` takes a second approver of ``roles``."""

    value_over: Decimal
    roles: frozenset[Role]


@dataclass(frozen=True)
class Workflow:
    document_type: str
    name: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    digest: str = ""
    posted_states: frozenset[str] = frozenset()
    holding_states: frozenset[str] = frozenset()  # where the document holds stock (预占)

    @property
    def second_approval(self) -> SecondApproval | None:
        """The lowest value above which an approval leads to another one, and who gives it.

        None where approving never takes two (a one-step workflow).
        """
        found = [
            SecondApproval(first.when.value_over, second.roles)
            for first in self.transitions
            if first.action == APPROVE and first.when and first.when.value_over is not None
            for second in self.transitions
            if second.action == APPROVE and first.target in second.sources
        ]
        return min(found, key=lambda approval: approval.value_over, default=None)

    @property
    def open_states(self) -> frozenset[str]:
        """An order's states where receipts or deliveries are made: those it completes from."""
        return frozenset(
            source for t in self.transitions if t.action == COMPLETE for source in t.sources
        )

    @property
    def initial(self) -> str:
        return next(state.name for state in self.states.values() if state.initial)

    def editable(self, state: str) -> bool:
        found = self.states.get(state)
        return found is not None and (found.initial or found.editable)

    def moves_on(self, action: str, state: str) -> bool:
        """Whether ``action`` takes a document on from ``state`` (提交, 审核, 执行, 归档 …).

        Not back or out of the flow (驳回, 反审核, 作废, 关闭): those wait for nobody. A step
        back asks why (reason: required) or lands where the document is written anew or
        given up; an admin's workflow may keep a 驳回 state that is not editable.
        """
        for transition in self.transitions:
            if transition.action != action or state not in transition.sources:
                continue
            target = self.states[transition.target]
            if target.name in self.posted_states:
                return True
            if not (
                transition.reason_required or target.initial or target.editable or target.final
            ):
                return True
        return False

    @property
    def editable_states(self) -> tuple[str, ...]:
        return tuple(name for name in self.states if self.editable(name))

    def steps_of(
        self, who: Principal, state: str, source: str, destination: str | None
    ) -> list[str]:
        """The actions from ``state`` ``who`` holds a role for, guards aside.

        ``source`` and ``destination`` are the document's warehouses (a transfer's two).
        """
        return [
            action
            for action in self.allowed(state)
            if any(
                who.holds(t.roles, t.warehouse(source, destination))
                for t in self.transitions
                if t.action == action and state in t.sources
            )
        ]

    def barred_by(
        self, state: str, action: str, actor: str, done_by: Mapping[str, AbstractSet[str]]
    ) -> str | None:
        """What ``actor`` did that separation of duties keeps them from ``action`` for.

        None when some way to take the step is open to them. ``done_by``: who took each
        action in the document's current round.
        """
        transitions = [t for t in self.transitions if t.action == action and state in t.sources]
        barring: str | None = None
        for transition in transitions:
            did = _barring(transition, actor, done_by)
            if not did:
                return None
            barring = barring or did[0]
        return barring

    def allowed(self, state: str) -> list[str]:
        """The actions defined from ``state``, in definition order."""
        return list(dict.fromkeys(t.action for t in self.transitions if state in t.sources))

    def candidates(self, state: str, action: str, number: str) -> list[Transition]:
        """Transitions for ``action`` from ``state``.

        Raises:
            Conflict: workflow.transition_not_allowed naming the state, action and allowed ones.
            Invalid: workflow.unknown_step (no step of the workflow has that name), the same.
        """
        found = [t for t in self.transitions if t.action == action and state in t.sources]
        if not found:
            known = any(t.action == action for t in self.transitions)
            raise (Conflict if known else Invalid)(
                "workflow.transition_not_allowed" if known else "workflow.unknown_step",
                {
                    "number": number,
                    "state": state,
                    "action": action,
                    "actions": self.allowed(state),
                },
            )
        return found

    def owners(self, state: str) -> frozenset[Role]:
        """Roles that can move a document on from ``state`` (who a reminder goes to)."""
        return frozenset(role for t in self.transitions if state in t.sources for role in t.roles)


def needs(transitions: Iterable[Transition]) -> Needs:
    value = lines = history = False
    for transition in transitions:
        value = value or transition.when is not None
        for guard in transition.guards:
            history = history or isinstance(guard, NotBy)
            lines = (
                lines
                or isinstance(guard, ShelfLife)
                or (
                    isinstance(guard, Required)
                    and bool({"unit_cost", "location"} & set(guard.fields))
                )
            )
    return Needs(value, lines, history)


def choose(candidates: Sequence[Transition], facts: DocumentFacts) -> Transition:
    """The first candidate whose condition holds for the document.

    Raises:
        Conflict: workflow.no_condition_holds when a condition routes it nowhere.
    """
    for transition in candidates:
        if transition.when is None or transition.when.holds(facts.value, facts.quantity):
            return transition
    raise Conflict(
        "workflow.no_condition_holds",
        {"number": facts.number, "action": candidates[0].action, "value": str(facts.value)},
    )


def check_step(
    workflow: Workflow,
    transition: Transition,
    facts: DocumentFacts,
    actor: str,
    reason: str | None,
) -> None:
    """Every guard of ``transition`` at once, plus the rules no definition can turn off.

    Raises:
        Forbidden: workflow.same_person (separation of duties: another person must take
            the step, whatever else is wrong with the document).
        Invalid: each failure as an item (workflow.reason_required, workflow.field_required,
            workflow.batch_expired, workflow.shelf_life_short, workflow.has_downstream).
    """
    barred = ErrorCollector()
    for did in _barring(transition, actor, facts.done_by):
        barred.add(
            "/actor",
            "workflow.same_person",
            user=actor,
            did=did,
            action=transition.action,
            number=facts.number,
        )
    refusal = barred.error()
    if refusal is not None:
        raise Forbidden(refusal.code, refusal.params, refusal.items)
    errors = ErrorCollector()
    if transition.reason_required and not (reason or "").strip():
        errors.add("/reason", "workflow.reason_required", action=transition.action)
    if reason is not None and len(reason) > MAX_REASON:
        errors.add("/reason", "text.too_long", field="reason", value=reason[:50])
    if facts.downstream and transition.target not in workflow.posted_states:
        errors.add(
            "/state",
            "workflow.has_downstream",
            number=facts.number,
            action=transition.action,
            documents=", ".join(facts.downstream),
        )
    for guard in transition.guards:
        if isinstance(guard, Required):
            _check_required(guard, facts, transition.action, errors)
        elif not isinstance(guard, NotBy):
            _check_shelf_life(guard, facts, errors)
    errors.raise_if_any()


def check_not_by(workflow: Workflow) -> None:
    """A not_by must name steps someone takes on the document: a typo would bar nobody.

    Asked of a definition as it is installed; one installed by an older release that did
    not ask keeps working as it did.

    Raises:
        Invalid: workflow.not_by_unknown, each with its transition's line.
    """
    steps = ["create", "edit", *dict.fromkeys(t.action for t in workflow.transitions)]
    errors = ErrorCollector()
    for index, transition in enumerate(workflow.transitions, start=1):
        for guard in transition.guards:
            for action in guard.actions if isinstance(guard, NotBy) else ():
                if action not in steps:
                    errors.add(
                        f"/transitions/{index}/guards",
                        "workflow.not_by_unknown",
                        line=transition.line,
                        action=action,
                        steps=steps,
                    )
    errors.raise_if_any()


def _barring(
    transition: Transition, actor: str, done_by: Mapping[str, AbstractSet[str]]
) -> list[str]:
    """The actions ``actor`` took that separation of duties bars them from ``transition`` for."""
    return [
        did
        for guard in transition.guards
        if isinstance(guard, NotBy)
        for did in guard.barred_after
        if actor in done_by.get(did, ())
    ]


def _check_required(
    guard: Required, facts: DocumentFacts, action: str, errors: ErrorCollector
) -> None:
    for name in guard.fields:
        if name in ("note", "counterpart"):
            if not getattr(facts, name):
                errors.add(f"/{name}", "workflow.field_required", field=name, action=action)
            continue
        for line in facts.lines:
            if getattr(line, name) is None:
                errors.add(
                    f"/lines/{line.line_no}/{name}",
                    "workflow.line_field_required",
                    field=name,
                    line=line.line_no,
                    action=action,
                )


def _check_shelf_life(guard: ShelfLife, facts: DocumentFacts, errors: ErrorCollector) -> None:
    for line in facts.lines:
        if line.expiry_date is None:
            continue
        left = (line.expiry_date - facts.business_date).days
        pointer = f"/lines/{line.line_no}/expiry_date"
        if left <= 0:
            errors.add(
                pointer,
                "workflow.batch_expired",
                item=line.item,
                batch=line.batch or "",
                expiry_date=line.expiry_date.isoformat(),
            )
            continue
        wanted = guard.min_days or 0
        if guard.min_ratio is not None and line.shelf_life_days:
            ratio_days = line.shelf_life_days * guard.min_ratio
            wanted = max(wanted, int(ratio_days.to_integral_value(rounding="ROUND_CEILING")))
        if left < wanted:
            errors.add(
                pointer,
                "workflow.shelf_life_short",
                item=line.item,
                batch=line.batch or "",
                expiry_date=line.expiry_date.isoformat(),
                days_left=left,
                days_required=wanted,
            )


@dataclass(frozen=True)
class StepTime:
    """单据处理周期 of one step: how long documents stayed in a state before moving on."""

    state: str
    count: int
    mean: timedelta
    median: timedelta
    longest: timedelta


def cycle_times(stays: Iterable[tuple[str, timedelta]]) -> dict[str, StepTime]:
    """Per state, the stays' count, mean, median and longest."""
    by_state: dict[str, list[timedelta]] = {}
    for state, stay in stays:
        by_state.setdefault(state, []).append(stay)
    result = {}
    for state, times in by_state.items():
        times.sort()
        middle = len(times) // 2
        median = times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2
        total = sum(times, timedelta())
        result[state] = StepTime(state, len(times), total / len(times), median, times[-1])
    return result


# reading a definition --------------------------------------------------------------------

_TOP_KEYS = {"document_type", "name", "description", "states", "transitions"}
_STATE_KEYS = {"initial", "final", "sla_hours", "editable", "description"}
_TRANSITION_KEYS = {
    "action",
    "from",
    "to",
    "roles",
    "run",
    "guards",
    "when",
    "reason",
    "warehouse",
    "description",
}
_GUARD_KINDS = "required, not_by, shelf_life"
_CONDITIONS = ("value_over", "value_at_most", "quantity_over", "quantity_at_most")


def parse_workflow(spec: Any, line_of: Callable[[str], int]) -> Workflow:
    """A workflow from a plain structure (as YAML loads), checked as a whole.

    ``line_of`` maps a JSON pointer into ``spec`` to its line in the source, so every
    problem names the line to fix.

    Raises:
        Invalid: workflow.invalid items, each naming its line: unknown keys, states,
            roles, handlers or guards; a transition to nowhere; an unreachable state; a
            state left for one before the posting; a missing posting step.
    """
    reader = _Reader(line_of)
    workflow = reader.workflow(spec)
    reader.errors.raise_if_any()
    assert workflow is not None
    return workflow


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


class _Reader:
    def __init__(self, line_of: Callable[[str], int]) -> None:
        self.line_of = line_of
        self.errors = ErrorCollector()

    def fail(self, pointer: str, code: str, **params: Any) -> None:
        self.errors.add(pointer, code, line=self.line_of(pointer), **params)

    def mapping(self, value: Any, pointer: str, keys: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(pointer, "workflow.mapping_expected", key=pointer.rsplit("/", 1)[-1])
            return {}
        for key in value:
            if key not in keys:
                self.fail(f"{pointer}/{key}", "workflow.key_unknown", key=key)
        return value

    def names(self, value: Any, pointer: str) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return list(value)
        self.fail(pointer, "workflow.names_expected", key=pointer.rsplit("/", 1)[-1])
        return []

    def workflow(self, spec: Any) -> Workflow | None:
        top = self.mapping(spec, "", _TOP_KEYS)
        document_type = top.get("document_type")
        if document_type not in DOCUMENT_TYPES:
            self.fail(
                "/document_type",
                "workflow.document_type_unknown",
                value=str(document_type),
                types=list(DOCUMENT_TYPES),
            )
        name = top.get("name")
        if not isinstance(name, str) or not name:
            self.fail("/name", "workflow.name_required")
        states = self.states(top.get("states"))
        transitions = [
            self.transition(raw, f"/transitions/{index}", states)
            for index, raw in enumerate(top.get("transitions") or [], start=1)
        ]
        if not isinstance(top.get("transitions"), list) or not transitions:
            self.fail("/transitions", "workflow.transitions_required")
        parsed = tuple(t for t in transitions if t is not None)
        if self.errors.items:
            return None
        all_states = {**states, REVERSED: State(REVERSED, final=True)}
        posted, holding = self.check_graph(all_states, parsed, str(document_type))
        return Workflow(
            str(document_type),
            str(name),
            all_states,
            parsed,
            posted_states=posted,
            holding_states=holding,
        )

    def states(self, raw: Any) -> dict[str, State]:
        table = self.mapping(raw, "/states", set(raw) if isinstance(raw, dict) else set())
        states: dict[str, State] = {}
        for name, body in table.items():
            pointer = f"/states/{name}"
            if name == REVERSED:
                self.fail(pointer, "workflow.state_reserved", state=name)
                continue
            options = self.mapping(body or {}, pointer, _STATE_KEYS)
            sla = options.get("sla_hours")
            if sla is not None and (isinstance(sla, bool) or not isinstance(sla, int) or sla <= 0):
                self.fail(f"{pointer}/sla_hours", "workflow.sla_invalid", value=str(sla))
                sla = None
            states[str(name)] = State(
                str(name),
                initial=options.get("initial") is True,
                final=options.get("final") is True,
                sla=timedelta(hours=sla) if sla else None,
                editable=options.get("editable") is True,
            )
        initial = [state.name for state in states.values() if state.initial]
        if len(initial) != 1:
            self.fail("/states", "workflow.initial_state_count", count=len(initial))
        return states

    def transition(self, raw: Any, pointer: str, states: Mapping[str, State]) -> Transition | None:
        body = self.mapping(raw, pointer, _TRANSITION_KEYS)
        if not body:
            return None
        action = body.get("action")
        if not isinstance(action, str) or not action:
            self.fail(f"{pointer}/action", "workflow.action_required")
            action = "?"
        sources = self.names(body.get("from"), f"{pointer}/from")
        for source in sources:
            if source not in states:
                self.fail(f"{pointer}/from", "workflow.state_unknown", state=source, action=action)
            elif states[source].final:
                self.fail(f"{pointer}/from", "workflow.leaves_final", state=source, action=action)
        target = body.get("to")
        if not isinstance(target, str) or target not in states:
            self.fail(f"{pointer}/to", "workflow.target_unknown", state=str(target), action=action)
        roles = self.roles(body.get("roles"), f"{pointer}/roles", action)
        run = body.get("run")
        if run is not None and run not in set(Handler):
            self.fail(
                f"{pointer}/run",
                "workflow.handler_unknown",
                run=str(run),
                allowed=", ".join(Handler),
            )
        scope = body.get("warehouse", Scope.SOURCE.value)
        if scope not in set(Scope):
            self.fail(f"{pointer}/warehouse", "workflow.scope_unknown", value=str(scope))
        reason = body.get("reason")
        if reason not in (None, "required", "optional"):
            self.fail(f"{pointer}/reason", "workflow.reason_option", value=str(reason))
        return Transition(
            action=action,
            sources=tuple(sources),
            target=str(target),
            roles=roles,
            run=Handler(run) if run in set(Handler) else None,
            guards=self.guards(body.get("guards") or [], f"{pointer}/guards"),
            when=self.condition(body.get("when"), f"{pointer}/when"),
            reason_required=reason == "required",
            scope=Scope(scope) if scope in set(Scope) else Scope.SOURCE,
            line=self.line_of(pointer),
        )

    def roles(self, raw: Any, pointer: str, action: str) -> frozenset[Role]:
        roles = set()
        for name in self.names(raw, pointer):
            if name not in set(Role):
                self.fail(pointer, "workflow.role_unknown", role=name, allowed=", ".join(Role))
            elif name == Role.AUDITOR:
                self.fail(pointer, "workflow.auditor_changes_nothing", action=action)
            else:
                roles.add(Role(name))
        return frozenset(roles)

    def condition(self, raw: Any, pointer: str) -> Condition | None:
        if raw is None:
            return None
        body = self.mapping(raw, pointer, set(_CONDITIONS))
        values = {key: self.amount(body[key], f"{pointer}/{key}") for key in body}
        return Condition(**values) if body else None

    def amount(self, raw: Any, pointer: str) -> Decimal | None:
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            value = Decimal(-1)
        if isinstance(raw, bool) or not value.is_finite() or value < 0:
            self.fail(pointer, "workflow.amount_invalid", value=str(raw))
            return None
        return value

    def guards(self, raw: Any, pointer: str) -> tuple[Guard, ...]:
        if not isinstance(raw, list):
            self.fail(pointer, "workflow.list_expected", key="guards")
            return ()
        guards: list[Guard] = []
        for index, entry in enumerate(raw, start=1):
            at = f"{pointer}/{index}"
            if not isinstance(entry, dict) or len(entry) != 1:
                self.fail(at, "workflow.guard_unknown", guard=str(entry), allowed=_GUARD_KINDS)
                continue
            ((kind, options),) = entry.items()
            guard = self.guard(str(kind), options, f"{at}/{kind}")
            if guard is not None:
                guards.append(guard)
        return tuple(guards)

    def guard(self, kind: str, options: Any, pointer: str) -> Guard | None:
        if kind == "required":
            fields = self.names(options, pointer)
            for name in fields:
                if name not in REQUIRABLE_FIELDS:
                    self.fail(
                        pointer,
                        "workflow.field_unknown",
                        field=name,
                        allowed=", ".join(REQUIRABLE_FIELDS),
                    )
            return Required(tuple(fields))
        if kind == "not_by":
            return NotBy(tuple(self.names(options, pointer)))
        if kind == "shelf_life":
            body = self.mapping(options, pointer, {"min_days", "min_ratio"})
            days = body.get("min_days")
            ratio = (
                self.amount(body["min_ratio"], f"{pointer}/min_ratio")
                if "min_ratio" in body
                else None
            )
            if days is not None and (
                isinstance(days, bool) or not isinstance(days, int) or days < 0
            ):
                self.fail(f"{pointer}/min_days", "workflow.amount_invalid", value=str(days))
                days = None
            if ratio is not None and ratio > 1:
                self.fail(f"{pointer}/min_ratio", "workflow.amount_invalid", value=str(ratio))
            return ShelfLife(days, ratio)
        self.fail(pointer, "workflow.guard_unknown", guard=kind, allowed=_GUARD_KINDS)
        return None

    def check_graph(
        self, states: Mapping[str, State], transitions: Sequence[Transition], document_type: str
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Reachability, the posting steps, no way back from after the posting, reservations.

        Returns the states after the posting, and those where the document holds stock.
        """
        initial = next(state.name for state in states.values() if state.initial)
        before = _reach({initial}, transitions, through_posting=False)
        after = _reach(
            {t.target for t in transitions if t.run is not None and t.run.posts and t.sources},
            transitions,
            through_posting=True,
        )
        reachable = before | after
        for name in states:
            if name not in reachable and name != REVERSED:
                self.fail(f"/states/{name}", "workflow.state_unreachable", state=name)
        for name in sorted(before & after):
            self.fail(f"/states/{name}", "workflow.state_before_and_after_posting", state=name)
        handlers = {t.run for t in transitions}
        if document_type in ORDER_TYPES:
            wanted = [Handler.RESERVE] if document_type in RESERVING_TYPES else []
            if not any(t.action == COMPLETE for t in transitions):
                self.fail("/transitions", "workflow.complete_missing", action=COMPLETE)
            for transition in transitions:
                if transition.run is not None and transition.run.posts:
                    self.fail(
                        f"/transitions/{transitions.index(transition) + 1}/run",
                        "workflow.order_posts_nothing",
                        run=transition.run.value,
                        document_type=document_type,
                    )
        else:
            wanted = [Handler.POST] + ([Handler.RECEIVE] if document_type == "transfer" else [])
        for handler in wanted:
            if handler not in handlers:
                self.fail(
                    "/transitions",
                    "workflow.handler_missing",
                    run=handler.value,
                    document_type=document_type,
                )
        if Handler.RECEIVE in handlers and document_type != "transfer":
            self.fail("/transitions", "workflow.receive_only_transfers")
        holding = self.check_reservations(states, transitions, document_type, before)
        for name in sorted(after):
            if states[name].editable:
                self.fail(f"/states/{name}/editable", "workflow.editable_after_posting", state=name)
        seen: set[tuple[str, str]] = set()
        for transition in transitions:
            for source in transition.sources:
                key = (source, transition.action)
                if key in seen and transition.when is None:
                    self.fail(
                        f"/transitions/{transitions.index(transition) + 1}",
                        "workflow.transition_ambiguous",
                        state=source,
                        action=transition.action,
                    )
                seen.add(key)
        return frozenset(after), frozenset(holding)

    def check_reservations(
        self,
        states: Mapping[str, State],
        transitions: Sequence[Transition],
        document_type: str,
        before: set[str],
    ) -> set[str]:
        """Reserve and release only stock going out, before the posting, and never leak.

        A document holds its reservation from a ``reserve`` step until a ``release`` or
        the posting: a state reachable while holding it must not be one where the document
        ends, starts over or may be edited.
        """
        holding_steps = [t for t in transitions if t.run in (Handler.RESERVE, Handler.RELEASE)]
        for transition in holding_steps:
            pointer = f"/transitions/{transitions.index(transition) + 1}/run"
            if document_type not in RESERVING_TYPES:
                self.fail(
                    pointer,
                    "workflow.handler_not_for_type",
                    run=str(transition.run),
                    document_type=document_type,
                    allowed=", ".join(RESERVING_TYPES),
                )
            elif not set(transition.sources) <= before:
                self.fail(pointer, "workflow.handler_after_posting", run=str(transition.run))
        holding = {t.target for t in transitions if t.run is Handler.RESERVE}
        frontier = list(holding)
        while frontier:
            state = frontier.pop()
            for transition in transitions:
                if (
                    state in transition.sources
                    and transition.run is None
                    and transition.target not in holding
                ):
                    holding.add(transition.target)
                    frontier.append(transition.target)
        for name in sorted(holding):
            found = states[name]
            if found.initial or found.final or found.editable:
                self.fail(f"/states/{name}", "workflow.reservation_not_released", state=name)
        return holding


def _reach(start: set[str], transitions: Sequence[Transition], through_posting: bool) -> set[str]:
    """States reachable from ``start``; before the posting, posting transitions are not taken."""
    reached, frontier = set(start), list(start)
    while frontier:
        state = frontier.pop()
        for transition in transitions:
            if state not in transition.sources or transition.target in reached:
                continue
            if transition.run is not None and transition.run.posts and not through_posting:
                continue
            reached.add(transition.target)
            frontier.append(transition.target)
    return reached


def mermaid(workflow: Workflow, counts: dict[str, int], label: Callable[[str, str], str]) -> str:
    """The workflow as a Mermaid flowchart, each state with its live count."""
    lines = ["flowchart LR"]
    for name in workflow.states:
        lines.append(f'    {name}["{label("state.", name)} · {counts.get(name, 0)}"]')
    for transition in workflow.transitions:
        arrow = "==>" if transition.run else "-->"
        for source in transition.sources:
            lines.append(
                f"    {source} {arrow}|{label('permission.', transition.action)}| "
                f"{transition.target}"
            )
    reverse = label("permission.", "document.reverse")
    for name in sorted(workflow.posted_states - {REVERSED}):
        lines.append(f'    {name} -.->|"{reverse}"| {REVERSED}')
    return "\n".join(lines)
