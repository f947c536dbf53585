"""User rows. Repositories never commit; the unit of work does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.user import NewUser, User, identity_key
from authtuna_grpc.storage import driver_reads, tables
from authtuna_grpc.storage.bulk import insert_rows
from authtuna_grpc.storage.rows import to_user, to_user_from

_t = tables.user
# The lookups every GetUser makes, built once (see api_tokens._OWNER_QUERY).
_BY_ID = select(_t).where(_t.c.id == bindparam("key"))
_BY_EMAIL_KEY = select(_t).where(_t.c.email_key == bindparam("key"))
_BY_USERNAME_KEY = select(_t).where(_t.c.username_key == bindparam("key"))


class UserRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self, user_id: uuid.UUID, new: NewUser, password_hash: str | None, now: datetime
    ) -> User:
        await self._connection.execute(insert(_t).values(**_new_row(user_id, new, password_hash, now, now)))
        row = (await self._connection.execute(select(_t).where(_t.c.id == user_id))).one()
        return to_user(row)

    async def add_many(self, users: list[NewUserRow], now: datetime) -> None:
        """Insert many users at once (a bulk import), without reading them back."""
        await insert_rows(
            self._connection, _t, [_new_row(u.id, u.registration, u.password_hash, u.created_at, now) for u in users]
        )

    async def taken(self, emails: list[str], usernames: list[str]) -> tuple[set[str], set[str]]:
        """Which of these emails and usernames (as identity keys) are registered."""
        email_in: ColumnElement[bool] = _t.c.email_key.in_(emails)
        username_in: ColumnElement[bool] = _t.c.username_key.in_(usernames)
        if self._connection.dialect.name == "postgresql":
            # A bulk import asks this for 1000 keys at a time while the table grows from
            # nothing: one array parameter rather than 1000 (compiled once), and a plan
            # made each time in this transaction, since a cached generic plan made while
            # the table was small would scan it whole.
            await self._connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            email_in = _t.c.email_key == any_(bindparam("emails", emails, type_=ARRAY(String())))
            username_in = _t.c.username_key == any_(bindparam("usernames", usernames, type_=ARRAY(String())))
        emails_taken = await self._connection.execute(select(_t.c.email_key).where(email_in))
        usernames_taken = await self._connection.execute(select(_t.c.username_key).where(username_in))
        return set(emails_taken.scalars().all()), set(usernames_taken.scalars().all())

    async def lock_for_change(self, user_id: uuid.UUID) -> bool:
        """Whether the user exists; its row is locked until the transaction ends, so
        changes made under this lock (consent records) are serialised per user and the
        user cannot be deleted meanwhile. Call it first in the transaction: on SQLite,
        reads before a transaction's first write take no lock, so the lock is a write
        that changes nothing (it takes the database's write lock)."""
        if self._connection.dialect.name == "sqlite":
            statement = update(_t).where(_t.c.id == user_id).values(version=_t.c.version)
            return bool((await self._connection.execute(statement)).rowcount == 1)
        query = select(_t.c.id).where(_t.c.id == user_id).with_for_update(key_share=True)
        return (await self._connection.execute(query)).first() is not None

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return await self._lookup(_BY_ID, user_id)

    async def by_email(self, email: str) -> User | None:
        return await self._lookup(_BY_EMAIL_KEY, identity_key(email))

    async def by_username(self, username: str) -> User | None:
        return await self._lookup(_BY_USERNAME_KEY, identity_key(username))

    async def _lookup(self, query: Any, key: object) -> User | None:
        if driver_reads.runs_on_driver(self._connection):
            rows = await driver_reads.fetch(self._connection, query, {"key": key})
            return to_user_from(rows[0]) if rows else None
        row = (await self._connection.execute(query, {"key": key})).first()
        return to_user(row) if row is not None else None

    async def email_taken(self, email: str, *, excluding: uuid.UUID | None = None) -> bool:
        """Whether another user (not `excluding`) has this email, case-insensitively."""
        query = select(_t.c.id).where(_t.c.email_key == identity_key(email))
        if excluding is not None:
            query = query.where(_t.c.id != excluding)
        return (await self._connection.execute(query)).first() is not None

    async def username_taken(self, username: str, *, excluding: uuid.UUID | None = None) -> bool:
        query = select(_t.c.id).where(_t.c.username_key == identity_key(username))
        if excluding is not None:
            query = query.where(_t.c.id != excluding)
        return (await self._connection.execute(query)).first() is not None

    async def page(self, *, after: uuid.UUID | None, skip: int, limit: int) -> list[User]:
        """Users ordered by id (time-ordered UUIDs): keyset after `after`, or OFFSET `skip`."""
        query = select(_t).order_by(_t.c.id).limit(limit)
        if after is not None:
            query = query.where(_t.c.id > after)
        elif skip:
            query = query.offset(skip)
        rows = (await self._connection.execute(query)).all()
        return [to_user(row) for row in rows]

    async def count(self) -> int:
        return int((await self._connection.execute(select(func.count()).select_from(_t))).scalar_one())

    async def update_profile(
        self, user_id: uuid.UUID, expected_version: int, updated: User, now: datetime
    ) -> bool:
        """Write the updatable fields only if the row is still at `expected_version`.

        The version check is in the UPDATE itself, so of two concurrent updates from the
        same read exactly one matches a row.
        """
        return await self._change(
            _t.c.version == expected_version,
            user_id,
            now,
            username=updated.username,
            username_key=identity_key(updated.username),
            email=updated.email,
            email_key=identity_key(updated.email),
            email_verified=updated.email_verified,
            attributes=updated.attributes,
            last_login_at=updated.last_login_at,
        )

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str, now: datetime) -> bool:
        return await self._change(None, user_id, now, password_hash=password_hash)

    async def suspend(self, user_id: uuid.UUID, reason: str, now: datetime) -> bool:
        """Suspend an active user; False if it is not active (any more)."""
        return await self._change(
            _t.c.is_active.is_(True),
            user_id,
            now,
            is_active=False,
            suspended_at=now,
            suspension_reason=reason,
        )

    async def unsuspend(self, user_id: uuid.UUID, now: datetime) -> bool:
        """Reactivate a suspended user; False if it is not suspended (any more)."""
        return await self._change(
            _t.c.is_active.is_(False),
            user_id,
            now,
            is_active=True,
            suspended_at=None,
            suspension_reason=None,
        )

    async def delete(self, user_id: uuid.UUID) -> User | None:
        """Delete the row and return it as it was at deletion, or None if already gone."""
        result = await self._connection.execute(delete(_t).where(_t.c.id == user_id).returning(_t))
        row = result.first()
        return to_user(row) if row is not None else None

    async def _change(
        self,
        condition: ColumnElement[bool] | None,
        user_id: uuid.UUID,
        now: datetime,
        **values: Any,
    ) -> bool:
        """One conditional UPDATE that also bumps the version (the etag) and updated_at."""
        statement = update(_t).where(_t.c.id == user_id)
        if condition is not None:
            statement = statement.where(condition)
        statement = statement.values(version=_t.c.version + 1, updated_at=now, **values)
        result = await self._connection.execute(statement)
        return bool(result.rowcount == 1)


@dataclass(frozen=True)
class NewUserRow:
    """One user of a bulk insert."""

    id: uuid.UUID
    registration: NewUser
    password_hash: str | None
    created_at: datetime


def _new_row(
    user_id: uuid.UUID, new: NewUser, password_hash: str | None, created_at: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": new.email,
        "email_key": identity_key(new.email),
        "username": new.username,
        "username_key": identity_key(new.username),
        "password_hash": password_hash,
        "is_active": True,
        "email_verified": new.email_verified,
        "is_service_account": new.is_service_account,
        "attributes": new.attributes,
        "created_at": created_at,
        "updated_at": now,
        "last_login_at": None,
        "suspended_at": None,
        "suspension_reason": None,
        "version": 1,
    }
