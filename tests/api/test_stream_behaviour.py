"""How the streams behave towards the database and slow, cancelling or failing callers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from sqlalchemy import text

from authtuna_grpc.server import RunningServer
from tests.callers import Callers
from tests.rich_status import rich_error
from tests.seeding import add_many_users
from tests.streams import checkouts, settled

USERS = 3000
BATCH = 10  # 300 messages: far more than the transport buffers


@pytest.fixture
async def crowd(units) -> None:
    await add_many_users(units, "crowd", USERS)


@pytest.fixture
async def users(server: RunningServer) -> AsyncIterator[user_service_pb2_grpc.UserServiceStub]:
    """A client whose receive window stays at its initial 64 KiB: without BDP probing the
    transport cannot absorb the whole stream, so an idle reader really is idle."""
    options = [("grpc.http2.bdp_probe", 0)]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}", options=options) as channel:
        yield user_service_pb2_grpc.UserServiceStub(channel)


def _search(users, callers: Callers, **options):
    request = pb.SearchUsersRequest(identity="crowd", batch_size=BATCH)
    return users.SearchUsers(request, metadata=callers.admin, **options)


async def test_a_paused_reader_holds_no_connection_and_no_lock(server, users, callers: Callers, crowd) -> None:
    with checkouts(server) as counted:
        call = _search(users, callers)
        first = await call.read()
        await settled(counted)
    assert server.read_engine.pool.checkedout() == server.engine.pool.checkedout() == 0
    if server.engine.dialect.name == "postgresql":
        async with server.engine.connect() as connection:
            await connection.execute(text("SET LOCAL lock_timeout = '1s'"))
            await connection.execute(text('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE'))
            idle = await connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
                )
            )
            assert idle.scalar_one() == 0
    names = [u.username for u in first.users]
    while (message := await call.read()) is not grpc.aio.EOF:
        names.extend(u.username for u in message.users)
    assert len(names) == len(set(names)) == USERS


async def test_a_reader_that_stops_reading_stops_the_database_reads(server, users, callers: Callers, crowd) -> None:
    with checkouts(server) as counted:
        call = _search(users, callers)
        await call.read()
        while_paused = await settled(counted)
        assert while_paused < USERS // BATCH // 2, "the server waits for the client"
        received = 1
        while await call.read() is not grpc.aio.EOF:
            received += 1
    assert received == USERS // BATCH
    assert counted[0] >= USERS // BATCH


async def test_cancelling_a_search_stops_its_reads(server, users, callers: Callers, crowd, caplog) -> None:
    with checkouts(server) as counted:
        call = _search(users, callers)
        await call.read()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call.read()
        assert await settled(counted) < USERS // BATCH
    assert server.read_engine.pool.checkedout() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_deadline_ends_a_slow_search(server, users, callers: Callers, crowd) -> None:
    with checkouts(server) as counted:
        call = _search(users, callers, timeout=0.8)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in call:
                await asyncio.sleep(0.05)
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert await settled(counted) < USERS // BATCH
    assert server.read_engine.pool.checkedout() == 0


async def test_a_failure_mid_stream_ends_it_with_internal_after_what_was_sent(
    server, users, callers: Callers, crowd, caplog
) -> None:
    call = _search(users, callers)
    received = [await call.read()]
    async with server.engine.begin() as connection:
        await connection.execute(text('ALTER TABLE "user" RENAME TO user_elsewhere'))
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            while (message := await call.read()) is not grpc.aio.EOF:
                received.append(message)
    finally:
        async with server.engine.begin() as connection:
            await connection.execute(text('ALTER TABLE user_elsewhere RENAME TO "user"'))
    error = rich_error(caught.value)
    assert (error.code, error.reason) == (grpc.StatusCode.INTERNAL, "INTERNAL")
    assert error.message == "internal error; see the server log"
    assert 1 <= len(received) < USERS // BATCH
    assert any("unhandled error in /authtuna_api.user.v1.UserService/SearchUsers" in r.getMessage() for r in caplog.records)
