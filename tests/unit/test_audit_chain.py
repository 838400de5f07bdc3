"""The audit chain: sealed events verify; any change, removal or reordering is caught."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditEvent,
    Break,
    canonical_json,
    event_hash,
    seal,
    verify,
)

MOMENT = datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC)


def entries(count: int) -> list[AuditEntry]:
    return [
        AuditEntry(
            "张三",
            "document.post",
            "document",
            f"CK2026112500{n:02d}",
            {"lines": n, "note": "红冲 RETRO-CLOCK"},
            "draft",
            "posted",
        )
        for n in range(count)
    ]


def chain(count: int) -> list[AuditEvent]:
    return seal(entries(count), (0, GENESIS_HASH), MOMENT)


def head_of(events: list[AuditEvent]) -> tuple[int, str]:
    return (events[-1].sequence, events[-1].hash) if events else (0, GENESIS_HASH)


def test_a_sealed_chain_verifies_and_reports_its_length_and_head():
    events = chain(5)

    report = verify(events, head_of(events))

    assert report.ok
    assert report.events == 5
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].previous_hash == GENESIS_HASH
    assert all(b.previous_hash == a.hash for a, b in zip(events, events[1:], strict=False))


def test_an_empty_chain_verifies_against_the_genesis_head():
    assert verify([], (0, GENESIS_HASH)).ok


def test_sealing_continues_after_the_given_head():
    first = chain(3)
    more = seal(entries(2), head_of(first), MOMENT + timedelta(seconds=1))

    assert [e.sequence for e in more] == [4, 5]
    assert verify(first + more, head_of(more)).ok


def test_the_same_moment_in_another_time_zone_seals_the_same_hash():
    beijing = MOMENT.astimezone(timezone(timedelta(hours=8)))

    in_utc = seal(entries(1), (0, GENESIS_HASH), MOMENT)
    in_beijing = seal(entries(1), (0, GENESIS_HASH), beijing)

    assert in_utc == in_beijing
    assert in_beijing[0].occurred_at.utcoffset() == timedelta(0)


def test_the_payload_is_stored_as_canonical_json_with_chinese_kept_readable():
    event = chain(1)[0]

    assert event.payload == '{"lines":0,"note":"红冲 RETRO-CLOCK"}'
    assert canonical_json({"b": 1, "a": [1, "二"]}) == '{"a":[1,"二"],"b":1}'


TAMPERED = {
    "occurred_at": MOMENT + timedelta(microseconds=1),
    "actor": "李四",
    "action": "document.reverse",
    "subject_type": "item",
    "subject": "CK202611259999",
    "from_state": "posted",
    "to_state": "reversed",
    "payload": '{"lines":99,"note":"红冲 RETRO-CLOCK"}',
}


@pytest.mark.parametrize(("field", "value"), TAMPERED.items())
def test_changing_any_field_of_a_stored_event_is_caught_at_that_event(field, value):
    events = chain(5)
    events[2] = dataclasses.replace(events[2], **{field: value})

    report = verify(events, head_of(events))

    assert (report.problem, report.broken_at) == (Break.CHANGED, 3)
    assert report.events == 2, "the events before the break are counted as sound"


def test_a_changed_event_resealed_by_the_tamperer_is_caught_at_the_next_link():
    events = chain(5)
    forged = dataclasses.replace(events[2], actor="李四")
    fields = [getattr(forged, f.name) for f in dataclasses.fields(AuditEvent)][:-1]
    events[2] = dataclasses.replace(forged, hash=event_hash(*fields))

    report = verify(events, head_of(events))

    assert (report.problem, report.broken_at) == (Break.UNLINKED, 4)


def test_a_removed_event_is_caught_where_its_number_is_missing():
    events = chain(5)
    head = head_of(events)
    del events[1]

    report = verify(events, head)

    assert (report.problem, report.broken_at) == (Break.MISSING, 2)


def test_an_event_renumbered_to_hide_a_removal_is_caught_as_unlinked():
    events = chain(5)
    head = head_of(events)
    del events[1]
    events[1:] = [dataclasses.replace(e, sequence=e.sequence - 1) for e in events[1:]]

    report = verify(events, head)

    assert (report.problem, report.broken_at) == (Break.UNLINKED, 2)


def test_removing_the_newest_events_is_caught_against_the_head():
    events = chain(5)

    report = verify(events[:3], head_of(events))

    assert (report.problem, report.broken_at) == (Break.TRUNCATED, 4)


@given(
    count=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_any_single_change_anywhere_is_caught_no_later_than_the_changed_event(count, data):
    events = chain(count)
    head = head_of(events)
    position = data.draw(st.integers(min_value=0, max_value=count - 1))
    field = data.draw(st.sampled_from([*TAMPERED, "sequence", "previous_hash", "hash"]))
    original = getattr(events[position], field)
    if field == "sequence":
        value: object = original + data.draw(st.integers(min_value=1, max_value=5))
    elif field in ("previous_hash", "hash"):
        value = data.draw(st.text("0123456789abcdef", min_size=64, max_size=64))
    else:
        value = TAMPERED[field]
    if value == original:
        return
    events[position] = dataclasses.replace(events[position], **{field: value})

    report = verify(events, head)

    assert not report.ok
    assert report.broken_at is not None
    assert report.broken_at <= position + 1
