from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import grpc
import pytest
from authtuna_api.user.v1 import audit_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from google.protobuf import duration_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from authtuna_grpc.domain.audit import EventType
from tests.callers import Callers
from tests.integration.test_command_line import _free_port
from tests.rich_status import rich_error
from tests.seeding import add_events, event
from tests.streams import checkouts, event_ids, is_heartbeat, messages, read_until, settled

FAST = duration_pb2.Duration(nanos=500_000_000)


def _watch(users, callers: Callers, **fields):
    return users.WatchAuditEvents(
        pb.WatchAuditEventsRequest(heartbeat_interval=FAST, **fields), metadata=callers.admin
    )


async def _started(call) -> int:
    """Wait until the watch runs (its first heartbeat); return where it stands."""
    [beat] = await read_until(call, is_heartbeat)
    return beat.resume_after_id


async def _newest_id(users, callers: Callers) -> int:
    found = await messages(users.ListAuditEvents(pb.ListAuditEventsRequest(limit=1), metadata=callers.admin))
    return found[0].events[0].id


async def test_watch_sends_what_is_committed_after_it_started(users, units, callers: Callers) -> None:
    call = _watch(users, callers, event_types=["USER_CREATED"])
    await _started(call)
    await add_events(units, [event(EventType.ROLE_ASSIGNED, details={"n": "ignored"})])
    created = (
        await users.CreateUser(pb.CreateUserRequest(email="w1@example.com", username="watched1"), metadata=callers.admin)
    ).user
    found = await read_until(call, lambda m: bool(m.events))
    [delivered] = [e for m in found for e in m.events]
    assert (delivered.event_type, delivered.user_id) == ("USER_CREATED", created.id)
    assert delivered.details["username"] == "watched1"
    call.cancel()


async def test_watch_replays_after_the_cursor_then_continues_live(users, units, callers: Callers) -> None:
    await add_events(units, [event(details={"n": str(n)}) for n in range(3)])
    newest = await _newest_id(users, callers)
    call = _watch(users, callers, after_id=newest - 2)
    replayed = await read_until(call, lambda m: newest in {e.id for e in m.events})
    assert [e.details["n"] for m in replayed for e in m.events] == ["1", "2"]
    await add_events(units, [event(details={"n": "live"})])
    live = await read_until(call, lambda m: bool(m.events))
    [delivered] = [e for m in live for e in m.events]
    assert delivered.details["n"] == "live" and delivered.id == newest + 1
    assert live[-1].resume_after_id >= delivered.id
    call.cancel()


async def test_watch_sends_heartbeats_while_nothing_happens(users, callers: Callers) -> None:
    call = _watch(users, callers)
    newest = await _newest_id(users, callers)
    beats = await read_until(call, is_heartbeat)
    beats += await read_until(call, is_heartbeat)
    assert all(is_heartbeat(b) and b.resume_after_id == newest for b in beats)
    assert beats[1].heartbeat_at.ToDatetime() > beats[0].heartbeat_at.ToDatetime()
    call.cancel()


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"event_types": ["ROLE_ASSIGNED", "API_TOKEN_CREATED"]},
        {"ip_address": "10.1.0.0/16"},
        {"ip_address": "2001:db8::1"},
        {"event_types": ["USER_CREATED"], "ip_address": "10.0.0.0/8"},
    ],
)
async def test_live_filters_agree_with_list_audit_events(users, units, callers: Callers, fields) -> None:
    call = _watch(users, callers, **fields)
    start = await _started(call)
    kinds = [EventType.USER_CREATED, EventType.ROLE_ASSIGNED, EventType.API_TOKEN_CREATED]
    addresses = ["10.1.2.3", "10.2.0.1", "::ffff:10.1.9.9", "2001:db8::1", None, "unix:x"]
    await add_events(
        units, [event(kinds[n % 3], ip_address=addresses[n % 6], details={"n": str(n)}) for n in range(12)]
    )
    last = await _newest_id(users, callers)
    live = await read_until(call, lambda m: m.resume_after_id >= last)
    listed = await messages(
        users.ListAuditEvents(
            pb.ListAuditEventsRequest(
                after_id=start, order=audit_pb2.AUDIT_EVENT_ORDER_OLDEST_FIRST, **fields
            ),
            metadata=callers.admin,
        )
    )
    assert event_ids(live) == event_ids(listed)
    assert event_ids(listed), "the filters select something"
    call.cancel()


async def test_cancelling_a_watch_stops_its_polling(server, users, callers: Callers) -> None:
    call = _watch(users, callers)
    await _started(call)
    with checkouts(server) as counted:
        await asyncio.sleep(0.6)
        assert counted[0] > 0, "a running watch polls"
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call.read()
        await settled(counted, quiet=1.0)
    assert server.read_engine.pool.checkedout() == 0


async def test_watch_ends_at_the_callers_deadline(users, callers: Callers) -> None:
    call = users.WatchAuditEvents(
        pb.WatchAuditEventsRequest(heartbeat_interval=FAST), metadata=callers.admin, timeout=1.2
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(call)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (pb.WatchAuditEventsRequest(heartbeat_interval=duration_pb2.Duration(nanos=100_000_000)), ["heartbeat_interval"]),
        (pb.WatchAuditEventsRequest(heartbeat_interval=duration_pb2.Duration(seconds=301)), ["heartbeat_interval"]),
        (pb.WatchAuditEventsRequest(after_id=-5, user_id="x"), ["user_id", "after_id"]),
        (pb.WatchAuditEventsRequest(event_types=["NOPE"]), ["event_types[0]"]),
    ],
)
async def test_bad_watch_requests_are_invalid_argument(users, callers: Callers, request_, fields) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await messages(users.WatchAuditEvents(request_, metadata=callers.admin))
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == fields


def _second_server(database_url: str, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    env.update(
        {
            "AUTHTUNA_DATABASE_URL": database_url,
            "AUTHTUNA_LISTEN": f"127.0.0.1:{port}",
            "AUTHTUNA_ARGON2_MEMORY_KIB": "64",
            "AUTHTUNA_ARGON2_TIME_COST": "1",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "authtuna_grpc", "serve"], env=env, stderr=subprocess.PIPE, text=True
    )


async def _serving(port: int) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        async with asyncio.timeout(30):
            while True:
                try:
                    response = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if response.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.2)


async def test_events_committed_by_another_server_process_reach_the_watch(
    database_url: str, users, callers: Callers
) -> None:
    port = _free_port()
    other = _second_server(database_url, port)
    try:
        await _serving(port)
        call = _watch(users, callers, event_types=["USER_CREATED"])
        await _started(call)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            elsewhere = user_service_pb2_grpc.UserServiceStub(channel)
            created = (
                await elsewhere.CreateUser(
                    pb.CreateUserRequest(email="far@example.com", username="far-away"), metadata=callers.admin
                )
            ).user
        found = await read_until(call, lambda m: bool(m.events))
        [delivered] = [e for m in found for e in m.events]
        assert delivered.user_id == created.id and delivered.details["username"] == "far-away"
        call.cancel()
    finally:
        other.send_signal(signal.SIGTERM)
        _, stderr = other.communicate(timeout=30)
    assert other.returncode == 0, stderr


async def test_the_first_message_says_the_watch_is_established(users, units, callers: Callers) -> None:
    newest = await _newest_id(users, callers)
    slow = users.WatchAuditEvents(
        pb.WatchAuditEventsRequest(heartbeat_interval=duration_pb2.Duration(seconds=300)), metadata=callers.admin
    )
    first = await asyncio.wait_for(slow.read(), 5)
    assert is_heartbeat(first) and first.resume_after_id == newest
    slow.cancel()
    replaying = _watch(users, callers, after_id=0)
    first = await replaying.read()
    assert is_heartbeat(first) and first.resume_after_id == 0
    assert (await replaying.read()).events, "then the replay"
    replaying.cancel()
