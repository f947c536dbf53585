"""The connections stream pages are read on.

- A pool of their own: long streams never take the connections unary calls need, and
  a burst of unary calls never stalls a stream. A page holds its connection for one
  statement, so half the main pool's size (and as many again in a burst) serves many
  streams: a process opens at most AUTHTUNA_DB_POOL_SIZE connections here.
- A page is one statement and one short use of a connection, given back before the page
  is sent: a slow reader holds no connection, snapshot or lock. On PostgreSQL the
  statement runs in autocommit, so it is its own transaction without BEGIN/COMMIT round
  trips.
- PostgreSQL plans a prepared statement generically after five executions when the
  generic plan looks no worse than the custom ones; for `LIKE $1` over a trigram index,
  or a time range, the generic plan cannot know how selective the value is and may scan
  the whole table (0.3 ms becomes ~500 ms at a million users). asyncpg prepares and
  caches every statement, so these sessions always plan with the actual values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from authtuna_grpc.storage.database import PGBOUNCER_CONNECT_ARGS, create_engine, is_sqlite

CUSTOM_PLANS = {"plan_cache_mode": "force_custom_plan"}


def read_pool_size(db_pool_size: int) -> int:
    return max(1, db_pool_size // 2)


def create_read_engine(url: str, *, db_pool_size: int = 10, pgbouncer: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        # A second pool on the same file; WAL lets it read while the other one writes.
        return create_engine(url)
    # Behind PgBouncer (transaction mode) statements are unnamed, and PostgreSQL plans an
    # unnamed statement with its actual values every time; a session setting would not
    # survive the pooler anyway.
    connect_args = dict(PGBOUNCER_CONNECT_ARGS) if pgbouncer else {"server_settings": CUSTOM_PLANS}
    size = read_pool_size(db_pool_size)
    return create_async_engine(
        url,
        pool_size=size,
        max_overflow=size,
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,
        connect_args=connect_args,
    )


@asynccontextmanager
async def page_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for one page's statement, returned to the pool on exit."""
    async with engine.connect() as connection:
        yield connection
