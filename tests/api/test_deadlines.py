"""The caller's deadline reaches the database: an expired call leaves no query behind."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from sqlalchemy import text
from sqlalchemy.engine import make_url

from authtuna_grpc.storage import deadlines
from authtuna_grpc.storage.database import is_sqlite
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import Callers

WAITING_ON_LOCKS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_a_unit_of_work_limits_statements_to_the_callers_remaining_time(
    units: UnitOfWorkFactory, database_url: str
) -> None:
    deadlines.set_remaining(5.0)
    try:
        async with units() as uow:
            connection = uow.users._connection
            if is_sqlite(database_url):
                # SQLite has no statement timeout; the unit of work works as before.
                assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
                return
            limited = (await connection.execute(text("SHOW statement_timeout"))).scalar_one()
    finally:
        deadlines.set_remaining(None)
    async with units() as uow:
        unlimited = (await uow.users._connection.execute(text("SHOW statement_timeout"))).scalar_one()
    assert limited.endswith("ms") and 4000 < int(limited.removesuffix("ms")) <= 5000
    assert unlimited == "0"


@asynccontextmanager
async def _user_table_locked(database_url: str) -> AsyncIterator[asyncpg.Connection | None]:
    """Another session holds a lock that blocks inserting users until the block ends."""
    if is_sqlite(database_url):
        holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield None
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    connection = await asyncpg.connect(_dsn(database_url), statement_cache_size=0)
    try:
        async with connection.transaction():
            await connection.execute('LOCK TABLE "user" IN EXCLUSIVE MODE')
            yield connection
    finally:
        await connection.close()


async def test_a_call_whose_deadline_expires_while_its_query_waits_stops_the_query(
    users, callers: Callers, database_url: str
) -> None:
    request = pb.CreateUserRequest(email="late@example.com", username="late-one")
    async with _user_table_locked(database_url) as observer:
        started = time.monotonic()
        call = asyncio.ensure_future(users.CreateUser(request, metadata=callers.admin, timeout=1.5))
        if observer is not None:
            await asyncio.sleep(0.8)
            assert await observer.fetchval(WAITING_ON_LOCKS) == 1, "the insert should wait on the lock"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.monotonic() - started < 3
        if observer is not None:
            # Still holding the lock: the server's query must be gone all the same.
            waiting = 1
            for _ in range(40):
                waiting = await observer.fetchval(WAITING_ON_LOCKS)
                if waiting == 0:
                    break
                await asyncio.sleep(0.05)
            assert waiting == 0, "the expired call's query is still waiting in PostgreSQL"
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await users.GetUser(pb.GetUserRequest(username="late-one"), metadata=callers.admin)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_an_expired_read_leaves_no_query_behind(users, callers: Callers, database_url: str) -> None:
    """Reads run without a transaction (so without a statement timeout): the call's
    cancellation must stop the statement on the server."""
    request = pb.GetUserRequest(username="admin")
    if is_sqlite(database_url):
        # SQLite has no server to cancel on; a read with a deadline simply works.
        assert (await users.GetUser(request, metadata=callers.admin, timeout=1.5)).user.username
        return
    connection = await asyncpg.connect(_dsn(database_url), statement_cache_size=0)
    try:
        async with connection.transaction():
            await connection.execute('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE')
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await users.GetUser(request, metadata=callers.admin, timeout=1.0)
            assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert time.monotonic() - started < 3
            waiting = 1
            for _ in range(40):
                waiting = await connection.fetchval(WAITING_ON_LOCKS)
                if waiting == 0:
                    break
                await asyncio.sleep(0.05)
            assert waiting == 0, "the expired read is still waiting in PostgreSQL"
    finally:
        await connection.close()
