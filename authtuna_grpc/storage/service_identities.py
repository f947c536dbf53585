"""Client certificate identities bound to service accounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.credentials import ServiceIdentity
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware_required

_s = tables.service_identity
_u = tables.user


class ServiceIdentityRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def bind(self, san: str, user_id: uuid.UUID, now: datetime) -> ServiceIdentity:
        await self._connection.execute(insert(_s).values(san=san, user_id=user_id, created_at=now))
        return ServiceIdentity(san=san, user_id=user_id, created_at=now)

    async def by_san(self, san: str) -> ServiceIdentity | None:
        row = (await self._connection.execute(select(_s).where(_s.c.san == san))).first()
        if row is None:
            return None
        return ServiceIdentity(san=row.san, user_id=row.user_id, created_at=aware_required(row.created_at))

    async def unbind(self, san: str) -> None:
        await self._connection.execute(delete(_s).where(_s.c.san == san))

    async def active_owners(self, sans: Sequence[str]) -> set[uuid.UUID]:
        """The active (not suspended) accounts bound to any of these identities."""
        query = (
            select(_s.c.user_id)
            .join(_u, _u.c.id == _s.c.user_id)
            .where(_s.c.san.in_(list(sans)), _u.c.is_active.is_(True))
        )
        return set((await self._connection.execute(query)).scalars().all())
