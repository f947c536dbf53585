"""Failed sign-in counts and locks, shared by every server process through the database.

Each failure is one INSERT … ON CONFLICT DO UPDATE … RETURNING: atomic on PostgreSQL
(the conflicting row is locked and re-read) and on SQLite (the statement holds the
database's write lock), so concurrent failures from any number of processes are all
counted and exactly one of them sees the count reach the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BindParameter, ColumnElement, and_, case, delete, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.sign_in import FailureCount, Limit, ThrottleKey, ThrottleScope
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware, aware_required

_t = tables.sign_in_throttle


class SignInThrottleRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def locks(self, keys: Sequence[ThrottleKey], now: datetime) -> dict[ThrottleKey, datetime]:
        """The keys among `keys` that are locked now, with when each lock ends."""
        if not keys:
            return {}
        query = select(_t.c.scope, _t.c.subject, _t.c.locked_until).where(
            or_(*(_is(key) for key in keys)), _t.c.locked_until > now
        )
        rows = (await self._connection.execute(query)).all()
        return {
            ThrottleKey(ThrottleScope(row.scope), row.subject): aware_required(row.locked_until)
            for row in rows
        }

    async def count_failure(self, key: ThrottleKey, limit: Limit, now: datetime) -> FailureCount:
        """Count one failure; lock the key if that reaches the limit and no lock is in
        force. A lock in force is not extended by failures admitted before it began."""
        lapsed = _t.c.window_started_at <= limit.window_cutoff(now)
        failures = case((lapsed, 1), else_=_t.c.failures + 1)
        lock_until = now + limit.lock_for
        not_locked = or_(_t.c.locked_until.is_(None), _t.c.locked_until <= now)
        statement = _insert(self._connection).values(
            scope=key.scope.value,
            subject=key.subject,
            failures=1,
            window_started_at=now,
            locked_until=lock_until if limit.max_failures <= 1 else None,
            stale_at=limit.stale_at(now),
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[_t.c.scope, _t.c.subject],
            set_={
                "failures": failures,
                "window_started_at": case((lapsed, _at(now)), else_=_t.c.window_started_at),
                "locked_until": case(
                    (and_(failures >= limit.max_failures, not_locked), _at(lock_until)),
                    else_=_t.c.locked_until,
                ),
                "stale_at": limit.stale_at(now),
            },
        ).returning(_t.c.failures, _t.c.locked_until)
        row = (await self._connection.execute(upsert)).one()
        locked_until = aware(row.locked_until)
        return FailureCount(
            key=key,
            failures=int(row.failures),
            locked_until=locked_until,
            locked_now=locked_until == lock_until,
        )

    async def clear(self, key: ThrottleKey, now: datetime) -> bool:
        """Forget the key's failures; True if it was locked."""
        result = await self._connection.execute(
            delete(_t).where(_is(key)).returning(_t.c.locked_until)
        )
        locked_until = aware(result.scalar_one_or_none())
        return locked_until is not None and locked_until > now

    async def prune(self, now: datetime) -> int:
        """Remove rows that no longer count failures or hold a lock (a lock never
        outlasts `stale_at`: see Limit.stale_at)."""
        result = await self._connection.execute(delete(_t).where(_t.c.stale_at <= now))
        return int(result.rowcount)


def _is(key: ThrottleKey) -> ColumnElement[bool]:
    return and_(_t.c.scope == key.scope.value, _t.c.subject == key.subject)


def _at(value: datetime) -> BindParameter[datetime]:
    """A timestamp parameter typed like the columns, for CASE branches."""
    return literal(value, _t.c.locked_until.type)


def _insert(connection: AsyncConnection) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(_t)
    return sqlite.insert(_t)
