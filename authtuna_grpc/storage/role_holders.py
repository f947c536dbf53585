"""Who holds a role: what suspension and deletion need to keep an Admin in place."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.storage import tables
from authtuna_grpc.storage.roles import GLOBAL_SCOPE

_r = tables.role
_ra = tables.role_assignment
_u = tables.user


class RoleHolderRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock(self, role_id: uuid.UUID) -> None:
        """Serialise changes to the role's holders until the transaction ends.

        PostgreSQL takes a row lock (SELECT … FOR UPDATE). SQLite has no row locks and
        renders no FOR UPDATE; there a transaction's first write takes the database's one
        write lock, so callers write before they count holders.
        """
        await self._connection.execute(select(_r.c.id).where(_r.c.id == role_id).with_for_update())

    async def holds_globally(self, user_id: uuid.UUID, role_id: uuid.UUID) -> bool:
        query = select(_ra.c.id).where(
            _ra.c.user_id == user_id, _ra.c.role_id == role_id, _ra.c.scope == GLOBAL_SCOPE
        )
        return (await self._connection.execute(query)).first() is not None

    async def active_global_holders(self, role_id: uuid.UUID) -> int:
        """How many active users hold the role at the global scope."""
        query = (
            select(func.count())
            .select_from(_ra.join(_u, _u.c.id == _ra.c.user_id))
            .where(_ra.c.role_id == role_id, _ra.c.scope == GLOBAL_SCOPE, _u.c.is_active.is_(True))
        )
        return int((await self._connection.execute(query)).scalar_one())

    async def release_all(self, user_id: uuid.UUID) -> int:
        """Remove every assignment the user holds; the roles and others' assignments stay."""
        result = await self._connection.execute(delete(_ra).where(_ra.c.user_id == user_id))
        return int(result.rowcount)
