"""Password hashes as sign-in reads and maintains them. Nothing else reads the hash."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.sign_in import IdentityKind
from authtuna_grpc.domain.user import User, identity_key
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import to_user

_u = tables.user


@dataclass(frozen=True)
class StoredCredentials:
    user: User
    password_hash: str | None


class CredentialRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def by_identity(self, kind: IdentityKind, identity: str) -> StoredCredentials | None:
        """The user with this email or username (case-insensitively), and its hash."""
        column = _u.c.email_key if kind == "email" else _u.c.username_key
        query = select(_u).where(column == identity_key(identity))
        row = (await self._connection.execute(query)).first()
        if row is None:
            return None
        return StoredCredentials(user=to_user(row), password_hash=row.password_hash)

    async def hold_verified(
        self, user_id: uuid.UUID, verified_hash: str, new_hash: str | None
    ) -> bool:
        """First write of a sign-in's transaction: store the new hash, if rehashed, and
        hold the user row (PostgreSQL) or the database (SQLite) until commit — only if
        the user is still active and still has the hash the password was verified
        against. False if not: the user was suspended, or the password changed, after
        verification. Holding the row keeps a concurrent enrolment from slipping in
        between the second-factor check and the session."""
        result = await self._connection.execute(
            update(_u)
            .where(
                _u.c.id == user_id,
                _u.c.is_active.is_(True),
                _u.c.password_hash == verified_hash,
            )
            .values(password_hash=new_hash if new_hash is not None else _u.c.password_hash)
        )
        return bool(result.rowcount == 1)

    async def record_login(self, user_id: uuid.UUID, now: datetime) -> bool:
        """Set last_login_at of an active user; False if the user is not active.

        The version (the etag) moves because last_login_at is part of the user that
        UpdateUser writes back; updated_at does not, as no one edited the account.
        """
        result = await self._connection.execute(
            update(_u)
            .where(_u.c.id == user_id, _u.c.is_active.is_(True))
            .values(last_login_at=now, version=_u.c.version + 1)
        )
        return bool(result.rowcount == 1)
