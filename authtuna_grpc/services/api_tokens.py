"""Credentials to callers: bearer tokens (stored only as SHA-256 digests) and certificate identities."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.credentials import needs_last_used_update
from authtuna_grpc.domain.errors import InvalidCredentials, MissingCredentials
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

TOKEN_PREFIX = "atk_"
MAX_TOKEN_LENGTH = 512


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_secret() -> str:
    """256 bits from the OS CSPRNG, recognisable by its prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def issue_token(
    uow: UnitOfWork,
    caller: Caller,
    *,
    user_id: uuid.UUID,
    name: str,
    secret: str,
    token_id: uuid.UUID,
    now: datetime,
    expires_at: datetime | None = None,
) -> None:
    """Store a token for `user_id` inside the caller's unit of work, with its audit event."""
    await uow.api_tokens.add(
        token_id=token_id,
        user_id=user_id,
        name=name,
        token_hash=token_digest(secret),
        created_at=now,
        expires_at=expires_at,
    )
    await uow.audit_events.append(
        AuditEvent.by(
            caller, EventType.API_TOKEN_CREATED, user_id, now, {"token_id": str(token_id), "name": name}
        )
    )


class Authenticator:
    """Resolves a call's credentials (a bearer token, else a client certificate) to a caller."""

    def __init__(self, units: UnitOfWorkFactory, clock: Clock, new_id: IdFactory) -> None:
        self._units = units
        self._clock = clock
        self._new_id = new_id

    async def authenticate(
        self,
        secret: str | None,
        *,
        identities: Sequence[str] = (),
        ip_address: str | None,
        request_id: str,
    ) -> Caller:
        """A bearer token wins over a certificate; a bad token never falls back to one."""
        if not secret and not identities:
            raise MissingCredentials("this call requires 'authorization: Bearer <token>' metadata")
        if secret and len(secret) > MAX_TOKEN_LENGTH:
            raise InvalidCredentials("the bearer token is not valid")
        if secret:
            user_id, permissions = await self._token_owner(secret)
        else:
            async with self._units.read() as uow:
                user_id = await _certificate_owner(uow, identities)
                permissions = await uow.roles.global_permissions(user_id)
        return Caller(
            user_id=user_id,
            permissions=permissions,
            ip_address=ip_address,
            request_id=request_id,
        )

    async def _token_owner(self, secret: str) -> tuple[uuid.UUID, frozenset[str]]:
        """Runs on every call: one statement, outside any transaction."""
        now = self._clock()
        async with self._units.read() as uow:
            owner = await uow.api_tokens.owner_of(token_digest(secret), now)
        if owner is None:
            raise InvalidCredentials("the bearer token is not valid")
        if needs_last_used_update(owner.last_used_at, now):
            async with self._units() as uow:
                await uow.api_tokens.mark_used(owner.token_id, now)
                await uow.commit()
        return owner.user_id, owner.permissions


async def _certificate_owner(uow: UnitOfWork, identities: Sequence[str]) -> uuid.UUID:
    owners = await uow.service_identities.active_owners(identities)
    if len(owners) != 1:
        # None bound (or the account is suspended), or identities of several accounts in
        # one certificate: refuse rather than pick one.
        raise InvalidCredentials(
            "the client certificate is not bound to exactly one active service account"
        )
    return owners.pop()
