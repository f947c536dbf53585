"""Operator work on service accounts, run from the command line as the service itself.

Everything here is audited with the system as the actor (no actor id, request id
"system"), in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import system_caller
from authtuna_grpc.domain.credentials import (
    ApiToken,
    IssuedToken,
    ServiceIdentity,
    check_expiry,
    check_san,
    check_token_name,
)
from authtuna_grpc.domain.errors import (
    NotAServiceAccount,
    RoleNotFound,
    ServiceIdentityAlreadyBound,
    ServiceIdentityNotFound,
    UserNotFound,
)
from authtuna_grpc.domain.roles import GLOBAL_SCOPE
from authtuna_grpc.domain.user import User, new_user
from authtuna_grpc.services.api_tokens import generate_secret, issue_token
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

# Service accounts made on the command line get an address that can never receive mail.
SERVICE_ACCOUNT_EMAIL_DOMAIN = "service-accounts.invalid"


class ServiceAccounts:
    def __init__(
        self,
        units: UnitOfWorkFactory,
        clock: Clock,
        new_id: IdFactory,
        new_secret: Callable[[], str] = generate_secret,
    ) -> None:
        self._units = units
        self._clock = clock
        self._new_id = new_id
        self._new_secret = new_secret

    async def issue_token(
        self,
        *,
        username: str,
        name: str,
        role: str | None = None,
        expires_at: datetime | None = None,
        create: bool = False,
    ) -> IssuedToken:
        """A token for `username` (made a service account first if `create`), holding `role`."""
        check_token_name(name)
        now = self._clock()
        check_expiry(expires_at, now)
        secret, token_id = self._new_secret(), self._new_id()
        async with self._units() as uow:
            user = await self._account(uow, username, create, now)
            if role is not None:
                await self._grant_globally(uow, user, role, now)
            await issue_token(
                uow,
                system_caller(),
                user_id=user.id,
                name=name,
                secret=secret,
                token_id=token_id,
                now=now,
                expires_at=expires_at,
            )
            await uow.commit()
        return IssuedToken(ApiToken(token_id, user.id, name, now, expires_at, None, None), secret)

    async def bind_identity(
        self, *, username: str, san: str, role: str | None = None, create: bool = False
    ) -> ServiceIdentity:
        """Let a client certificate carrying `san` authenticate as the service account."""
        check_san(san)
        now = self._clock()
        async with self._units() as uow:
            user = await self._account(uow, username, create, now)
            if not user.is_service_account:
                raise NotAServiceAccount(
                    f"{user.username!r} is not a service account", metadata={"username": user.username}
                )
            if (bound := await uow.service_identities.by_san(san)) is not None:
                raise ServiceIdentityAlreadyBound(
                    f"{san!r} is already bound to user {bound.user_id}",
                    metadata={"san": san, "user_id": str(bound.user_id)},
                )
            identity = await uow.service_identities.bind(san, user.id, now)
            await _audit(uow, EventType.SERVICE_IDENTITY_BOUND, user.id, now, {"san": san})
            if role is not None:
                await self._grant_globally(uow, user, role, now)
            await uow.commit()
        return identity

    async def unbind_identity(self, san: str) -> ServiceIdentity:
        now = self._clock()
        async with self._units() as uow:
            identity = await uow.service_identities.by_san(san)
            if identity is None:
                raise ServiceIdentityNotFound(f"{san!r} is not bound", metadata={"san": san})
            await uow.service_identities.unbind(san)
            await _audit(uow, EventType.SERVICE_IDENTITY_UNBOUND, identity.user_id, now, {"san": san})
            await uow.commit()
        return identity

    async def _account(self, uow: UnitOfWork, username: str, create: bool, now: datetime) -> User:
        user = await uow.users.by_username(username)
        if user is not None:
            return user
        if not create:
            raise UserNotFound(f"no user with username {username!r}", metadata={"username": username})
        account = new_user(
            email=f"{username}@{SERVICE_ACCOUNT_EMAIL_DOMAIN}",
            username=username,
            password=None,
            attributes={"created_by": "command-line"},
            is_service_account=True,
        )
        user = await uow.users.add(self._new_id(), account, None, now)
        await _audit(uow, EventType.USER_CREATED, user.id, now, {"username": user.username})
        return user

    async def _grant_globally(self, uow: UnitOfWork, user: User, role_name: str, now: datetime) -> None:
        """Give `user` the role at the global scope unless it already holds it there."""
        role = await uow.roles.by_name(role_name)
        if role is None:
            raise RoleNotFound(f"no role named {role_name!r}", metadata={"role": role_name})
        if await uow.roles.assignment(user.id, role.id, GLOBAL_SCOPE) is not None:
            return
        assignment_id = self._new_id()
        await uow.roles.assign(
            assignment_id=assignment_id,
            user_id=user.id,
            role_id=role.id,
            scope=GLOBAL_SCOPE,
            granted_by=None,
            granted_at=now,
        )
        details = {"role": role.name, "scope": GLOBAL_SCOPE, "assignment_id": str(assignment_id)}
        await _audit(uow, EventType.ROLE_ASSIGNED, user.id, now, details)


async def _audit(
    uow: UnitOfWork, event: EventType, user_id: uuid.UUID, now: datetime, details: dict[str, str]
) -> None:
    await uow.audit_events.append(AuditEvent.by(system_caller(), event, user_id, now, details))
