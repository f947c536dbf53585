from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.audit_chain import (
    GENESIS_HASH,
    ChainedEvent,
    ChainPosition,
    ChainProblem,
    ChainWalk,
    canonical_content,
    content_hash,
    link_all,
)

START = ChainPosition(0, GENESIS_HASH)
AT = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _events(count: int) -> list[AuditEvent]:
    return [
        AuditEvent(EventType.USER_UPDATED, uuid.uuid4(), None, "10.0.0.1", f"r{i}", AT, {"n": str(i)})
        for i in range(count)
    ]


def _walk(events: list[ChainedEvent], head: ChainPosition, start: ChainPosition = START):
    walk = ChainWalk(start)
    for event in events:
        if (found := walk.step(event)) is not None:
            return found, walk
    return walk.finish(head.event_id, head), walk


def test_linked_events_chain_from_the_head_and_verify() -> None:
    chained, head = link_all(_events(5), START)
    assert [e.id for e in chained] == [1, 2, 3, 4, 5]
    assert chained[0].previous_hash == GENESIS_HASH
    assert all(b.previous_hash == a.chain_hash for a, b in zip(chained, chained[1:]))
    assert head == ChainPosition(5, chained[-1].chain_hash)
    found, walk = _walk(chained, head)
    assert found is None and walk.verified == 5


def test_changed_content_is_named_at_its_event() -> None:
    chained, head = link_all(_events(5), START)
    chained[2] = replace(chained[2], details={"n": "forged"})
    found, walk = _walk(chained, head)
    assert found is not None and (found.event_id, found.problem) == (3, ChainProblem.CONTENT_ALTERED)
    assert walk.verified == 2


def test_a_rehashed_forgery_breaks_the_next_link() -> None:
    chained, head = link_all(_events(5), START)
    forged = replace(chained[1], event_type="USER_DELETED")
    chained[1] = replace(forged, chain_hash=content_hash(forged))
    found, _ = _walk(chained, head)
    assert found is not None and (found.event_id, found.problem) == (3, ChainProblem.LINK_BROKEN)


def test_a_rehashed_forgery_of_the_newest_event_differs_from_the_head() -> None:
    chained, head = link_all(_events(3), START)
    forged = replace(chained[2], details={"n": "forged"})
    chained[2] = replace(forged, chain_hash=content_hash(forged))
    found, _ = _walk(chained, head)
    assert found is not None and (found.event_id, found.problem) == (3, ChainProblem.CONTENT_ALTERED)


def test_a_deleted_event_is_named_as_missing() -> None:
    chained, head = link_all(_events(5), START)
    del chained[1]
    found, _ = _walk(chained, head)
    assert found is not None and (found.event_id, found.problem) == (2, ChainProblem.EVENT_MISSING)


def test_deleted_newest_events_are_a_missing_tail() -> None:
    chained, head = link_all(_events(5), START)
    found, walk = _walk(chained[:3], head)
    assert found is not None and (found.event_id, found.problem) == (4, ChainProblem.TAIL_MISSING)
    assert walk.verified == 3


def test_a_gap_in_ids_whose_link_holds_is_no_break() -> None:
    """Events written before the chain existed may have gaps (rolled-back sequence values)."""
    chained, _ = link_all(_events(2), START)
    later = replace(chained[1], id=7)
    later = replace(later, chain_hash=content_hash(later))
    found, walk = _walk([chained[0], later], ChainPosition(7, later.chain_hash))
    assert found is None and walk.verified == 2


def test_the_hash_covers_the_id_and_the_time_to_the_microsecond() -> None:
    [event], _ = link_all(_events(1), START)
    assert content_hash(replace(event, id=2)) != event.chain_hash
    later = replace(event, occurred_at=event.occurred_at + timedelta(microseconds=1))
    assert content_hash(later) != event.chain_hash


def test_canonical_content_is_the_same_for_equal_instants_in_any_zone() -> None:
    [event], _ = link_all(_events(1), START)
    naive_utc = replace(event, occurred_at=AT.replace(tzinfo=None))
    elsewhere = replace(event, occurred_at=AT.astimezone(timezone(timedelta(hours=5, minutes=30))))
    assert canonical_content(naive_utc) == canonical_content(event) == canonical_content(elsewhere)
    assert b'"occurred_at":"2026-01-02T03:04:05.678901Z"' in canonical_content(event)


def _reference_content(event: ChainedEvent) -> bytes:
    """The canonical form as its definition says: json.dumps with sorted keys."""
    document = {
        "format": 1,
        "id": event.id,
        "event_type": event.event_type,
        "user_id": str(event.user_id) if event.user_id is not None else None,
        "actor_id": str(event.actor_id) if event.actor_id is not None else None,
        "ip_address": event.ip_address,
        "request_id": event.request_id,
        "occurred_at": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "details": dict(event.details),
        "previous_hash": event.previous_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@pytest.mark.parametrize(
    "details",
    [{}, {"b": "2", "a": "1"}, {"quote\"key": 'va"l\\ue', "ctl": "\x00\x1f\n\t"}, {"é": "雪 ☃ 😀", "n": "null"}],
)
@pytest.mark.parametrize("optional", [None, "set"])
def test_the_canonical_content_is_exactly_the_sorted_json_document(details, optional) -> None:
    event = ChainedEvent(
        id=12345678901,
        event_type="USER_UPDATED",
        user_id=uuid.uuid4() if optional else None,
        actor_id=uuid.uuid4() if optional else None,
        ip_address="2001:db8::1" if optional else None,
        request_id='req "ü" \\ 1',
        occurred_at=AT,
        details=details,
        previous_hash=GENESIS_HASH,
        chain_hash="",
    )
    assert canonical_content(event) == _reference_content(event)
