"""Consent records. Rows are added and ended, never rewritten or deleted — except with
the archived user they belong to, at the deleted-user retention."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.consents import Consent
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware, aware_required

_c = tables.consent
_d = tables.deleted_user


class ConsentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, consent: Consent) -> None:
        await self._connection.execute(
            insert(_c).values(
                id=consent.id,
                user_id=consent.user_id,
                purpose=consent.purpose,
                version=consent.version,
                granted_at=consent.granted_at,
                granted_by=consent.granted_by,
                granted_ip_address=consent.granted_ip_address,
            )
        )

    async def in_force(self, user_id: uuid.UUID, purpose: str) -> Consent | None:
        query = select(_c).where(
            _c.c.user_id == user_id, _c.c.purpose == purpose, _c.c.withdrawn_at.is_(None)
        )
        row = (await self._connection.execute(query)).first()
        return to_consent(row) if row is not None else None

    async def end(
        self,
        consent_id: uuid.UUID,
        *,
        now: datetime,
        by: uuid.UUID | None,
        ip_address: str | None,
        superseded_by: uuid.UUID | None = None,
    ) -> Consent | None:
        """End a consent in force; the ended record, or None if it was not in force."""
        result = await self._connection.execute(
            update(_c)
            .where(_c.c.id == consent_id, _c.c.withdrawn_at.is_(None))
            .values(
                withdrawn_at=now,
                withdrawn_by=by,
                withdrawn_ip_address=ip_address,
                superseded_by=superseded_by,
            )
            .returning(_c)
        )
        row = result.first()
        return to_consent(row) if row is not None else None

    async def page(
        self,
        user_id: uuid.UUID,
        *,
        purpose: str | None = None,
        in_force_only: bool = False,
        after: uuid.UUID | None = None,
        limit: int,
    ) -> list[Consent]:
        """The user's records in id order (time-ordered: oldest first)."""
        query = select(_c).where(_c.c.user_id == user_id).order_by(_c.c.id).limit(limit)
        if purpose is not None:
            query = query.where(_c.c.purpose == purpose)
        if in_force_only:
            query = query.where(_c.c.withdrawn_at.is_(None))
        if after is not None:
            query = query.where(_c.c.id > after)
        return [to_consent(row) for row in (await self._connection.execute(query)).all()]

    async def count_of_archived_before(self, cutoff: datetime) -> int:
        """Records of users whose archived record was deleted before `cutoff`."""
        archived = select(_d.c.id).where(_d.c.deleted_at < cutoff)
        query = select(func.count()).select_from(_c).where(_c.c.user_id.in_(archived))
        return int((await self._connection.execute(query)).scalar_one())

    async def remove_of(self, user_ids: list[uuid.UUID]) -> int:
        result = await self._connection.execute(delete(_c).where(_c.c.user_id.in_(user_ids)))
        return int(result.rowcount)


def to_consent(row: Row[Any]) -> Consent:
    m = row._mapping
    return Consent(
        id=m["id"],
        user_id=m["user_id"],
        purpose=m["purpose"],
        version=m["version"],
        granted_at=aware_required(m["granted_at"]),
        granted_by=m["granted_by"],
        granted_ip_address=m["granted_ip_address"],
        withdrawn_at=aware(m["withdrawn_at"]),
        withdrawn_by=m["withdrawn_by"],
        withdrawn_ip_address=m["withdrawn_ip_address"],
        superseded_by=m["superseded_by"],
    )
