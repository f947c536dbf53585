"""Enrolling a TOTP authenticator, recovery codes, and resetting a user's second factor.

Every change here starts by holding the user row (SecondFactorRepository.hold_user),
as sign-in does, so an enrolment, a reset and a sign-in of one user run one after the
other and each sees the others' outcome whole.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import InvalidSecondFactor, MfaAlreadyEnrolled, MfaNotEnrolled
from authtuna_grpc.domain.lifecycle import required_reason
from authtuna_grpc.domain.two_factor import (
    RECOVERY_CODE_COUNT,
    Enrollment,
    SecondFactorStatus,
    TotpFactor,
    new_recovery_code,
    recovery_code_hash,
    secret_context,
    typed_totp_code,
)
from authtuna_grpc.services import totp
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.services.secret_box import SecretBox, required
from authtuna_grpc.services.user_manager import existing_user, user_not_found
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


class SecondFactorManager:
    def __init__(
        self,
        units: UnitOfWorkFactory,
        box: SecretBox | None,
        issuer: str,
        clock: Clock,
        new_id: IdFactory,
    ) -> None:
        self._units = units
        self._box = box
        self._issuer = issuer
        self._clock = clock
        self._new_id = new_id

    async def begin(self, caller: Caller, user_id: uuid.UUID) -> Enrollment:
        """A new pending secret in place of any pending one; refused once confirmed."""
        box = required(self._box)
        secret = totp.new_secret()
        async with self._units() as uow:
            factor = await _held_factor(uow, user_id)
            if factor is not None and factor.is_confirmed:
                raise _already_enrolled(user_id)
            user = await existing_user(uow, user_id)
            now = self._clock()
            sealed = box.seal(secret, secret_context(user_id))
            await uow.second_factors.put_pending(user_id, sealed, now)
            details = {"replaced_pending": "true" if factor is not None else "false"}
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.MFA_ENROLLMENT_STARTED, user_id, now, details)
            )
            await uow.commit()
        uri = totp.provisioning_uri(secret, user.email, self._issuer)
        return Enrollment(secret=secret, provisioning_uri=uri)

    async def confirm(self, caller: Caller, user_id: uuid.UUID, code: str) -> list[str]:
        """Activate the pending secret if `code` is current; the new recovery codes."""
        box = required(self._box)
        typed = typed_totp_code(code)
        async with self._units() as uow:
            factor = await _held_factor(uow, user_id)
            if factor is None:
                raise MfaNotEnrolled(
                    "no authenticator enrolment was begun for this user",
                    metadata={"user_id": str(user_id)},
                )
            if factor.is_confirmed:
                raise _already_enrolled(user_id)
            now = self._clock()
            secret = box.open(factor.sealed, secret_context(user_id))
            step = totp.matching_step(secret, typed, now) if typed is not None else None
            if step is None:
                raise InvalidSecondFactor("the code is not correct")
            # The confirming code's step is used up: it cannot also complete a sign-in.
            await uow.second_factors.confirm(user_id, step, now)
            codes = await self._new_codes(uow, user_id, now)
            details = {"recovery_codes": str(len(codes))}
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.MFA_ENROLLED, user_id, now, details)
            )
            await uow.commit()
        return codes

    async def regenerate(self, caller: Caller, user_id: uuid.UUID) -> list[str]:
        """New recovery codes in place of all the old ones, used or not."""
        async with self._units() as uow:
            factor = await _held_factor(uow, user_id)
            if factor is None or not factor.is_confirmed:
                raise _not_enrolled(user_id)
            now = self._clock()
            codes = await self._new_codes(uow, user_id, now)
            details = {"recovery_codes": str(len(codes))}
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.RECOVERY_CODES_REGENERATED, user_id, now, details)
            )
            await uow.commit()
        return codes

    async def status(self, user_id: uuid.UUID) -> SecondFactorStatus:
        async with self._units() as uow:
            await existing_user(uow, user_id)
            factor = await uow.second_factors.totp(user_id)
            remaining = await uow.second_factors.unused_code_count(user_id)
        confirmed = factor is not None and factor.is_confirmed
        return SecondFactorStatus(
            totp_enrolled=confirmed,
            enrolled_at=factor.confirmed_at if factor is not None else None,
            enrollment_pending=factor is not None and not confirmed,
            recovery_codes_remaining=remaining,
        )

    async def reset(self, caller: Caller, user_id: uuid.UUID, reason: str) -> bool:
        """Remove the secret, the recovery codes and pending challenges; True if a
        confirmed authenticator was removed, False if only a pending enrolment."""
        reason = required_reason(reason, "reason")
        async with self._units() as uow:
            if not await uow.second_factors.hold_user(user_id):
                raise user_not_found(user_id)
            factor = await uow.second_factors.delete_totp(user_id)
            if factor is None:
                raise MfaNotEnrolled(
                    "the user has no second factor", metadata={"user_id": str(user_id)}
                )
            codes = await uow.second_factors.delete_codes(user_id)
            challenges = await uow.sign_in_challenges.delete_all_of(user_id)
            now = self._clock()
            details = {
                "reason": reason,
                "was_enrolled": "true" if factor.is_confirmed else "false",
                "recovery_codes_removed": str(codes),
                "challenges_removed": str(challenges),
            }
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.MFA_DISABLED, user_id, now, details)
            )
            await uow.commit()
        return factor.is_confirmed

    async def _new_codes(self, uow: UnitOfWork, user_id: uuid.UUID, now: datetime) -> list[str]:
        codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        hashed = [(self._new_id(), recovery_code_hash(code)) for code in codes]
        await uow.second_factors.replace_codes(user_id, hashed, now)
        return codes


async def _held_factor(uow: UnitOfWork, user_id: uuid.UUID) -> TotpFactor | None:
    """Hold the user row (NOT_FOUND if there is no user), then read its authenticator."""
    if not await uow.second_factors.hold_user(user_id):
        raise user_not_found(user_id)
    return await uow.second_factors.totp(user_id)


def _already_enrolled(user_id: uuid.UUID) -> MfaAlreadyEnrolled:
    return MfaAlreadyEnrolled(
        "the user already has a confirmed authenticator; reset it first",
        metadata={"user_id": str(user_id)},
    )


def _not_enrolled(user_id: uuid.UUID) -> MfaNotEnrolled:
    return MfaNotEnrolled(
        "the user has no confirmed authenticator", metadata={"user_id": str(user_id)}
    )
