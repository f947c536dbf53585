"""The audit trail's hash chain: canonical content, chain hashes, and walking the chain.

Every audit event stores `previous_hash` (the chain hash of the event before it) and
`chain_hash` = SHA-256 over its canonical content, which includes its id and
`previous_hash`. Ids increase in commit order (storage assigns them while holding the
chain's head, with no gaps; events from before the chain may have gaps), so the chain is
the events in id order. Changing, deleting or inserting an event breaks a link that
`ChainWalk` finds.

The canonical form is a stored format: changing it makes every stored hash wrong. A
new form needs a new `CHAIN_FORMAT` and verification that knows both.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from authtuna_grpc.domain.audit import AuditEvent

CHAIN_FORMAT = 1
# How json.dumps writes a string with ensure_ascii (the C encoder where available).
_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
# The previous hash of the very first event.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainedEvent:
    """An audit event as stored: its place in the chain and both hashes."""

    id: int
    event_type: str
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    ip_address: str | None
    request_id: str
    occurred_at: datetime
    details: Mapping[str, object]
    previous_hash: str
    chain_hash: str


@dataclass(frozen=True)
class ChainPosition:
    """A link of the chain: an event id and its chain hash (the head, or the anchor)."""

    event_id: int
    chain_hash: str


def canonical_time(value: datetime) -> str:
    """UTC to the microsecond; a naive time (SQLite hands them back) is UTC already."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(event: ChainedEvent) -> bytes:
    """Stable JSON of everything the hash covers: sorted keys, no whitespace, ASCII.

    Exactly `json.dumps(document, sort_keys=True, separators=(",", ":"),
    ensure_ascii=True)` of the document below, written out by hand because it runs for
    every audit event (a bulk import writes thousands a second); a unit test holds the
    two equal.
    """
    details = json.dumps(dict(event.details), sort_keys=True, separators=(",", ":"))
    return (
        '{"actor_id":' + _uuid_or_null(event.actor_id)
        + ',"details":' + details
        + ',"event_type":' + _string(event.event_type)
        + ',"format":' + str(CHAIN_FORMAT)
        + ',"id":' + str(int(event.id))
        + ',"ip_address":' + _string_or_null(event.ip_address)
        + ',"occurred_at":' + _string(canonical_time(event.occurred_at))
        + ',"previous_hash":' + _string(event.previous_hash)
        + ',"request_id":' + _string(event.request_id)
        + ',"user_id":' + _uuid_or_null(event.user_id)
        + "}"
    ).encode()


def _string_or_null(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _uuid_or_null(value: uuid.UUID | None) -> str:
    return "null" if value is None else f'"{value}"'


def content_hash(event: ChainedEvent) -> str:
    """The chain hash the event's content calls for (whatever `chain_hash` it stores)."""
    return hashlib.sha256(canonical_content(event)).hexdigest()


def link(event: AuditEvent, event_id: int, previous_hash: str) -> ChainedEvent:
    """The event placed at `event_id` after an event whose chain hash is `previous_hash`."""
    fields = (
        event_id,
        event.event_type.value,
        event.user_id,
        event.actor_id,
        event.ip_address,
        event.request_id,
        event.occurred_at,
        dict(event.details),
        previous_hash,
    )
    return ChainedEvent(*fields, chain_hash=content_hash(ChainedEvent(*fields, chain_hash="")))


def link_all(
    events: list[AuditEvent], head: ChainPosition
) -> tuple[list[ChainedEvent], ChainPosition]:
    """Chain `events` after `head`; the events and the new head."""
    chained = []
    previous = head
    for offset, event in enumerate(events, start=1):
        placed = link(event, head.event_id + offset, previous.chain_hash)
        chained.append(placed)
        previous = ChainPosition(placed.id, placed.chain_hash)
    return chained, previous


class ChainProblem(enum.StrEnum):
    CONTENT_ALTERED = "CONTENT_ALTERED"
    LINK_BROKEN = "LINK_BROKEN"
    EVENT_MISSING = "EVENT_MISSING"
    TAIL_MISSING = "TAIL_MISSING"


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    problem: ChainProblem
    description: str


class ChainWalk:
    """Follows the chain event by event, from a link known to be good."""

    def __init__(self, start: ChainPosition) -> None:
        self.next_id = start.event_id + 1
        self.last = start
        self.verified = 0

    def step(self, event: ChainedEvent) -> ChainBreak | None:
        """Check the next event (events must come in id order). A gap in ids whose link
        holds is no break: events written before the chain existed may have gaps."""
        if event.id != self.next_id and event.previous_hash != self.last.chain_hash:
            return ChainBreak(
                self.next_id,
                ChainProblem.EVENT_MISSING,
                f"event {self.next_id} is missing: event {event.id}, the next one present, "
                f"does not link to event {self.last.event_id}",
            )
        if event.previous_hash != self.last.chain_hash:
            return ChainBreak(
                event.id,
                ChainProblem.LINK_BROKEN,
                f"event {event.id} names previous hash {event.previous_hash!r}, but the chain "
                f"hash of event {self.last.event_id} is {self.last.chain_hash!r}",
            )
        expected = content_hash(event)
        if expected != event.chain_hash:
            return _altered(
                event.id, f"its content hashes to {expected!r}, but it stores {event.chain_hash!r}"
            )
        self.last = ChainPosition(event.id, event.chain_hash)
        self.next_id = event.id + 1
        self.verified += 1
        return None

    def finish(self, end_id: int, head: ChainPosition) -> ChainBreak | None:
        """After the last event read: did the walk reach `end_id`, and, when that is the
        head, does the last event carry the hash the head recorded?"""
        if self.next_id <= end_id:
            problem = ChainProblem.TAIL_MISSING if end_id == head.event_id else ChainProblem.EVENT_MISSING
            return ChainBreak(
                self.next_id, problem, f"events {self.next_id} to {end_id} are missing"
            )
        if end_id == head.event_id and self.last.chain_hash != head.chain_hash:
            return _altered(
                head.event_id,
                f"the chain head recorded its hash as {head.chain_hash!r}, "
                f"but it stores {self.last.chain_hash!r}",
            )
        return None


def _altered(event_id: int, why: str) -> ChainBreak:
    return ChainBreak(
        event_id, ChainProblem.CONTENT_ALTERED, f"event {event_id} was changed after it was written: {why}"
    )
