"""Suspending and reactivating users; the admin is always the authenticated caller."""

from __future__ import annotations

import uuid

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import CannotSuspendSelf, UserAlreadySuspended, UserNotSuspended
from authtuna_grpc.domain.lifecycle import required_reason
from authtuna_grpc.domain.user import User
from authtuna_grpc.services.admin_guard import LastAdminGuard
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.services.user_manager import existing_user
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory


class SuspensionManager:
    def __init__(self, units: UnitOfWorkFactory, clock: Clock) -> None:
        self._units = units
        self._clock = clock

    async def suspend(self, caller: Caller, user_id: uuid.UUID, reason: str) -> User:
        """Deactivate the user, revoke its sessions and API tokens and withdraw its pending
        sign-in challenges, in one transaction."""
        reason = required_reason(reason, "reason")
        if caller.user_id == user_id:
            raise CannotSuspendSelf("a caller cannot suspend itself", metadata={"id": str(user_id)})
        async with self._units() as uow:
            target = await existing_user(uow, user_id)
            if not target.is_active:
                raise _already_suspended(user_id)
            guard = await LastAdminGuard.take(uow, target)
            now = self._clock()
            # Conditional on is_active: of two concurrent suspensions, one finds no row.
            if not await uow.users.suspend(user_id, reason, now):
                await existing_user(uow, user_id)
                raise _already_suspended(user_id)
            await guard.check(uow)
            sessions = await uow.sessions.revoke_all_of(user_id, now)
            tokens = await uow.api_tokens.revoke_all_of(user_id, now)
            challenges = await uow.sign_in_challenges.delete_all_of(user_id)
            details = {
                "reason": reason,
                "sessions_revoked": str(sessions),
                "api_tokens_revoked": str(tokens),
                "sign_in_challenges_removed": str(challenges),
            }
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.USER_SUSPENDED, user_id, now, details)
            )
            user = await existing_user(uow, user_id)
            await uow.commit()
        return user

    async def unsuspend(self, caller: Caller, user_id: uuid.UUID, reason: str) -> User:
        """Reactivate the user. Its revoked API tokens stay revoked."""
        reason = required_reason(reason, "reason")
        async with self._units() as uow:
            target = await existing_user(uow, user_id)
            if target.is_active:
                raise _not_suspended(user_id)
            now = self._clock()
            if not await uow.users.unsuspend(user_id, now):
                await existing_user(uow, user_id)
                raise _not_suspended(user_id)
            details = {"reason": reason, "suspension_reason": target.suspension_reason or ""}
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.USER_UNSUSPENDED, user_id, now, details)
            )
            user = await existing_user(uow, user_id)
            await uow.commit()
        return user


def _already_suspended(user_id: uuid.UUID) -> UserAlreadySuspended:
    return UserAlreadySuspended("the user is already suspended", metadata={"id": str(user_id)})


def _not_suspended(user_id: uuid.UUID) -> UserNotSuspended:
    return UserNotSuspended("the user is not suspended", metadata={"id": str(user_id)})
