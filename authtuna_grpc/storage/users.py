"""User rows. Repositories never commit; the unit of work does."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.user import NewUser, User, identity_key
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import to_user

_t = tables.user


class UserRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self, user_id: uuid.UUID, new: NewUser, password_hash: str | None, now: datetime
    ) -> User:
        values = {
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
            "created_at": now,
            "updated_at": now,
            "last_login_at": None,
            "suspended_at": None,
            "suspension_reason": None,
            "version": 1,
        }
        await self._connection.execute(insert(_t).values(**values))
        row = (await self._connection.execute(select(_t).where(_t.c.id == user_id))).one()
        return to_user(row)

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return await self._one(select(_t).where(_t.c.id == user_id))

    async def by_email(self, email: str) -> User | None:
        return await self._one(select(_t).where(_t.c.email_key == identity_key(email)))

    async def by_username(self, username: str) -> User | None:
        return await self._one(select(_t).where(_t.c.username_key == identity_key(username)))

    async def email_taken(self, email: str) -> bool:
        query = select(_t.c.id).where(_t.c.email_key == identity_key(email))
        return (await self._connection.execute(query)).first() is not None

    async def username_taken(self, username: str) -> bool:
        query = select(_t.c.id).where(_t.c.username_key == identity_key(username))
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

    async def _one(self, query: object) -> User | None:
        row = (await self._connection.execute(query)).first()  # type: ignore[call-overload]
        return to_user(row) if row is not None else None
