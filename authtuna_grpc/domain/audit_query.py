"""Reading the audit trail: recorded events, filters, and how a stream of them runs."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.audit import EventType
from authtuna_grpc.domain.errors import FieldViolation, InvalidInput
from authtuna_grpc.domain.network import AddressRange, address_key, address_range
from authtuna_grpc.domain.search import MAX_BATCH_SIZE

MAX_EVENT_TYPES = 64
HEARTBEAT_DEFAULT_SECONDS = 15.0
HEARTBEAT_MIN_SECONDS = 0.5
HEARTBEAT_MAX_SECONDS = 300.0


class AuditOrder(enum.Enum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


@dataclass(frozen=True)
class RecordedAuditEvent:
    """An audit event as stored, with its place in the trail."""

    id: int
    event_type: str
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    ip_address: str | None
    request_id: str
    occurred_at: datetime
    details: dict[str, str]


@dataclass(frozen=True)
class AuditEventFilter:
    """Every set condition must hold. `since` is inclusive, `until` exclusive."""

    user_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    event_types: frozenset[str] = frozenset()
    addresses: AddressRange | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, event: RecordedAuditEvent) -> bool:
        """The same test the database applies, for events already in hand (a live watch)."""
        return (
            (self.user_id is None or event.user_id == self.user_id)
            and (self.actor_id is None or event.actor_id == self.actor_id)
            and (not self.event_types or event.event_type in self.event_types)
            and (self.addresses is None or self.addresses.contains(address_key(event.ip_address)))
            and (self.since is None or event.occurred_at >= self.since)
            and (self.until is None or event.occurred_at < self.until)
        )


@dataclass(frozen=True)
class AuditQuery:
    filter: AuditEventFilter
    order: AuditOrder
    after_id: int | None
    limit: int | None
    batch_size: int


@dataclass(frozen=True)
class AuditWatch:
    filter: AuditEventFilter
    # None: from now on; otherwise replay every event with a greater id first.
    after_id: int | None
    heartbeat_seconds: float


def _user_id(value: str, field: str, violations: list[FieldViolation]) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        violations.append(FieldViolation(field, "must be a user id (UUID)"))
        return None


def _event_types(values: Sequence[str], violations: list[FieldViolation]) -> frozenset[str]:
    if len(values) > MAX_EVENT_TYPES:
        violations.append(FieldViolation("event_types", f"must have at most {MAX_EVENT_TYPES} entries"))
        return frozenset()
    known = {t.value for t in EventType}
    for index, value in enumerate(values):
        if value not in known:
            # Not the list of types: ten of these must fit in the trailers a client reads.
            violations.append(FieldViolation(f"event_types[{index}]", "is not a known event type"))
    return frozenset(values)


def _addresses(value: str, violations: list[FieldViolation]) -> AddressRange | None:
    if not value:
        return None
    try:
        return address_range(value)
    except ValueError:
        violations.append(
            FieldViolation("ip_address", "must be an IP address or a CIDR network such as 10.0.0.0/8")
        )
        return None


def audit_event_filter(
    violations: list[FieldViolation],
    *,
    user_id: str,
    actor_id: str,
    event_types: Sequence[str],
    ip_address: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditEventFilter:
    """Parse the filter fields, adding a violation for each bad one."""
    return AuditEventFilter(
        user_id=_user_id(user_id, "user_id", violations),
        actor_id=_user_id(actor_id, "actor_id", violations),
        event_types=_event_types(event_types, violations),
        addresses=_addresses(ip_address, violations),
        since=since,
        until=until,
    )


def audit_query(
    event_filter: AuditEventFilter,
    violations: list[FieldViolation],
    *,
    order: AuditOrder,
    after_id: int,
    limit: int,
    batch_size: int,
) -> AuditQuery:
    """Validate the bounds of a ListAuditEvents stream; raise InvalidInput for every bad field."""
    if after_id < 0:
        violations.append(FieldViolation("after_id", "must not be negative"))
    if limit < 0:
        violations.append(FieldViolation("limit", "must not be negative; 0 means no limit"))
    if not 0 <= batch_size <= MAX_BATCH_SIZE:
        violations.append(FieldViolation("batch_size", f"must be between 0 and {MAX_BATCH_SIZE}"))
    if violations:
        raise InvalidInput.of(violations)
    return AuditQuery(event_filter, order, after_id or None, limit or None, batch_size or MAX_BATCH_SIZE)


def audit_watch(
    event_filter: AuditEventFilter,
    violations: list[FieldViolation],
    *,
    after_id: int | None,
    heartbeat_seconds: float | None,
) -> AuditWatch:
    """Validate a WatchAuditEvents request; raise InvalidInput for every bad field."""
    if after_id is not None and after_id < 0:
        violations.append(FieldViolation("after_id", "must not be negative"))
    heartbeat = heartbeat_seconds or HEARTBEAT_DEFAULT_SECONDS
    if not HEARTBEAT_MIN_SECONDS <= heartbeat <= HEARTBEAT_MAX_SECONDS:
        violations.append(
            FieldViolation(
                "heartbeat_interval",
                f"must be between {HEARTBEAT_MIN_SECONDS} and {HEARTBEAT_MAX_SECONDS:.0f} seconds",
            )
        )
    if violations:
        raise InvalidInput.of(violations)
    return AuditWatch(event_filter, after_id, heartbeat)
