"""Domain errors, each named for what happened.

The API layer maps every class here to a gRPC status in one table
(`authtuna_grpc.api.errors`); a test keeps that table exhaustive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, Self


@dataclass(frozen=True)
class FieldViolation:
    """One invalid request field, named by its proto field path."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    reason: ClassVar[str] = "DOMAIN_ERROR"

    def __init__(
        self,
        message: str,
        *,
        violations: tuple[FieldViolation, ...] = (),
        metadata: dict[str, str] | None = None,
        retry_delay: timedelta | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.violations = violations
        self.metadata = dict(metadata or {})
        # When set, the client may retry after this long (google.rpc.RetryInfo).
        self.retry_delay = retry_delay


# At most this many violations are reported: the status travels in trailing metadata,
# which clients refuse beyond 8–16 KiB, so a request with thousands of bad entries
# must still get an answer it can read.
MAX_VIOLATIONS = 10


class InvalidInput(DomainError):
    """A request field does not satisfy its rules."""

    reason = "INVALID_ARGUMENT"

    @classmethod
    def of(cls, violations: list[FieldViolation]) -> Self:
        shown = violations[:MAX_VIOLATIONS]
        fields = ", ".join(v.field for v in shown)
        detail = "; ".join(f"{v.field}: {v.description}" for v in shown)
        if len(violations) > len(shown):
            detail += f"; and {len(violations) - len(shown)} more"
        return cls(f"invalid {fields}: {detail}", violations=tuple(shown))

    @classmethod
    def field(cls, field: str, description: str) -> Self:
        return cls.of([FieldViolation(field, description)])


class WeakPassword(InvalidInput):
    """The password does not meet the strength rules."""

    reason = "WEAK_PASSWORD"


class InvalidPageToken(InvalidInput):
    """A page token was not issued by this service or is corrupted."""

    reason = "INVALID_PAGE_TOKEN"


class UserNotFound(DomainError):
    reason = "USER_NOT_FOUND"


class EmailAlreadyRegistered(DomainError):
    reason = "EMAIL_ALREADY_REGISTERED"


class UsernameAlreadyTaken(DomainError):
    reason = "USERNAME_ALREADY_TAKEN"


class StorageUnavailable(DomainError):
    """The database cannot be reached right now; nothing was changed that the caller
    can rely on, and the same call may succeed when retried."""

    reason = "DATABASE_UNAVAILABLE"


class MissingCredentials(DomainError):
    """The call carried no bearer token."""

    reason = "MISSING_CREDENTIALS"


class InvalidCredentials(DomainError):
    """The bearer token is unknown, expired, revoked, or its owner is suspended."""

    reason = "INVALID_CREDENTIALS"


class PermissionMissing(DomainError):
    """The caller lacks the permission the RPC requires."""

    reason = "PERMISSION_DENIED"

    def __init__(self, permission: str) -> None:
        super().__init__(
            f"the caller lacks permission {permission!r}",
            metadata={"permission": permission},
        )
        self.permission = permission


class DeletedUserNotFound(DomainError):
    """No archived record with that id: the user was never deleted, or never existed."""

    reason = "DELETED_USER_NOT_FOUND"


class StaleEtag(DomainError):
    """The user changed since the caller read it; nothing was written."""

    reason = "STALE_ETAG"


class UserAlreadySuspended(DomainError):
    reason = "USER_ALREADY_SUSPENDED"


class UserNotSuspended(DomainError):
    reason = "USER_NOT_SUSPENDED"


class CannotSuspendSelf(DomainError):
    reason = "CANNOT_SUSPEND_SELF"


class CannotDeleteSelf(DomainError):
    reason = "CANNOT_DELETE_SELF"


class LastAdmin(DomainError):
    """The change would leave no active holder of the Admin role at the global scope."""

    reason = "LAST_ADMIN"
class PrivilegeEscalation(DomainError):
    """The caller tried to grant a permission it does not hold itself."""

    reason = "PRIVILEGE_ESCALATION"

    def __init__(self, permission: str) -> None:
        super().__init__(
            f"the caller cannot grant permission {permission!r}, which it does not hold",
            metadata={"permission": permission},
        )
        self.permission = permission


class RoleNotFound(DomainError):
    reason = "ROLE_NOT_FOUND"


class RoleAlreadyExists(DomainError):
    reason = "ROLE_ALREADY_EXISTS"


class BuiltinRoleProtected(DomainError):
    """Built-in roles are created by migration and cannot be deleted."""

    reason = "BUILTIN_ROLE_PROTECTED"


class RoleInUse(DomainError):
    """A role cannot be deleted while anyone holds it."""

    reason = "ROLE_IN_USE"


class RoleAlreadyAssigned(DomainError):
    reason = "ROLE_ALREADY_ASSIGNED"


class AssignmentNotFound(DomainError):
    reason = "ASSIGNMENT_NOT_FOUND"


class ApiTokenNotFound(DomainError):
    reason = "API_TOKEN_NOT_FOUND"


class ApiTokenAlreadyRevoked(DomainError):
    reason = "API_TOKEN_ALREADY_REVOKED"


class NotAServiceAccount(DomainError):
    """Certificate identities can only be bound to service accounts."""

    reason = "NOT_A_SERVICE_ACCOUNT"


class ServiceIdentityAlreadyBound(DomainError):
    reason = "SERVICE_IDENTITY_ALREADY_BOUND"


class ServiceIdentityNotFound(DomainError):
    reason = "SERVICE_IDENTITY_NOT_FOUND"


class InvalidSignIn(DomainError):
    """Wrong password, unknown identity, or no password: deliberately one error, so a
    sign-in never tells whether an account exists."""

    reason = "INVALID_SIGN_IN"


class UserSuspended(DomainError):
    """The password was right, but the account is suspended."""

    reason = "USER_SUSPENDED"


class SignInLocked(DomainError):
    """Too many failed sign-ins for this account (or identity): locked for a while."""

    reason = "SIGN_IN_LOCKED"


class SignInRateLimited(DomainError):
    """Too many failed sign-ins from this IP address across accounts."""

    reason = "SIGN_IN_RATE_LIMITED"


class InvalidSession(DomainError):
    """The session token is unknown, expired, idle too long or revoked, or its user is
    suspended."""

    reason = "INVALID_SESSION"


class SessionNotFound(DomainError):
    reason = "SESSION_NOT_FOUND"


class MfaNotConfigured(DomainError):
    """The server has no key to encrypt TOTP secrets with, or not the one a stored
    secret was encrypted with (AUTHTUNA_MFA_ENCRYPTION_KEYS)."""

    reason = "MFA_NOT_CONFIGURED"


class MfaAlreadyEnrolled(DomainError):
    reason = "MFA_ALREADY_ENROLLED"


class MfaNotEnrolled(DomainError):
    """No confirmed authenticator (or, where it says so, no enrolment at all)."""

    reason = "MFA_NOT_ENROLLED"


class InvalidChallenge(DomainError):
    """The sign-in challenge is unknown, expired, used, void after too many wrong
    codes, or was withdrawn."""

    reason = "INVALID_CHALLENGE"


class InvalidSecondFactor(DomainError):
    """The TOTP or recovery code is wrong, already used, or replayed."""

    reason = "INVALID_SECOND_FACTOR"
class ConsentAlreadyGranted(DomainError):
    """The same version of consent for that purpose is already in force."""

    reason = "CONSENT_ALREADY_GRANTED"


class ConsentNotGranted(DomainError):
    """No consent for that purpose is in force, so there is nothing to withdraw."""

    reason = "CONSENT_NOT_GRANTED"
