"""API token rows: only the SHA-256 digest of a secret is ever stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.storage import tables

_t = tables.api_token
_u = tables.user


@dataclass(frozen=True)
class TokenOwner:
    user_id: uuid.UUID


class ApiTokenRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self,
        *,
        token_id: uuid.UUID,
        user_id: uuid.UUID,
        name: str,
        token_hash: str,
        created_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        await self._connection.execute(
            insert(_t).values(
                id=token_id,
                user_id=user_id,
                name=name,
                token_hash=token_hash,
                created_at=created_at,
                expires_at=expires_at,
                revoked_at=None,
            )
        )

    async def owner_of(self, token_hash: str, now: datetime) -> TokenOwner | None:
        """The active owner of a live token, or None (unknown, expired, revoked, suspended)."""
        query = (
            select(_t.c.user_id)
            .join(_u, _u.c.id == _t.c.user_id)
            .where(
                and_(
                    _t.c.token_hash == token_hash,
                    _t.c.revoked_at.is_(None),
                    or_(_t.c.expires_at.is_(None), _t.c.expires_at > now),
                    _u.c.is_active.is_(True),
                )
            )
        )
        row = (await self._connection.execute(query)).first()
        return TokenOwner(user_id=row.user_id) if row is not None else None

    async def revoke_all_of(self, user_id: uuid.UUID, now: datetime) -> int:
        """Revoke every token of the user not revoked yet; the number revoked."""
        result = await self._connection.execute(
            update(_t)
            .where(_t.c.user_id == user_id, _t.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    async def delete_all_of(self, user_id: uuid.UUID) -> int:
        result = await self._connection.execute(delete(_t).where(_t.c.user_id == user_id))
        return int(result.rowcount)
