"""The last active holder of the Admin role (global scope) may not be removed."""

from __future__ import annotations

import uuid

from authtuna_grpc.domain.errors import LastAdmin
from authtuna_grpc.domain.lifecycle import ADMIN_ROLE
from authtuna_grpc.domain.user import User
from authtuna_grpc.storage.unit_of_work import UnitOfWork


class LastAdminGuard:
    """Taken before a change that deactivates or removes a user, checked after it.

    Two admins suspending each other at once must not both succeed. On PostgreSQL the
    guard locks the Admin role row, so such changes run one after the other; on SQLite
    the change's own write holds the database's write lock, and `check` counts after it.
    """

    def __init__(self, role_id: uuid.UUID | None) -> None:
        self._role_id = role_id

    @classmethod
    async def take(cls, uow: UnitOfWork, target: User) -> LastAdminGuard:
        if not target.is_active:
            return cls(None)  # an inactive admin is already not counted
        role_id = await uow.roles.id_of(ADMIN_ROLE)
        if role_id is None or not await uow.role_holders.holds_globally(target.id, role_id):
            return cls(None)
        await uow.role_holders.lock(role_id)
        return cls(role_id)

    async def check(self, uow: UnitOfWork) -> None:
        """Raise LastAdmin (rolling the change back) if no active global Admin is left."""
        if self._role_id is None:
            return
        if await uow.role_holders.active_global_holders(self._role_id) == 0:
            raise LastAdmin(
                f"the user is the last active holder of the {ADMIN_ROLE} role; "
                f"grant the role to another active user first",
                metadata={"role": ADMIN_ROLE},
            )
