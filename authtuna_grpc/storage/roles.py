"""Roles, their permissions, and who holds them at which scope."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.storage import tables

GLOBAL_SCOPE = "global"

_r = tables.role
_rp = tables.role_permission
_ra = tables.role_assignment


class RoleRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def id_of(self, name: str) -> uuid.UUID | None:
        query = select(_r.c.id).where(_r.c.name_key == name.casefold())
        row = (await self._connection.execute(query)).first()
        return row.id if row is not None else None

    async def assign(
        self,
        *,
        assignment_id: uuid.UUID,
        user_id: uuid.UUID,
        role_id: uuid.UUID,
        scope: str,
        granted_by: uuid.UUID | None,
        granted_at: datetime,
    ) -> None:
        await self._connection.execute(
            insert(_ra).values(
                id=assignment_id,
                user_id=user_id,
                role_id=role_id,
                scope=scope,
                granted_by=granted_by,
                granted_at=granted_at,
            )
        )

    async def global_permissions(self, user_id: uuid.UUID) -> frozenset[str]:
        """Permissions granted to the user by roles held at the global scope."""
        query = (
            select(_rp.c.permission)
            .join(_ra, _ra.c.role_id == _rp.c.role_id)
            .where(_ra.c.user_id == user_id, _ra.c.scope == GLOBAL_SCOPE)
            .distinct()
        )
        return frozenset((await self._connection.execute(query)).scalars().all())

    async def global_grants(self, user_id: uuid.UUID) -> tuple[list[str], list[str]]:
        """(role names, permissions) the user holds at the global scope, each sorted."""
        query = (
            select(_r.c.name, _rp.c.permission)
            .select_from(_ra.join(_r, _r.c.id == _ra.c.role_id))
            .outerjoin(_rp, _rp.c.role_id == _ra.c.role_id)
            .where(_ra.c.user_id == user_id, _ra.c.scope == GLOBAL_SCOPE)
        )
        rows = (await self._connection.execute(query)).all()
        roles = sorted({row.name for row in rows})
        permissions = sorted({row.permission for row in rows if row.permission is not None})
        return roles, permissions
