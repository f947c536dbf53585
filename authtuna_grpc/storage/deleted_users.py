"""The archive of deleted users. It has no password column at all."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.lifecycle import DeletedUser
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware, aware_required

_d = tables.deleted_user


class DeletedUserRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, record: DeletedUser) -> None:
        await self._connection.execute(
            insert(_d).values(
                id=record.id,
                email=record.email,
                username=record.username,
                is_service_account=record.is_service_account,
                email_verified=record.email_verified,
                attributes=record.attributes,
                created_at=record.created_at,
                last_login_at=record.last_login_at,
                suspended_at=record.suspended_at,
                suspension_reason=record.suspension_reason,
                deleted_at=record.deleted_at,
                deleted_by=record.deleted_by,
                reason=record.reason,
            )
        )

    async def by_id(self, user_id: uuid.UUID) -> DeletedUser | None:
        row = (await self._connection.execute(select(_d).where(_d.c.id == user_id))).first()
        return _to_deleted_user(row) if row is not None else None

    async def exists(self, user_id: uuid.UUID) -> bool:
        query = select(_d.c.id).where(_d.c.id == user_id)
        return (await self._connection.execute(query)).first() is not None

    async def deleted_before(self, cutoff: datetime, limit: int) -> list[uuid.UUID]:
        """Ids of records deleted before `cutoff`, oldest deletion first."""
        query = (
            select(_d.c.id).where(_d.c.deleted_at < cutoff).order_by(_d.c.deleted_at, _d.c.id).limit(limit)
        )
        return list((await self._connection.execute(query)).scalars().all())

    async def count_deleted_before(self, cutoff: datetime) -> int:
        query = select(func.count()).select_from(_d).where(_d.c.deleted_at < cutoff)
        return int((await self._connection.execute(query)).scalar_one())

    async def remove(self, user_ids: list[uuid.UUID]) -> int:
        result = await self._connection.execute(delete(_d).where(_d.c.id.in_(user_ids)))
        return int(result.rowcount)


def _to_deleted_user(row: Row[Any]) -> DeletedUser:
    m = row._mapping
    return DeletedUser(
        id=m["id"],
        email=m["email"],
        username=m["username"],
        is_service_account=m["is_service_account"],
        email_verified=m["email_verified"],
        attributes=dict(m["attributes"] or {}),
        created_at=aware_required(m["created_at"]),
        last_login_at=aware(m["last_login_at"]),
        suspended_at=aware(m["suspended_at"]),
        suspension_reason=m["suspension_reason"],
        deleted_at=aware_required(m["deleted_at"]),
        deleted_by=m["deleted_by"],
        reason=m["reason"],
    )
