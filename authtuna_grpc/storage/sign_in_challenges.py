"""Pending second steps of sign-ins: only the SHA-256 digest of a challenge token is stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.two_factor import Challenge
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware_required

_ch = tables.sign_in_challenge


class SignInChallengeRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self,
        *,
        challenge_id: uuid.UUID,
        token_hash: str,
        user_id: uuid.UUID,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        await self._connection.execute(
            insert(_ch).values(
                id=challenge_id,
                token_hash=token_hash,
                user_id=user_id,
                created_at=created_at,
                expires_at=expires_at,
                used_at=None,
                failed_attempts=0,
            )
        )

    async def live_by_hash(self, token_hash: str, now: datetime, max_attempts: int) -> Challenge | None:
        """The challenge with this digest if it is unused, unexpired and not void."""
        query = select(_ch).where(_ch.c.token_hash == token_hash, _live(now, max_attempts))
        row = (await self._connection.execute(query)).first()
        if row is None:
            return None
        return Challenge(
            id=row.id,
            user_id=row.user_id,
            expires_at=aware_required(row.expires_at),
            failed_attempts=row.failed_attempts,
        )

    async def use(self, challenge_id: uuid.UUID, now: datetime, max_attempts: int) -> bool:
        """Use the challenge up if it is still live: of two completions, one gets True."""
        result = await self._connection.execute(
            update(_ch)
            .where(_ch.c.id == challenge_id, _live(now, max_attempts))
            .values(used_at=now)
        )
        return bool(result.rowcount == 1)

    async def count_failure(self, challenge_id: uuid.UUID) -> int | None:
        """One more wrong code; the number so far, or None if the challenge is gone
        or used."""
        result = await self._connection.execute(
            update(_ch)
            .where(_ch.c.id == challenge_id, _ch.c.used_at.is_(None))
            .values(failed_attempts=_ch.c.failed_attempts + 1)
            .returning(_ch.c.failed_attempts)
        )
        attempts = result.scalar_one_or_none()
        return int(attempts) if attempts is not None else None

    async def delete_all_of(self, user_id: uuid.UUID) -> int:
        """Withdraw every challenge of the user (password change, suspension, reset)."""
        result = await self._connection.execute(delete(_ch).where(_ch.c.user_id == user_id))
        return int(result.rowcount)

    async def delete_ended(self, now: datetime, max_attempts: int, user_id: uuid.UUID | None = None) -> int:
        """Remove used, expired and void challenges (of one user, or of everyone)."""
        statement = delete(_ch).where(_ended(now, max_attempts))
        if user_id is not None:
            statement = statement.where(_ch.c.user_id == user_id)
        result = await self._connection.execute(statement)
        return int(result.rowcount)


def _live(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    return and_(
        _ch.c.used_at.is_(None),
        _ch.c.expires_at > now,
        _ch.c.failed_attempts < max_attempts,
    )


def _ended(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    return or_(
        _ch.c.used_at.is_not(None),
        _ch.c.expires_at <= now,
        _ch.c.failed_attempts >= max_attempts,
    )
