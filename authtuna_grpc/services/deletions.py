"""Deleting users into the archive, and reading the archive."""

from __future__ import annotations

import uuid

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import CannotDeleteSelf, DeletedUserNotFound
from authtuna_grpc.domain.lifecycle import DeletedUser, optional_reason
from authtuna_grpc.services.admin_guard import LastAdminGuard
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.services.user_manager import existing_user, user_not_found
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


class DeletionManager:
    def __init__(self, units: UnitOfWorkFactory, clock: Clock) -> None:
        self._units = units
        self._clock = clock

    async def delete(self, caller: Caller, user_id: uuid.UUID, reason: str) -> DeletedUser:
        """Archive the user and remove it with its sessions, API tokens and role
        assignments, in one transaction. Audit events about the user are kept."""
        given_reason = optional_reason(reason, "reason")
        if caller.user_id == user_id:
            raise CannotDeleteSelf("a caller cannot delete itself", metadata={"id": str(user_id)})
        async with self._units() as uow:
            guard = await LastAdminGuard.take(uow, await existing_user(uow, user_id))
            now = self._clock()
            removed = await _remove_belongings(uow, user_id)
            # The row as it is at deletion, not as first read: it is archived from this.
            deleted = await uow.users.delete(user_id)
            if deleted is None:
                raise user_not_found(user_id)
            await guard.check(uow)
            record = DeletedUser.archive(
                deleted, deleted_at=now, deleted_by=caller.user_id, reason=given_reason
            )
            await uow.deleted_users.add(record)
            details = {"username": deleted.username, "reason": given_reason or "", **removed}
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.USER_DELETED, user_id, now, details)
            )
            await uow.commit()
        return record

    async def get_deleted(self, user_id: uuid.UUID) -> DeletedUser:
        async with self._units() as uow:
            record = await uow.deleted_users.by_id(user_id)
        if record is None:
            raise DeletedUserNotFound(
                f"no deleted user with id {str(user_id)!r}", metadata={"id": str(user_id)}
            )
        return record


async def _remove_belongings(uow: UnitOfWork, user_id: uuid.UUID) -> dict[str, str]:
    """Delete the user's sessions, API tokens and role assignments; the counts, for audit."""
    return {
        "sessions_removed": str(await uow.sessions.delete_all_of(user_id)),
        "api_tokens_removed": str(await uow.api_tokens.delete_all_of(user_id)),
        "role_assignments_removed": str(await uow.role_holders.release_all(user_id)),
    }
