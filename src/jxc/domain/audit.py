"""The audit trail's rules: every action sealed with a hash chained to the one before.

Invariant 7 (every action is recorded append-only and tamper-evidently): an event's hash
covers its position in the chain, time, actor, action, subject, state change and its
payload, and the hash of the event before it. Changing a stored event breaks its own
hash; removing, inserting or reordering events breaks the link to the next one; removing
the newest events no longer matches the chain's head. ``verify`` names the first break.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"  # installation and upgrades, not a person
ANONYMOUS = "anonymous"  # a failed sign-in: the name typed is the subject, not the actor
RESERVED_ACTORS = frozenset({SYSTEM_ACTOR, ANONYMOUS})  # no user may be called so
MAX_SUBJECT = 200


@dataclass(frozen=True)
class AuditEntry:
    """What a service records about one action, before it is sealed into the chain."""

    actor: str
    action: str  # "document.post", "item.add" …
    subject_type: str  # "document", "item", "warehouse" …
    subject: str  # the subject as people name it: a document number, an item code
    payload: Mapping[str, Any] = field(default_factory=dict)
    from_state: str | None = None
    to_state: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    """A sealed event as stored; ``payload`` is its canonical JSON text."""

    sequence: int
    occurred_at: datetime
    actor: str
    action: str
    subject_type: str
    subject: str
    from_state: str | None
    to_state: str | None
    payload: str
    previous_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, Chinese kept as is, other types as str."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _moment(occurred_at: datetime) -> str:
    return occurred_at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    sequence: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject: str,
    from_state: str | None,
    to_state: str | None,
    payload: str,
    previous_hash: str,
) -> str:
    sealed = [
        sequence,
        _moment(occurred_at),
        actor,
        action,
        subject_type,
        subject,
        from_state,
        to_state,
        hashlib.sha256(payload.encode()).hexdigest(),
        previous_hash,
    ]
    return hashlib.sha256(canonical_json(sealed).encode()).hexdigest()


def seal(
    entries: Iterable[AuditEntry], after: tuple[int, str], occurred_at: datetime
) -> list[AuditEvent]:
    """Chain ``entries`` after the head ``(sequence, hash)``, in order, at one moment."""
    sequence, previous = after
    moment = occurred_at.astimezone(UTC)
    events = []
    for entry in entries:
        sequence += 1
        payload = canonical_json(entry.payload)
        fields = (
            sequence,
            moment,
            entry.actor,
            entry.action,
            entry.subject_type,
            entry.subject,
            entry.from_state,
            entry.to_state,
            payload,
            previous,
        )
        previous = event_hash(*fields)
        events.append(AuditEvent(*fields, previous))
    return events


class Break(StrEnum):
    CHANGED = "changed"  # the event's content no longer matches its hash
    UNLINKED = "unlinked"  # it does not follow the event before it (removed, inserted, moved)
    MISSING = "missing"  # a number in the sequence has no event
    TRUNCATED = "truncated"  # the newest events are gone: the chain ends before its head


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_sequence: int
    head_hash: str
    broken_at: int | None = None  # the sequence number of the first broken link
    problem: Break | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(events: Iterable[AuditEvent], head: tuple[int, str]) -> ChainReport:
    """Walk ``events`` in sequence order up to the chain's head; report the first break."""
    head_sequence, head_hash = head
    sequence, previous = 0, GENESIS_HASH
    count = 0

    def broken(at: int, problem: Break) -> ChainReport:
        return ChainReport(count, head_sequence, head_hash, at, problem)

    for event in events:
        if event.sequence != sequence + 1:
            return broken(sequence + 1, Break.MISSING)
        if event.previous_hash != previous:
            return broken(event.sequence, Break.UNLINKED)
        recomputed = event_hash(
            event.sequence,
            event.occurred_at,
            event.actor,
            event.action,
            event.subject_type,
            event.subject,
            event.from_state,
            event.to_state,
            event.payload,
            event.previous_hash,
        )
        if recomputed != event.hash:
            return broken(event.sequence, Break.CHANGED)
        sequence, previous = event.sequence, event.hash
        count += 1
    if sequence != head_sequence or previous != head_hash:
        return broken(sequence + 1, Break.TRUNCATED)
    return ChainReport(count, head_sequence, head_hash)
