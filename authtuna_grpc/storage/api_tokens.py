"""API token rows: only the SHA-256 digest of a secret is ever stored."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import Row, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.credentials import ApiToken
from authtuna_grpc.domain.roles import GLOBAL_SCOPE
from authtuna_grpc.storage import driver_reads, tables
from authtuna_grpc.storage.rows import aware, aware_required

_t = tables.api_token
_u = tables.user
_ra = tables.role_assignment
_rp = tables.role_permission
_METADATA = (
    _t.c.id,
    _t.c.user_id,
    _t.c.name,
    _t.c.created_at,
    _t.c.expires_at,
    _t.c.revoked_at,
    _t.c.last_used_at,
)


@dataclass(frozen=True)
class TokenOwner:
    user_id: uuid.UUID
    token_id: uuid.UUID
    last_used_at: datetime | None
    permissions: frozenset[str]


# Built once: the token check runs on every call, and building a statement costs more
# than executing its cached compilation.
_OWNER_QUERY = (
    select(_t.c.user_id, _t.c.id, _t.c.last_used_at, _rp.c.permission)
    .select_from(
        _t.join(_u, _u.c.id == _t.c.user_id)
        .outerjoin(_ra, and_(_ra.c.user_id == _t.c.user_id, _ra.c.scope == GLOBAL_SCOPE))
        .outerjoin(_rp, _rp.c.role_id == _ra.c.role_id)
    )
    .where(
        _t.c.token_hash == bindparam("token_hash"),
        _t.c.revoked_at.is_(None),
        or_(_t.c.expires_at.is_(None), _t.c.expires_at > bindparam("now")),
        _u.c.is_active.is_(True),
    )
)


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
                last_used_at=None,
            )
        )

    async def owner_of(self, token_hash: str, now: datetime) -> TokenOwner | None:
        """The active owner of a live token with the permissions of the roles it holds
        globally, or None (unknown, expired, revoked, suspended) — in one statement."""
        values = {"token_hash": token_hash, "now": now}
        rows: Sequence[Mapping[Any, Any]]
        if driver_reads.runs_on_driver(self._connection):
            rows = await driver_reads.fetch(self._connection, _OWNER_QUERY, values)
        else:
            rows = [row._mapping for row in await self._connection.execute(_OWNER_QUERY, values)]
        if not rows:
            return None
        first = rows[0]
        return TokenOwner(
            user_id=first["user_id"],
            token_id=first["id"],
            last_used_at=aware(first["last_used_at"]),
            permissions=frozenset(row["permission"] for row in rows if row["permission"] is not None),
        )

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

    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> None:
        await self._connection.execute(update(_t).where(_t.c.id == token_id).values(last_used_at=now))

    async def by_id(self, token_id: uuid.UUID) -> ApiToken | None:
        row = (await self._connection.execute(select(*_METADATA).where(_t.c.id == token_id))).first()
        return _to_token(row) if row is not None else None

    async def of_user(self, user_id: uuid.UUID) -> list[ApiToken]:
        query = select(*_METADATA).where(_t.c.user_id == user_id).order_by(_t.c.created_at, _t.c.id)
        return [_to_token(row) for row in (await self._connection.execute(query)).all()]

    async def page_of(
        self, user_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> list[ApiToken]:
        """The user's tokens, revoked or not, in id order (oldest first)."""
        query = select(*_METADATA).where(_t.c.user_id == user_id).order_by(_t.c.id).limit(limit)
        if after is not None:
            query = query.where(_t.c.id > after)
        return [_to_token(row) for row in (await self._connection.execute(query)).all()]

    async def revoke(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Revoke a live token; False when it was already revoked."""
        result = await self._connection.execute(
            update(_t).where(_t.c.id == token_id, _t.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        return result.rowcount == 1


def _to_token(row: Row[Unpack[tuple[Any, ...]]]) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        created_at=aware_required(row.created_at),
        expires_at=aware(row.expires_at),
        revoked_at=aware(row.revoked_at),
        last_used_at=aware(row.last_used_at),
    )
