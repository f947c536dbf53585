"""Roles, their permissions, and who holds them at which scope."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.roles import GLOBAL_SCOPE, NewRole, Role, RoleAssignment, role_key
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware_required

__all__ = ["GLOBAL_SCOPE", "RoleRepository"]

_r = tables.role
_rp = tables.role_permission
_ra = tables.role_assignment


class RoleRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def id_of(self, name: str) -> uuid.UUID | None:
        query = select(_r.c.id).where(_r.c.name_key == role_key(name))
        row = (await self._connection.execute(query)).first()
        return row.id if row is not None else None

    async def by_name(self, name: str) -> Role | None:
        roles = await self._roles(select(_r).where(_r.c.name_key == role_key(name)))
        return roles[0] if roles else None

    async def all(self) -> list[Role]:
        return await self._roles(select(_r).order_by(_r.c.name_key))

    async def add(self, role_id: uuid.UUID, new: NewRole, now: datetime) -> Role:
        await self._connection.execute(
            insert(_r).values(
                id=role_id,
                name=new.name,
                name_key=role_key(new.name),
                description=new.description,
                is_builtin=False,
                created_at=now,
            )
        )
        if new.permissions:
            await self._connection.execute(
                insert(_rp), [{"role_id": role_id, "permission": p} for p in sorted(new.permissions)]
            )
        return Role(role_id, new.name, new.description, new.permissions, False, now)

    async def delete(self, role_id: uuid.UUID) -> None:
        await self._connection.execute(delete(_rp).where(_rp.c.role_id == role_id))
        await self._connection.execute(delete(_r).where(_r.c.id == role_id))

    async def holders(self, role_id: uuid.UUID) -> int:
        """How many assignments (at any scope) the role has."""
        query = select(func.count()).select_from(_ra).where(_ra.c.role_id == role_id)
        return int((await self._connection.execute(query)).scalar_one())

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

    async def assignment(
        self, user_id: uuid.UUID, role_id: uuid.UUID, scope: str
    ) -> RoleAssignment | None:
        query = _assignments().where(
            _ra.c.user_id == user_id, _ra.c.role_id == role_id, _ra.c.scope == scope
        )
        row = (await self._connection.execute(query)).first()
        return _to_assignment(row) if row is not None else None

    async def unassign(self, assignment_id: uuid.UUID) -> None:
        await self._connection.execute(delete(_ra).where(_ra.c.id == assignment_id))

    async def assignments_page(
        self,
        *,
        user_id: uuid.UUID | None = None,
        role_id: uuid.UUID | None = None,
        scope: str | None = None,
        after: uuid.UUID | None = None,
        limit: int | None = None,
    ) -> list[RoleAssignment]:
        """Assignments in id order, filtered by whichever of user, role and scope are given."""
        query = _assignments().order_by(_ra.c.id)
        if user_id is not None:
            query = query.where(_ra.c.user_id == user_id)
        if role_id is not None:
            query = query.where(_ra.c.role_id == role_id)
        if scope is not None:
            query = query.where(_ra.c.scope == scope)
        if after is not None:
            query = query.where(_ra.c.id > after)
        if limit is not None:
            query = query.limit(limit)
        rows = (await self._connection.execute(query)).all()
        return [_to_assignment(row) for row in rows]

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
    async def _roles(self, query: Select[Any]) -> list[Role]:
        rows = (await self._connection.execute(query)).all()
        if not rows:
            return []
        granted: dict[uuid.UUID, set[str]] = defaultdict(set)
        permissions = select(_rp).where(_rp.c.role_id.in_([row.id for row in rows]))
        for permission in (await self._connection.execute(permissions)).all():
            granted[permission.role_id].add(permission.permission)
        return [
            Role(
                id=row.id,
                name=row.name,
                description=row.description,
                permissions=frozenset(granted[row.id]),
                is_builtin=row.is_builtin,
                created_at=aware_required(row.created_at),
            )
            for row in rows
        ]


def _assignments() -> Select[Any]:
    return select(_ra, _r.c.name.label("role_name")).join(_r, _r.c.id == _ra.c.role_id)


def _to_assignment(row: Row[Any]) -> RoleAssignment:
    return RoleAssignment(
        id=row.id,
        user_id=row.user_id,
        role_id=row.role_id,
        role_name=row.role_name,
        scope=row.scope,
        granted_by=row.granted_by,
        granted_at=aware_required(row.granted_at),
    )
