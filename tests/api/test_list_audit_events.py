from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from authtuna_api.user.v1 import audit_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb
from google.protobuf import timestamp_pb2

from authtuna_grpc.domain.audit import EventType
from tests.callers import Callers
from tests.rich_status import rich_error
from tests.seeding import add_events, event
from tests.streams import messages

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALICE, BOB, ACTOR = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def _stamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


@pytest.fixture
async def trail(units) -> None:
    """Seven events after the bootstrap ones; details["n"] names each."""
    rows = [
        (EventType.USER_CREATED, ALICE, ACTOR, "10.1.2.3", 1),
        (EventType.ROLE_ASSIGNED, ALICE, ACTOR, "10.1.2.4", 2),
        (EventType.USER_CREATED, BOB, ACTOR, "10.9.0.1", 3),
        (EventType.API_TOKEN_CREATED, BOB, BOB, "2001:db8::7", 4),
        (EventType.ROLE_ASSIGNED, BOB, None, "::ffff:10.1.2.99", 5),
        (EventType.USER_CREATED, ALICE, BOB, "unix:/run/authtuna.sock", 6),
        (EventType.API_TOKEN_CREATED, ALICE, ACTOR, None, 7),
    ]
    await add_events(
        units,
        [
            event(kind, user_id=user, actor_id=actor, ip_address=ip, occurred_at=_at(n), details={"n": str(n)})
            for kind, user, actor, ip, n in rows
        ],
    )


async def _names(users, callers: Callers, **fields) -> list[str]:
    found = await messages(users.ListAuditEvents(pb.ListAuditEventsRequest(**fields), metadata=callers.admin))
    return [e.details["n"] for m in found for e in m.events if "n" in e.details]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"user_id": str(ALICE)}, ["7", "6", "2", "1"]),
        ({"actor_id": str(BOB)}, ["6", "4"]),
        ({"event_types": ["ROLE_ASSIGNED", "API_TOKEN_CREATED"]}, ["7", "5", "4", "2"]),
        ({"ip_address": "10.1.2.3"}, ["1"]),
        ({"ip_address": "10.1.2.0/24"}, ["5", "2", "1"]),
        ({"ip_address": "10.0.0.0/8"}, ["5", "3", "2", "1"]),
        ({"ip_address": "::ffff:10.1.2.4"}, ["2"]),
        ({"ip_address": "2001:db8::/32"}, ["4"]),
        ({"since": _stamp(_at(3)), "until": _stamp(_at(6))}, ["5", "4", "3"]),
        ({"user_id": str(ALICE), "event_types": ["USER_CREATED"], "actor_id": str(ACTOR)}, ["1"]),
        ({"user_id": str(BOB), "ip_address": "10.0.0.0/8", "since": _stamp(_at(4))}, ["5"]),
    ],
)
async def test_filters_combine_with_and(users, callers: Callers, trail, fields, expected) -> None:
    assert await _names(users, callers, **fields) == expected


async def test_order_and_resume_cursor(users, callers: Callers, trail) -> None:
    oldest = audit_pb2.AUDIT_EVENT_ORDER_OLDEST_FIRST
    found = await messages(
        users.ListAuditEvents(pb.ListAuditEventsRequest(user_id=str(ALICE), order=oldest), metadata=callers.admin)
    )
    events = [e for m in found for e in m.events]
    assert [e.details["n"] for e in events] == ["1", "2", "6", "7"]
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert await _names(users, callers, user_id=str(ALICE), order=oldest, after_id=events[1].id) == ["6", "7"]
    assert await _names(users, callers, user_id=str(ALICE), after_id=events[2].id) == ["2", "1"]


async def test_batches_and_limit(users, callers: Callers, trail) -> None:
    found = await messages(
        users.ListAuditEvents(pb.ListAuditEventsRequest(batch_size=2, limit=5), metadata=callers.admin)
    )
    assert [len(m.events) for m in found] == [2, 2, 1]
    ids = [e.id for m in found for e in m.events]
    assert ids == sorted(ids, reverse=True)


async def test_events_carry_every_field(users, callers: Callers, trail) -> None:
    [message] = await messages(
        users.ListAuditEvents(pb.ListAuditEventsRequest(actor_id=str(BOB), limit=1), metadata=callers.admin)
    )
    [found] = message.events
    assert found.event_type == "USER_CREATED"
    assert (found.user_id, found.actor_id) == (str(ALICE), str(BOB))
    assert found.ip_address == "unix:/run/authtuna.sock"
    assert found.request_id == "test"
    assert found.occurred_at.ToDatetime(tzinfo=UTC) == _at(6)
    assert dict(found.details) == {"n": "6"}


async def test_changes_made_over_grpc_are_found_by_the_callers_address(users, callers: Callers) -> None:
    created = (
        await users.CreateUser(pb.CreateUserRequest(email="trail@example.com", username="trail"), metadata=callers.admin)
    ).user
    found = await messages(
        users.ListAuditEvents(
            pb.ListAuditEventsRequest(user_id=created.id, ip_address="127.0.0.0/8"), metadata=callers.admin
        )
    )
    [event_] = [e for m in found for e in m.events]
    assert event_.event_type == "USER_CREATED" and event_.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (pb.ListAuditEventsRequest(user_id="nope"), ["user_id"]),
        (pb.ListAuditEventsRequest(actor_id="nope"), ["actor_id"]),
        (pb.ListAuditEventsRequest(event_types=["USER_CREATED", "USER_EXPLODED"]), ["event_types[1]"]),
        (pb.ListAuditEventsRequest(ip_address="10.0.0.0/33"), ["ip_address"]),
        (pb.ListAuditEventsRequest(ip_address="example.com"), ["ip_address"]),
        (pb.ListAuditEventsRequest(after_id=-1, limit=-1), ["after_id", "limit"]),
        (pb.ListAuditEventsRequest(batch_size=5000), ["batch_size"]),
        (pb.ListAuditEventsRequest(order=7), ["order"]),
        (pb.ListAuditEventsRequest(since=timestamp_pb2.Timestamp(seconds=-99_999_999_999)), ["since"]),
    ],
)
async def test_bad_requests_are_invalid_argument(users, callers: Callers, request_, fields) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(users.ListAuditEvents(request_, metadata=callers.admin))
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == fields


async def test_audit_trail_needs_audit_read(users, callers: Callers) -> None:
    for call in (
        users.ListAuditEvents(pb.ListAuditEventsRequest(), metadata=callers.member),
        users.WatchAuditEvents(pb.WatchAuditEventsRequest(), metadata=callers.member),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await messages(call)
        assert rich_error(caught.value).metadata == {"permission": "audit.read"}
