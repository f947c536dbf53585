"""Engine construction for PostgreSQL (asyncpg) and the embedded SQLite default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _unnamed_statement() -> str:
    return ""


# PgBouncer in transaction mode hands each transaction to any server connection, so a
# statement prepared under a name on one may be missing (or taken) on the next. With
# no caches and unnamed statements, every statement is parsed and run inside one
# transaction and nothing named outlives it.
PGBOUNCER_CONNECT_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": _unnamed_statement,
}


def create_engine(url: str, *, pool_size: int = 10, pgbouncer: bool = False) -> AsyncEngine:
    # hide_parameters: a failed statement's message must never carry a hash or token.
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        hide_parameters=True,
        connect_args=dict(PGBOUNCER_CONNECT_ARGS) if pgbouncer else {},
    )


def create_probe_engine(url: str, *, timeout: float, pgbouncer: bool = False) -> AsyncEngine:
    """One connection, for health probes only, that gives up after `timeout` seconds."""
    if is_sqlite(url):
        return create_async_engine(url, connect_args={"timeout": timeout})
    connect_args: dict[str, Any] = {"timeout": timeout, "command_timeout": timeout}
    if pgbouncer:
        connect_args.update(PGBOUNCER_CONNECT_ARGS)
    return create_async_engine(
        url, pool_size=1, max_overflow=0, pool_timeout=timeout, connect_args=connect_args
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed during a write; busy_timeout makes writers queue rather
    # than fail with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
