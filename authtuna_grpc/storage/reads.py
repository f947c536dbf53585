"""Short read transactions for the streaming queries.

A stream reads one page per transaction and gives the connection back before the page
is sent, so a slow reader never holds a pool connection, a snapshot or a lock.

PostgreSQL plans a prepared statement generically after five executions when the
generic plan looks no worse than the custom ones; for `LIKE $1` over a trigram index,
or a time range, the generic plan cannot know how selective the value is and may scan
the whole table (0.3 ms becomes ~500 ms at a million users). asyncpg prepares and caches
every statement, so each page transaction forces custom plans for its own statements.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

FORCE_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


@asynccontextmanager
async def read_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection and one transaction for one page; always rolled back and returned."""
    async with engine.connect() as connection:
        await connection.begin()
        if connection.dialect.name == "postgresql":
            await connection.execute(FORCE_CUSTOM_PLANS)
        yield connection
