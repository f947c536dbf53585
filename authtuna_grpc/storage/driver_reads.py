"""The lookups every call makes, run straight on asyncpg (PostgreSQL only).

Every call authenticates its token and most then read one row. Through SQLAlchemy's
`execute` such a statement costs about 250 µs of CPU in this process besides the
database's own work; asyncpg's `fetch` of the same SQL about 40 µs (docs/benchmarks.md,
"The service against its ceilings"). The statements stay SQLAlchemy statements: they
are compiled once per dialect and run on the unit of work's own connection, so pooling,
deadlines, cancellation and PgBouncer mode (unnamed statements) are unchanged. SQLite
keeps `execute`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.storage.user_records import Statement, compile_for_driver

# Keyed by the statement's identity; the statement itself is kept with its compiled
# form, so an id is never reused while it is cached. Meant for statements built once.
_compiled: dict[tuple[int, str], tuple[Executable, Statement]] = {}


def runs_on_driver(connection: AsyncConnection) -> bool:
    """PostgreSQL in autocommit (a read unit of work). Not inside a transaction:
    SQLAlchemy sends BEGIN lazily, with its own first statement, which a statement run
    on the driver would then precede."""
    sync = connection.sync_connection
    return (
        connection.dialect.name == "postgresql"
        and sync is not None
        and sync.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    )


async def fetch(
    connection: AsyncConnection, query: Executable, values: dict[str, Any]
) -> Sequence[Mapping[Any, Any]]:
    """The rows of `query` (built once, with bindparams named as in `values`)."""
    key = (id(query), connection.dialect.name)
    cached = _compiled.get(key)
    if cached is None:
        cached = _compiled[key] = (query, compile_for_driver(connection.dialect, query))  # type: ignore[arg-type]
    statement = cached[1]
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        rows: Sequence[Mapping[Any, Any]] = await driver.fetch(
            statement.sql, *statement.arguments(values)
        )
    except Exception as error:
        if driver.is_closed():
            # SQLAlchemy did not see this connection fail: discard it from the pool
            # here, and report what happened as the connection failure it is.
            await connection.invalidate()
            raise ConnectionResetError("the database connection was closed") from error
        raise
    return rows
