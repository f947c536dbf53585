"""Statements run straight on asyncpg (PostgreSQL only): the lookups every call makes,
and the pages of the search streams.

Every call authenticates its token and most then read one row. Through SQLAlchemy's
`execute` such a statement costs about 250 µs of CPU in this process besides the
database's own work; asyncpg's `fetch` of the same SQL about 40 µs (docs/benchmarks.md,
"The service against its ceilings"). A search page of a thousand users pays SQLAlchemy's
row processing a thousand times over. The statements stay SQLAlchemy statements,
compiled once, and run on a connection SQLAlchemy's pool lent out, so pooling,
deadlines, cancellation and PgBouncer mode (unnamed statements) are unchanged. SQLite
keeps `execute`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class Statement:
    """SQL compiled once for asyncpg, and the values of its parameters."""

    sql: str
    names: tuple[str, ...]
    params: dict[str, Any]

    def arguments(self, bounds: dict[str, Any]) -> list[Any]:
        return [bounds[name] if name in bounds else self.params[name] for name in self.names]


def compile_for_driver(dialect: Dialect, query: Executable) -> Statement:
    compiled = query.compile(dialect=dialect)  # type: ignore[attr-defined]
    return Statement(compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))


@lru_cache(maxsize=128)
def _compiled(query: Executable, dialect: Dialect) -> Statement:
    """For statements built once (module constants): the cache keeps each one alive."""
    return compile_for_driver(dialect, query)


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
    rows: Sequence[Mapping[Any, Any]] = await run(connection, _compiled(query, connection.dialect), values)
    return rows


async def run(connection: AsyncConnection, statement: Statement, values: dict[str, Any]) -> list[Any]:
    """asyncpg Records, which read like tuples and like mappings."""
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        rows: list[Any] = await driver.fetch(statement.sql, *statement.arguments(values))
    except Exception as error:
        if driver.is_closed():
            # SQLAlchemy did not see this connection fail: discard it from the pool
            # here, and report what happened as the connection failure it is.
            await connection.invalidate()
            raise ConnectionResetError("the database connection was closed") from error
        raise
    return rows
