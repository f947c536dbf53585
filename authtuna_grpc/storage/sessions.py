"""Sign-in session rows: only the SHA-256 digest of a session secret is ever stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.exports import SessionRecord
from authtuna_grpc.domain.sessions import Session
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware, aware_required

_s = tables.session
_u = tables.user


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

    async def live_by_hash(self, token_hash: str, now: datetime) -> Session | None:
        """The live session with this token digest, if its user is active."""
        query = (
            select(_s)
            .join(_u, _u.c.id == _s.c.user_id)
            .where(_s.c.token_hash == token_hash, _live(now), _u.c.is_active.is_(True))
        )
        row = (await self._connection.execute(query)).first()
        return to_session(row) if row is not None else None

    async def touch(self, session: Session, stale_before: datetime) -> None:
        """Record the session's new last use and idle expiry, unless another call
        already did (last_seen_at newer than `stale_before`) or it was revoked."""
        await self._connection.execute(
            update(_s)
            .where(
                _s.c.id == session.id,
                _s.c.revoked_at.is_(None),
                _s.c.last_seen_at <= stale_before,
            )
            .values(last_seen_at=session.last_seen_at, idle_expires_at=session.idle_expires_at)
        )

    async def revoke(self, session_id: uuid.UUID, now: datetime) -> Session | None:
        """Revoke a session not revoked yet; the session as it was, or None."""
        return await self._revoke(_s.c.id == session_id, now)

    async def revoke_by_hash(self, token_hash: str, now: datetime) -> Session | None:
        """Revoke the live session with this token digest; the session, or None."""
        return await self._revoke(and_(_s.c.token_hash == token_hash, _live(now)), now)

    async def live_page(
        self, user_id: uuid.UUID, now: datetime, *, after: uuid.UUID | None, limit: int
    ) -> list[Session]:
        """The user's live sessions ordered by id (time-ordered: oldest first)."""
        query = select(_s).where(_s.c.user_id == user_id, _live(now)).order_by(_s.c.id).limit(limit)
        if after is not None:
            query = query.where(_s.c.id > after)
        return [to_session(row) for row in (await self._connection.execute(query)).all()]

    async def records_page(
        self, user_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> list[SessionRecord]:
        """All the user's stored sessions, live or not, in id order (oldest first)."""
        query = select(_s).where(_s.c.user_id == user_id).order_by(_s.c.id).limit(limit)
        if after is not None:
            query = query.where(_s.c.id > after)
        rows = (await self._connection.execute(query)).all()
        return [SessionRecord(to_session(row), aware(row.revoked_at)) for row in rows]

    async def delete_ended_of(self, user_id: uuid.UUID, now: datetime) -> int:
        """Remove the user's revoked and expired sessions, so rows do not pile up."""
        result = await self._connection.execute(
            delete(_s).where(_s.c.user_id == user_id, ~_live(now))
        )
        return int(result.rowcount)

    async def _revoke(self, which: ColumnElement[bool], now: datetime) -> Session | None:
        result = await self._connection.execute(
            update(_s).where(which, _s.c.revoked_at.is_(None)).values(revoked_at=now).returning(_s)
        )
        row = result.first()
        return to_session(row) if row is not None else None


def _live(now: datetime) -> ColumnElement[bool]:
    return and_(
        _s.c.revoked_at.is_(None),
        _s.c.expires_at > now,
        or_(_s.c.idle_expires_at.is_(None), _s.c.idle_expires_at > now),
    )


def to_session(row: Row[Any]) -> Session:
    m = row._mapping
    return Session(
        id=m["id"],
        user_id=m["user_id"],
        created_at=aware_required(m["created_at"]),
        last_seen_at=aware_required(m["last_seen_at"]),
        expires_at=aware_required(m["expires_at"]),
        idle_expires_at=aware(m["idle_expires_at"]),
        ip_address=m["ip_address"],
    )
