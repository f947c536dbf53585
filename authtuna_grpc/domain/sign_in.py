"""Rules of signing in: what a sign-in request may hold, and when sign-in is locked.

A password longer than PASSWORD_MAX_LENGTH or holding NUL can never be correct: no
such password can be set (domain.user.password_problem). Such a request is refused as
invalid input before any lookup or hashing, so it costs nothing, counts for nothing
and says nothing about any account. Passwords are compared exactly as typed, without
normalisation, as they were hashed.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput
from authtuna_grpc.domain.user import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    identity_key,
    lookup_problem,
)

IdentityKind = Literal["email", "username"]


@dataclass(frozen=True)
class SignInAttempt:
    identity: str
    kind: IdentityKind
    password: str


def sign_in_attempt(identity: str, password: str) -> SignInAttempt:
    violations = []
    if not identity:
        violations.append(FieldViolation("identity", "is required"))
    elif len(identity) > EMAIL_MAX_LENGTH:
        violations.append(FieldViolation("identity", f"must be at most {EMAIL_MAX_LENGTH} characters"))
    if not password:
        violations.append(FieldViolation("password", "is required"))
    elif len(password) > PASSWORD_MAX_LENGTH:
        violations.append(
            FieldViolation("password", f"must be at most {PASSWORD_MAX_LENGTH} characters")
        )
    elif "\x00" in password:
        violations.append(FieldViolation("password", "must not contain NUL"))
    kind: IdentityKind = "email" if "@" in identity else "username"
    if identity and len(identity) <= EMAIL_MAX_LENGTH and (problem := lookup_problem(kind, identity)):
        # No account can have it, so nothing is looked up, counted or hashed.
        violations.append(FieldViolation("identity", f"is not a valid {kind}: {problem}"))
    if violations:
        raise InvalidInput.of(violations)
    return SignInAttempt(identity=identity, kind=kind, password=password)


class FailureCause(enum.StrEnum):
    """Why a sign-in failed: recorded in LOGIN_FAILED, never told to the caller."""

    UNKNOWN_USER = "unknown_user"
    WRONG_PASSWORD = "wrong_password"
    NO_PASSWORD = "no_password"
    SUSPENDED = "suspended"
    LOCKED = "locked"
    IP_LOCKED = "ip_locked"
    # The password was right when checked, but changed (or the user was suspended)
    # before the session could be written.
    CHANGED_MEANWHILE = "changed_meanwhile"


class ThrottleScope(enum.StrEnum):
    ACCOUNT = "account"
    IDENTITY = "identity"
    IP = "ip"


@dataclass(frozen=True)
class ThrottleKey:
    """What failures are counted against: an account, an identity no account has, or an
    IP address. An unknown identity is counted like an account (by a digest, since it
    may be a password typed into the wrong field), so a lock reveals no account."""

    scope: ThrottleScope
    subject: str

    @classmethod
    def account(cls, user_id: uuid.UUID) -> ThrottleKey:
        return cls(ThrottleScope.ACCOUNT, str(user_id))

    @classmethod
    def identity(cls, identity: str) -> ThrottleKey:
        digest = hashlib.sha256(identity_key(identity).encode("utf-8")).hexdigest()
        return cls(ThrottleScope.IDENTITY, digest)

    @classmethod
    def ip(cls, address: str) -> ThrottleKey:
        return cls(ThrottleScope.IP, normal_ip(address))


def normal_ip(address: str) -> str:
    """One spelling per address, so '::1' and '0:0::1' count together."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address[:255]


def checked_ip(address: str, field: str) -> str:
    """An address in its one spelling. A zone ('fe80::1%eth0') names an interface of
    some host, not a client, and could be of any length: it is refused."""
    try:
        if "%" not in address:
            return str(ipaddress.ip_address(address))
    except ValueError:
        pass
    raise InvalidInput.field(field, "must be an IPv4 or IPv6 address, without a zone (%)")


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` in `window`; reaching it locks for `lock_for`."""

    max_failures: int
    window: timedelta
    lock_for: timedelta

    def window_cutoff(self, now: datetime) -> datetime:
        """A count whose window started at or before this has lapsed."""
        return now - self.window

    def stale_at(self, now: datetime) -> datetime:
        """After a failure now, when its row can no longer matter."""
        return now + max(self.window, self.lock_for)


@dataclass(frozen=True)
class LockoutPolicy:
    per_account: Limit
    # None: no per-address limit (e.g. behind a proxy that is not yet trusted).
    per_ip: Limit | None

    def limit_for(self, key: ThrottleKey) -> Limit | None:
        return self.per_ip if key.scope is ThrottleScope.IP else self.per_account


@dataclass(frozen=True)
class FailureCount:
    """A key's count after one more failure; `locked_now` if this very failure locked
    it (of concurrent failures reaching the limit, exactly one does)."""

    key: ThrottleKey
    failures: int
    locked_until: datetime | None
    locked_now: bool


def retry_delay(locked_until: datetime, now: datetime) -> timedelta:
    """Whole seconds, rounded up, so a client that waits this long is not refused."""
    seconds = max(1, math.ceil((locked_until - now).total_seconds()))
    return timedelta(seconds=seconds)
