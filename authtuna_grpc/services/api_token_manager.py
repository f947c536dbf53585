"""Issuing, listing and revoking API tokens on behalf of a caller."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.credentials import ApiToken, IssuedToken, check_expiry, check_token_name
from authtuna_grpc.domain.errors import ApiTokenAlreadyRevoked, ApiTokenNotFound, UserNotFound
from authtuna_grpc.domain.roles import check_grantable
from authtuna_grpc.services.api_tokens import generate_secret, issue_token
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


class ApiTokenManager:
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

    async def create(
        self, caller: Caller, *, user_id: uuid.UUID, name: str, expires_at: datetime | None
    ) -> IssuedToken:
        """Mint a token for `user_id`; the caller must hold every permission that user has."""
        check_token_name(name)
        now = self._clock()
        check_expiry(expires_at, now)
        secret, token_id = self._new_secret(), self._new_id()
        async with self._units() as uow:
            await _existing_user(uow, user_id)
            check_grantable(caller, await uow.roles.global_permissions(user_id))
            await issue_token(
                uow,
                caller,
                user_id=user_id,
                name=name,
                secret=secret,
                token_id=token_id,
                now=now,
                expires_at=expires_at,
            )
            await uow.commit()
        token = ApiToken(token_id, user_id, name, now, expires_at, None, None)
        return IssuedToken(token=token, secret=secret)

    async def list(self, user_id: uuid.UUID) -> list[ApiToken]:
        async with self._units() as uow:
            await _existing_user(uow, user_id)
            return await uow.api_tokens.of_user(user_id)

    async def revoke(self, caller: Caller, token_id: uuid.UUID) -> ApiToken:
        now = self._clock()
        async with self._units() as uow:
            token = await uow.api_tokens.by_id(token_id)
            if token is None:
                raise ApiTokenNotFound(f"no API token with id {token_id}", metadata={"id": str(token_id)})
            # The conditional update settles a race between two revocations.
            if token.revoked_at is not None or not await uow.api_tokens.revoke(token_id, now):
                raise ApiTokenAlreadyRevoked(
                    "the API token is already revoked", metadata={"id": str(token_id)}
                )
            await uow.audit_events.append(
                AuditEvent.by(
                    caller,
                    EventType.API_TOKEN_REVOKED,
                    token.user_id,
                    now,
                    {"token_id": str(token_id), "name": token.name},
                )
            )
            await uow.commit()
        return replace(token, revoked_at=now)


async def _existing_user(uow: UnitOfWork, user_id: uuid.UUID) -> None:
    if await uow.users.by_id(user_id) is None:
        raise UserNotFound(f"no user with id {user_id}", metadata={"id": str(user_id)})
