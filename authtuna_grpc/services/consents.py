"""Granting, withdrawing and listing consent records; each change audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.consents import Consent, ConsentGrant
from authtuna_grpc.domain.errors import ConsentAlreadyGranted, ConsentNotGranted
from authtuna_grpc.domain.paging import encode_page_token, page_request
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.services.user_manager import user_not_found
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

@dataclass(frozen=True)
class Granted:
    consent: Consent
    superseded: Consent | None


@dataclass(frozen=True)
class ConsentPage:
    consents: list[Consent]
    next_page_token: str


class ConsentManager:
    def __init__(self, units: UnitOfWorkFactory, clock: Clock, new_id: IdFactory) -> None:
        self._units = units
        self._clock = clock
        self._new_id = new_id

    async def grant(self, caller: Caller, user_id: uuid.UUID, grant: ConsentGrant) -> Granted:
        """Record a consent in force; one in force of another version ends, superseded."""
        async with self._units() as uow:
            await _lock_user(uow, user_id)
            current = await uow.consents.in_force(user_id, grant.purpose)
            if current is not None and current.version == grant.version:
                raise ConsentAlreadyGranted(
                    f"consent to {grant.purpose!r} version {grant.version!r} is already in force",
                    metadata={"purpose": grant.purpose, "version": grant.version, "id": str(current.id)},
                )
            now = self._clock()
            consent = Consent(
                id=self._new_id(),
                user_id=user_id,
                purpose=grant.purpose,
                version=grant.version,
                granted_at=now,
                granted_by=caller.user_id,
                granted_ip_address=caller.ip_address,
            )
            superseded = None
            if current is not None:
                superseded = await uow.consents.end(
                    current.id, now=now, by=caller.user_id, ip_address=caller.ip_address,
                    superseded_by=consent.id,
                )
            await uow.consents.add(consent)
            await uow.audit_events.append(_granted(caller, consent, superseded))
            await uow.commit()
        return Granted(consent, superseded)

    async def withdraw(self, caller: Caller, user_id: uuid.UUID, purpose: str) -> Consent:
        """End the consent in force for `purpose`; the record stays."""
        async with self._units() as uow:
            await _lock_user(uow, user_id)
            current = await uow.consents.in_force(user_id, purpose)
            now = self._clock()
            withdrawn = None
            if current is not None:
                withdrawn = await uow.consents.end(
                    current.id, now=now, by=caller.user_id, ip_address=caller.ip_address
                )
            if withdrawn is None:
                raise ConsentNotGranted(
                    f"no consent to {purpose!r} is in force", metadata={"purpose": purpose}
                )
            details = {"consent_id": str(withdrawn.id), "purpose": purpose, "version": withdrawn.version}
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.CONSENT_WITHDRAWN, user_id, now, details)
            )
            await uow.commit()
        return withdrawn

    async def list(
        self,
        user_id: uuid.UUID,
        *,
        purpose: str | None,
        in_force_only: bool,
        limit: int,
        page_token: str,
    ) -> ConsentPage:
        """A user's records oldest first; also of a deleted user the archive still holds."""
        page = page_request(skip=0, limit=limit, page_token=page_token)
        async with self._units() as uow:
            if await uow.users.by_id(user_id) is None and not await uow.deleted_users.exists(user_id):
                raise user_not_found(user_id)
            consents = await uow.consents.page(
                user_id, purpose=purpose, in_force_only=in_force_only, after=page.after,
                limit=page.limit + 1,
            )
        more = len(consents) > page.limit
        consents = consents[: page.limit]
        return ConsentPage(consents, encode_page_token(consents[-1].id) if more else "")


def _granted(caller: Caller, consent: Consent, superseded: Consent | None) -> AuditEvent:
    details = {
        "consent_id": str(consent.id),
        "purpose": consent.purpose,
        "version": consent.version,
        "superseded": str(superseded.id) if superseded else "",
    }
    return AuditEvent.by(caller, EventType.CONSENT_GRANTED, consent.user_id, consent.granted_at, details)


async def _lock_user(uow: UnitOfWork, user_id: uuid.UUID) -> None:
    """The user must exist; its consent changes are serialised on its row, which also
    keeps it from being deleted until this one commits."""
    if not await uow.users.lock_for_change(user_id):
        raise user_not_found(user_id)
