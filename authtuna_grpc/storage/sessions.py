"""Sign-in session rows: only the SHA-256 digest of a session secret is ever stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.storage import tables

_s = tables.session


class SessionRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self,
        *,
        session_id: uuid.UUID,
        user_id: uuid.UUID,
        token_hash: str,
        created_at: datetime,
        expires_at: datetime,
        idle_expires_at: datetime | None = None,
        ip_address: str | None = None,
    ) -> None:
        await self._connection.execute(
            insert(_s).values(
                id=session_id,
                user_id=user_id,
                token_hash=token_hash,
                created_at=created_at,
                last_seen_at=created_at,
                expires_at=expires_at,
                idle_expires_at=idle_expires_at,
                ip_address=ip_address,
                revoked_at=None,
            )
        )

    async def revoke_all_of(self, user_id: uuid.UUID, now: datetime) -> int:
        """Revoke every session of the user not revoked yet; the number revoked."""
        result = await self._connection.execute(
            update(_s)
            .where(_s.c.user_id == user_id, _s.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)

    async def delete_all_of(self, user_id: uuid.UUID) -> int:
        result = await self._connection.execute(delete(_s).where(_s.c.user_id == user_id))
        return int(result.rowcount)
