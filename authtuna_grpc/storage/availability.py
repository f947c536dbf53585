"""Telling "the database cannot be reached" from "this statement failed", and probing it.

Connection failures surface in many shapes: asyncpg raises OSError (refused, reset,
timed out) while connecting, SQLAlchemy wraps errors on a live connection in DBAPIError
and marks the connection invalidated, PostgreSQL answers SQLSTATE class 08 or 57P0x
while it shuts down or starts, the pool times out when no connection comes free, and
SQLite reports a busy database. All of them mean the same to a caller: nothing it can
rely on happened, and the same call may succeed later. The unit of work turns them into
`StorageUnavailable`; everything else keeps its own meaning.
"""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

# admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_CONNECTION_EXCEPTION_CLASS = "08"
_SQLITE_BUSY = frozenset({"SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"})
_PROBE = text("SELECT 1")


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` (or what caused it) means the database is out of reach now."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_connection_failure(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, OSError):  # refused, reset, unreachable, timed out
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and (
        sqlstate.startswith(_CONNECTION_EXCEPTION_CLASS) or sqlstate in _UNAVAILABLE_SQLSTATES
    ):
        return True
    return isinstance(error, sqlite3.OperationalError) and (
        getattr(error, "sqlite_errorname", None) in _SQLITE_BUSY
    )


async def is_reachable(engine: AsyncEngine, timeout: float) -> bool:
    """Whether `SELECT 1` answers within `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                await connection.execute(_PROBE)
    except Exception:  # any failure at all means: not reachable now
        return False
    return True
