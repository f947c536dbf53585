"""A thousand calls cancelled by their clients mid-way leave the connection pool whole.

A cancelled call cancels its handler wherever it is — waiting for a pooled connection,
inside a transaction, between two statements — and the unit of work must still give
its connection back. Afterwards no connection is checked out, PostgreSQL holds no more
sessions than the pool may open, and the server answers as before.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import grpc
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import user_service_pb2 as upb
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy import text

from authtuna_grpc.server import RunningServer
from authtuna_grpc.storage.database import is_sqlite
from tests.callers import ADMIN_TOKEN, bearer
from tests.sign_ins import STRONG, create_user

CALLS = 1000
AT_ONCE = 50
# Delays before the cancel, in seconds, from before the call is sent, through its
# authentication and its statements, to after it finished.
DELAYS = (0.0, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128)
ADMIN = bearer(ADMIN_TOKEN)
NOT_OURS = {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"}


async def _served_streams(channel: grpc.aio.Channel) -> list[MethodDescriptor]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    listed = (await call.read()).list_services_response.service
    await call.done_writing()
    pool = descriptor_pool.Default()
    return [
        method
        for service in listed
        if service.name not in NOT_OURS
        for method in pool.FindServiceByName(service.name).methods
        if method.server_streaming and not method.client_streaming
    ]


def _stream_call(channel: grpc.aio.Channel, method: MethodDescriptor):  # type: ignore[no-untyped-def]
    request_type = message_factory.GetMessageClass(method.input_type)
    response_type = message_factory.GetMessageClass(method.output_type)
    path = f"/{method.containing_service.full_name}/{method.name}"
    multicallable = channel.unary_stream(path, request_type.SerializeToString, response_type.FromString)
    return lambda serial: multicallable(request_type(), metadata=ADMIN)


def _unary_calls(channel: grpc.aio.Channel):  # type: ignore[no-untyped-def]
    """ListUsers (a read), CreateUser (a write transaction after a hash), SignIn."""
    path = "/authtuna_api.user.v1.{}"
    list_users = channel.unary_unary(
        path.format("UserService/ListUsers"), upb.ListUsersRequest.SerializeToString, upb.ListUsersResponse.FromString
    )
    create = channel.unary_unary(
        path.format("UserService/CreateUser"), upb.CreateUserRequest.SerializeToString, upb.CreateUserResponse.FromString
    )
    sign_in = channel.unary_unary(
        path.format("SessionService/SignIn"), spb.SignInRequest.SerializeToString, spb.SignInResponse.FromString
    )
    return [
        lambda serial: list_users(upb.ListUsersRequest(limit=50), metadata=ADMIN),
        lambda serial: create(
            upb.CreateUserRequest(email=f"cancel-{serial}@example.com", username=f"cancel-{serial}", password=STRONG),
            metadata=ADMIN,
        ),
        lambda serial: sign_in(spb.SignInRequest(identity="signer", password=STRONG), metadata=ADMIN),
    ]


async def _cancel_midway(start, serial: int, delay: float) -> str:  # type: ignore[no-untyped-def]
    call = start(serial)
    await asyncio.sleep(delay)
    finished = call.done()
    call.cancel()
    try:
        await call if not hasattr(call, "read") else [_ async for _ in call]
    except (grpc.aio.AioRpcError, asyncio.CancelledError):
        pass
    return "finished" if finished else "cancelled"


def _checked_out(server: RunningServer) -> int:
    """Connections in use, in the main pool and in the pool stream pages are read on."""
    return int(server.engine.pool.checkedout() + server.read_engine.pool.checkedout())  # type: ignore[attr-defined]


async def _until_pool_is_whole(server: RunningServer, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (out := _checked_out(server)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return out


async def test_a_thousand_calls_cancelled_midway_streams_if_served_else_unary_leave_the_pool_whole(
    server: RunningServer, channel: grpc.aio.Channel, users, settings
) -> None:
    """Streams of every served server-streaming RPC, round robin, when the server serves
    any; while it serves none, the thousand calls are unary (ListUsers, CreateUser,
    SignIn) — the output says which."""
    for n in range(60):
        await create_user(users, ADMIN, f"listed-{n}")
    await create_user(users, ADMIN, "signer", password=STRONG)
    streams = await _served_streams(channel)
    starts = [_stream_call(channel, m) for m in streams] or _unary_calls(channel)
    kinds = itertools.cycle(starts)
    delays = itertools.cycle(DELAYS)
    results: list[str] = []
    for batch in range(0, CALLS, AT_ONCE):
        results += await asyncio.gather(
            *(_cancel_midway(next(kinds), batch + i, next(delays)) for i in range(AT_ONCE))
        )
    kind = f"streams of {[m.name for m in streams]}" if streams else "unary calls (no stream served)"
    print(
        f"\ncancelled mid-way: {CALLS} {kind}: {results.count('cancelled')} cancelled in flight, "
        f"{results.count('finished')} finished first"
    )
    assert len(results) == CALLS and results.count("cancelled") > CALLS // 2
    # On SQLite, a writer cancelled mid-transaction may leave the others queued behind
    # SQLite's busy timeout (30 s) before every connection is back; PostgreSQL has none.
    wait = 40 if is_sqlite(settings.database_url) else 10
    assert await _until_pool_is_whole(server, wait) == 0
    if not is_sqlite(settings.database_url):
        async with server.engine.connect() as connection:
            sessions = (
                await connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                )
            ).scalar_one()
        # The main pool (size and overflow) and the stream pool (at most the size).
        assert sessions <= 3 * settings.db_pool_size
    listed = await users.ListUsers(upb.ListUsersRequest(limit=5), metadata=ADMIN)
    assert len(listed.users) == 5
