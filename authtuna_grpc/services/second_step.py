"""The second step of a two-factor sign-in: challenges issued after a verified password,
completed by a TOTP code or a recovery code.

Wrong codes are failed sign-ins: they are counted against the account and the IP
address by the same SignInLockout as wrong passwords, so guessing codes is bounded by
the same lock. Each success consumes what it used — the challenge, the TOTP time step
or the recovery code — with conditional writes, so of two completions racing with one
code or one challenge exactly one succeeds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import (
    DomainError,
    InvalidChallenge,
    InvalidInput,
    InvalidSecondFactor,
    SignInLocked,
)
from authtuna_grpc.domain.sessions import SessionPolicy, SignedIn
from authtuna_grpc.domain.sign_in import ThrottleKey
from authtuna_grpc.domain.two_factor import (
    MAX_CHALLENGE_TOKEN_LENGTH,
    Challenge,
    ChallengeFailure,
    ChallengePolicy,
    IssuedChallenge,
    RecoveryCode,
    StoredRecoveryCode,
    TotpCode,
    TotpFactor,
    TypedCode,
    new_challenge_token,
    recovery_code_matches,
    secret_context,
    typed_code,
)
from authtuna_grpc.services.api_tokens import token_digest
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.services.lockout import SignInLockout, lock_events
from authtuna_grpc.services.secret_box import SecretBox, required
from authtuna_grpc.services.sessions import open_session
from authtuna_grpc.services.totp import matching_step
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

# How often a process sweeps ended challenges of users who never came back.
PRUNE_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class CompletedSignIn:
    signed_in: SignedIn
    used_recovery_code: bool
    recovery_codes_remaining: int


@dataclass(frozen=True)
class _Pending:
    """What completing a challenge starts from, read in one transaction."""

    challenge: Challenge
    factor: TotpFactor
    unused_codes: list[StoredRecoveryCode]
    used_codes: list[StoredRecoveryCode]
    keys: list[ThrottleKey]
    refusal: DomainError | None


@dataclass(frozen=True)
class _Match:
    step: int | None = None
    recovery_code_id: uuid.UUID | None = None


def invalid_challenge() -> InvalidChallenge:
    return InvalidChallenge(
        "the sign-in challenge is not valid: unknown, expired, used or withdrawn; sign in again"
    )


def challenge_digest(token: str) -> str | None:
    if not token:
        raise InvalidInput.field("challenge_token", "is required")
    if len(token) > MAX_CHALLENGE_TOKEN_LENGTH:
        return None
    return token_digest(token)


class SecondStepManager:
    def __init__(
        self,
        units: UnitOfWorkFactory,
        lockout: SignInLockout,
        sessions: SessionPolicy,
        policy: ChallengePolicy,
        box: SecretBox | None,
        clock: Clock,
        new_id: IdFactory,
    ) -> None:
        self._units = units
        self._lockout = lockout
        self._sessions = sessions
        self._policy = policy
        self._box = box
        self._clock = clock
        self._new_id = new_id
        self._next_prune: datetime | None = None

    async def issue(
        self, uow: UnitOfWork, caller: Caller, user_id: uuid.UUID, now: datetime, details: dict[str, str]
    ) -> IssuedChallenge:
        """Store a challenge, inside the transaction of the sign-in whose password was
        just verified."""
        await self._prune(uow, user_id, now)
        token = new_challenge_token()
        challenge_id = self._new_id()
        expires_at = now + self._policy.lifetime
        await uow.sign_in_challenges.add(
            challenge_id=challenge_id,
            token_hash=token_digest(token),
            user_id=user_id,
            created_at=now,
            expires_at=expires_at,
        )
        details = {"challenge_id": str(challenge_id), **details}
        await uow.audit_events.append(
            AuditEvent.by(caller, EventType.MFA_CHALLENGE_ISSUED, user_id, now, details)
        )
        return IssuedChallenge(token=token, expires_at=expires_at)

    async def complete(self, caller: Caller, token: str, code: str) -> CompletedSignIn:
        digest = challenge_digest(token)
        typed = typed_code(code)
        now = self._clock()
        pending = await self._pending(caller, digest, now)
        if pending.refusal is not None:
            await self._refuse(caller, pending, pending.refusal, now)
        match, cause = self._match(pending, typed, now)
        if match is None:
            await self._fail(caller, pending, cause, now)
        return await self._succeed(caller, pending.challenge, match, now)

    async def _pending(self, caller: Caller, digest: str | None, now: datetime) -> _Pending:
        async with self._units() as uow:
            challenge = None
            if digest is not None:
                challenge = await uow.sign_in_challenges.live_by_hash(
                    digest, now, self._policy.max_attempts
                )
            if challenge is None:
                raise invalid_challenge()
            user_id = challenge.user_id
            keys = self._lockout.keys(user_id, "", caller.ip_address)
            refusal = await self._lockout.lock_in_force(uow, keys, now)
            factor = await uow.second_factors.totp(user_id)
            unused, used = await uow.second_factors.codes(user_id)
        if factor is None or not factor.is_confirmed:
            raise invalid_challenge()  # reset meanwhile; a reset also withdraws challenges
        return _Pending(challenge, factor, unused, used, keys, refusal)

    def _match(
        self, pending: _Pending, typed: TypedCode, now: datetime
    ) -> tuple[_Match | None, ChallengeFailure]:
        if isinstance(typed, TotpCode):
            factor = pending.factor
            secret = required(self._box).open(factor.sealed, secret_context(factor.user_id))
            step = matching_step(secret, typed, now)
            if step is None:
                return None, ChallengeFailure.WRONG_CODE
            if not factor.accepts_step(step):
                return None, ChallengeFailure.REPLAYED_CODE
            return _Match(step=step), ChallengeFailure.WRONG_CODE
        if isinstance(typed, RecoveryCode):
            for stored in pending.unused_codes:
                if recovery_code_matches(typed, stored.code_hash):
                    return _Match(recovery_code_id=stored.id), ChallengeFailure.WRONG_CODE
            if any(recovery_code_matches(typed, used.code_hash) for used in pending.used_codes):
                return None, ChallengeFailure.USED_RECOVERY_CODE
        return None, ChallengeFailure.WRONG_CODE

    async def _succeed(
        self, caller: Caller, challenge: Challenge, match: _Match, now: datetime
    ) -> CompletedSignIn:
        user_id = challenge.user_id
        async with self._units() as uow:
            if not await uow.sign_in_challenges.use(challenge.id, now, self._policy.max_attempts):
                raise invalid_challenge()
            details = {
                "challenge_id": str(challenge.id),
                "second_factor": await self._consume(uow, challenge, match, now),
            }
            remaining = await uow.second_factors.unused_code_count(user_id)
            if match.recovery_code_id is not None:
                used = {**details, "recovery_codes_remaining": str(remaining)}
                await uow.audit_events.append(
                    AuditEvent.by(caller, EventType.RECOVERY_CODE_USED, user_id, now, used)
                )
            signed_in = await open_session(
                uow,
                caller,
                user_id,
                policy=self._sessions,
                session_id=self._new_id(),
                now=now,
                details=details,
            )
            await uow.commit()
        return CompletedSignIn(signed_in, match.recovery_code_id is not None, remaining)

    async def _consume(
        self, uow: UnitOfWork, challenge: Challenge, match: _Match, now: datetime
    ) -> str:
        """Use up the matched time step or recovery code; which kind it was. Losing
        this race means another sign-in used this very code first."""
        if match.step is not None:
            used = await uow.second_factors.use_step(challenge.user_id, match.step)
        else:
            assert match.recovery_code_id is not None
            used = await uow.second_factors.use_code(match.recovery_code_id, now)
        if not used:
            raise _wrong_code(self._policy.max_attempts - challenge.failed_attempts)
        return "totp" if match.step is not None else "recovery_code"

    async def _fail(
        self, caller: Caller, pending: _Pending, cause: ChallengeFailure, now: datetime
    ) -> NoReturn:
        """Count a wrong code against the challenge, the account and the address, and
        audit it — together, in one transaction."""
        challenge = pending.challenge
        async with self._units() as uow:
            attempts = await uow.sign_in_challenges.count_failure(challenge.id)
            counts = await self._lockout.count_failure(uow, pending.keys, now)
            failed = self._policy.max_attempts if attempts is None else attempts
            details = {
                "challenge_id": str(challenge.id),
                "cause": cause.value,
                "failed_attempts": str(failed),
            }
            await uow.audit_events.append(
                AuditEvent.by(caller, EventType.MFA_CHALLENGE_FAILED, challenge.user_id, now, details)
            )
            for event in lock_events(caller, challenge.user_id, counts, now):
                await uow.audit_events.append(event)
            await uow.commit()
        raise _wrong_code(self._policy.max_attempts - failed)

    async def _refuse(
        self, caller: Caller, pending: _Pending, error: DomainError, now: datetime
    ) -> NoReturn:
        """A locked account or address: audited, not counted, no code checked."""
        cause = ChallengeFailure.LOCKED if isinstance(error, SignInLocked) else ChallengeFailure.IP_LOCKED
        details = {"challenge_id": str(pending.challenge.id), "cause": cause.value}
        async with self._units() as uow:
            await uow.audit_events.append(
                AuditEvent.by(
                    caller, EventType.MFA_CHALLENGE_FAILED, pending.challenge.user_id, now, details
                )
            )
            await uow.commit()
        raise error

    async def _prune(self, uow: UnitOfWork, user_id: uuid.UUID, now: datetime) -> None:
        max_attempts = self._policy.max_attempts
        await uow.sign_in_challenges.delete_ended(now, max_attempts, user_id=user_id)
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + PRUNE_INTERVAL
            await uow.sign_in_challenges.delete_ended(now, max_attempts)


def _wrong_code(attempts_left: int) -> InvalidSecondFactor:
    left = max(0, attempts_left)
    message = "the code is not correct"
    if left == 0:
        message += "; the challenge is void: sign in again"
    return InvalidSecondFactor(message, metadata={"attempts_left": str(left)})
