"""Signing end users in with a password, and lifting sign-in locks.

Every failure looks the same to the caller: an unknown identity is verified against a
dummy hash made at start-up with the configured parameters, so it costs what a wrong
password costs, and both are counted and audited by the same code path.

A user with a confirmed second factor gets a challenge instead of a session: the
check and the session are in one transaction that first holds the user row, so no
enrolment can be confirmed in between (services/second_step.py completes it).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import NoReturn

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import DomainError, InvalidSignIn, SignInLocked, UserSuspended
from authtuna_grpc.domain.sessions import SessionPolicy, SignedIn
from authtuna_grpc.domain.sign_in import FailureCause, SignInAttempt, ThrottleKey
from authtuna_grpc.domain.two_factor import IssuedChallenge
from authtuna_grpc.domain.user import User
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.services.lockout import SignInLockout, lock_events
from authtuna_grpc.services.passwords import PasswordHasher
from authtuna_grpc.services.second_step import SecondStepManager
from authtuna_grpc.services.sessions import open_session
from authtuna_grpc.services.user_manager import existing_user
from authtuna_grpc.storage.credentials import StoredCredentials
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


async def make_dummy_hash(hasher: PasswordHasher) -> str:
    """A hash no password matches (its secret is discarded), at the current parameters."""
    return await hasher.hash(secrets.token_urlsafe(32))


def invalid_sign_in() -> InvalidSignIn:
    return InvalidSignIn("the identity or password is not correct")


class SignInManager:
    def __init__(
        self,
        units: UnitOfWorkFactory,
        hasher: PasswordHasher,
        lockout: SignInLockout,
        sessions: SessionPolicy,
        second_step: SecondStepManager,
        clock: Clock,
        new_id: IdFactory,
        dummy_hash: str,
    ) -> None:
        self._units = units
        self._hasher = hasher
        self._lockout = lockout
        self._sessions = sessions
        self._second_step = second_step
        self._clock = clock
        self._new_id = new_id
        self._dummy_hash = dummy_hash

    async def sign_in(self, caller: Caller, attempt: SignInAttempt) -> SignedIn | IssuedChallenge:
        async with self._units() as uow:
            stored = await uow.credentials.by_identity(attempt.kind, attempt.identity)
            user_id = stored.user.id if stored else None
            keys = self._lockout.keys(user_id, attempt.identity, caller.ip_address)
            refusal = await self._lockout.lock_in_force(uow, keys, self._clock())
        if refusal is not None:
            await self._refuse(caller, attempt, user_id, refusal)
        password_hash = stored.password_hash if stored else None
        # Hash outside any transaction: it takes tens of milliseconds.
        verification = await self._hasher.verify(password_hash or self._dummy_hash, attempt.password)
        if stored is None or password_hash is None or not verification.valid:
            await self._fail(caller, attempt, stored, keys)
        if not stored.user.is_active:
            await self._record(caller, attempt, user_id, FailureCause.SUSPENDED)
            raise _suspended()
        new_hash = await self._hasher.hash(attempt.password) if verification.needs_rehash else None
        result = await self._password_verified(caller, attempt, stored.user, password_hash, new_hash)
        if result is None:
            await self._changed_meanwhile(caller, attempt, stored.user.id)
        return result

    async def clear_account_lock(self, caller: Caller, user_id: uuid.UUID) -> bool:
        """Lift the account's lock and forget its failures; True if it was locked."""
        async with self._units() as uow:
            await existing_user(uow, user_id)
            return await self._clear(uow, caller, ThrottleKey.account(user_id), user_id)

    async def clear_ip_lock(self, caller: Caller, ip_address: str) -> bool:
        """Lift the address's lock and forget its failures; True if it was locked."""
        async with self._units() as uow:
            return await self._clear(uow, caller, ThrottleKey.ip(ip_address), None)

    async def _clear(
        self, uow: UnitOfWork, caller: Caller, key: ThrottleKey, user_id: uuid.UUID | None
    ) -> bool:
        now = self._clock()
        was_locked = await uow.sign_in_throttle.clear(key, now)
        details = {"scope": key.scope.value, "was_locked": "true" if was_locked else "false"}
        if user_id is None:
            details["ip_address"] = key.subject
        await uow.audit_events.append(
            AuditEvent.by(caller, EventType.SIGN_IN_LOCK_CLEARED, user_id, now, details)
        )
        await uow.commit()
        return was_locked

    async def _password_verified(
        self,
        caller: Caller,
        attempt: SignInAttempt,
        user: User,
        verified_hash: str,
        new_hash: str | None,
    ) -> SignedIn | IssuedChallenge | None:
        """The session — or, for a user with a confirmed second factor, a challenge —
        in one transaction; None if the user was suspended or the password changed since
        it was verified (then nothing is written, so no session outlives that change).

        A challenge leaves last_login_at and the account's failure count alone: the
        sign-in is not complete, and wrong codes count on from the failures so far."""
        now = self._clock()
        details = {"identity_kind": attempt.kind, "rehashed": "true" if new_hash else "false"}
        result: SignedIn | IssuedChallenge
        async with self._units() as uow:
            if not await uow.credentials.hold_verified(user.id, verified_hash, new_hash):
                return None
            if await uow.second_factors.is_enrolled(user.id):
                result = await self._second_step.issue(uow, caller, user.id, now, details)
            else:
                result = await open_session(
                    uow,
                    caller,
                    user.id,
                    policy=self._sessions,
                    session_id=self._new_id(),
                    now=now,
                    details=details,
                )
            await uow.commit()
        return result

    async def _fail(
        self,
        caller: Caller,
        attempt: SignInAttempt,
        stored: StoredCredentials | None,
        keys: list[ThrottleKey],
    ) -> NoReturn:
        """Count the failure against the account (or identity) and the address, and
        audit it — together, in one transaction."""
        cause = _cause(stored)
        user_id = stored.user.id if stored else None
        now = self._clock()
        async with self._units() as uow:
            counts = await self._lockout.count_failure(uow, keys, now)
            await uow.audit_events.append(_login_failed(caller, attempt, user_id, cause, now))
            for event in lock_events(caller, user_id, counts, now):
                await uow.audit_events.append(event)
            await uow.commit()
        raise invalid_sign_in()

    async def _refuse(
        self, caller: Caller, attempt: SignInAttempt, user_id: uuid.UUID | None, error: DomainError
    ) -> NoReturn:
        cause = FailureCause.LOCKED if isinstance(error, SignInLocked) else FailureCause.IP_LOCKED
        await self._record(caller, attempt, user_id, cause)
        raise error

    async def _changed_meanwhile(
        self, caller: Caller, attempt: SignInAttempt, user_id: uuid.UUID
    ) -> NoReturn:
        async with self._units() as uow:
            user = await uow.users.by_id(user_id)
        if user is not None and not user.is_active:
            await self._record(caller, attempt, user_id, FailureCause.SUSPENDED)
            raise _suspended()
        await self._record(caller, attempt, user_id, FailureCause.CHANGED_MEANWHILE)
        raise invalid_sign_in()

    async def _record(
        self, caller: Caller, attempt: SignInAttempt, user_id: uuid.UUID | None, cause: FailureCause
    ) -> None:
        """A LOGIN_FAILED that counts nothing (the password was right, or never checked)."""
        now = self._clock()
        async with self._units() as uow:
            await uow.audit_events.append(_login_failed(caller, attempt, user_id, cause, now))
            await uow.commit()


def _cause(stored: StoredCredentials | None) -> FailureCause:
    if stored is None:
        return FailureCause.UNKNOWN_USER
    if stored.password_hash is None:
        return FailureCause.NO_PASSWORD
    return FailureCause.WRONG_PASSWORD


def _login_failed(
    caller: Caller,
    attempt: SignInAttempt,
    user_id: uuid.UUID | None,
    cause: FailureCause,
    now: datetime,
) -> AuditEvent:
    # The identity itself is not recorded: for an unknown user it may be a password
    # typed into the wrong field. A known user is named by user_id.
    details = {"cause": cause.value, "identity_kind": attempt.kind}
    return AuditEvent.by(caller, EventType.LOGIN_FAILED, user_id, now, details)


def _suspended() -> UserSuspended:
    return UserSuspended("the account is suspended")
