"""Typed exceptions for failed calls, chosen by the `google.rpc.ErrorInfo` reason.

Every failure raises a subclass of `AuthTunaError` carrying the gRPC code, the stable
reason, the message, the ErrorInfo metadata and the `BadRequest` field violations.
A reason this client does not know yet (a newer server) falls back to the class of
its gRPC code, so `except NotFound` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid request field: `field` is its proto name (`attributes['key']` for map entries)."""

    field: str
    description: str


class AuthTunaError(Exception):
    """A failed call. `reason` is the ErrorInfo reason ("" when the server sent none)."""

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode = grpc.StatusCode.UNKNOWN,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: tuple[FieldViolation, ...] = tuple(field_violations)

    def __str__(self) -> str:
        label = f"{self.code.name} {self.reason}" if self.reason else self.code.name
        return f"{label}: {self.message}"


# Classes by gRPC code: the fallback for reasons this client does not know.
class Cancelled(AuthTunaError): ...
class InvalidArgument(AuthTunaError): ...
class DeadlineExceeded(AuthTunaError): ...
class NotFound(AuthTunaError): ...
class AlreadyExists(AuthTunaError): ...
class PermissionDenied(AuthTunaError): ...
class ResourceExhausted(AuthTunaError): ...
class FailedPrecondition(AuthTunaError): ...
class Aborted(AuthTunaError): ...
class Unimplemented(AuthTunaError): ...
class Internal(AuthTunaError): ...
class Unavailable(AuthTunaError): ...
class Unauthenticated(AuthTunaError): ...


# Classes by reason (docs/errors.md lists them all).
class WeakPassword(InvalidArgument):
    """The password breaks the strength rules; the field violation says which."""


class InvalidPageToken(InvalidArgument):
    """`page_token` was not issued by this service (or is from an old listing)."""


class UserNotFound(NotFound):
    """No user has that id, email or username."""


class EmailAlreadyRegistered(AlreadyExists):
    """The email is taken (compared case-insensitively)."""


class UsernameAlreadyTaken(AlreadyExists):
    """The username is taken (compared case-insensitively)."""


class MissingCredentials(Unauthenticated):
    """The call had no `authorization: Bearer <token>`."""


class InvalidCredentials(Unauthenticated):
    """The token is unknown, expired or revoked, or its owner is suspended."""


class DeletedUserNotFound(NotFound):
    """No archived user has that id."""


class StaleEtag(Aborted):
    """The user changed since the etag was read: read it again and retry."""


class UserAlreadySuspended(FailedPrecondition):
    """The user is suspended already."""


class UserNotSuspended(FailedPrecondition):
    """The user is not suspended."""


class CannotSuspendSelf(FailedPrecondition):
    """A caller cannot suspend their own account."""


class CannotDeleteSelf(FailedPrecondition):
    """A caller cannot delete their own account."""


class LastAdmin(FailedPrecondition):
    """The change would leave no active Admin."""


class PrivilegeEscalation(PermissionDenied):
    """The caller cannot grant what they do not hold."""


class RoleNotFound(NotFound):
    """No role has that name."""


class RoleAlreadyExists(AlreadyExists):
    """A role with that name exists (compared case-insensitively)."""


class BuiltinRoleProtected(FailedPrecondition):
    """Built-in roles cannot be deleted."""


class RoleInUse(FailedPrecondition):
    """The role is still assigned."""


class RoleAlreadyAssigned(AlreadyExists):
    """The user holds the role at that scope already."""


class AssignmentNotFound(NotFound):
    """The user does not hold the role at that scope."""


class ApiTokenNotFound(NotFound):
    """No API token has that id."""


class ApiTokenAlreadyRevoked(FailedPrecondition):
    """The API token is revoked already."""


class NotAServiceAccount(FailedPrecondition):
    """Only a service account can have this (e.g. a certificate identity)."""


class ServiceIdentityAlreadyBound(AlreadyExists):
    """The certificate identity is bound to an account already."""


class ServiceIdentityNotFound(NotFound):
    """No account is bound to that certificate identity."""


class InvalidSignIn(Unauthenticated):
    """Wrong identity or password (deliberately not saying which)."""


class UserSuspended(FailedPrecondition):
    """The account is suspended."""


class SignInLocked(ResourceExhausted):
    """Too many failed sign-ins: locked for a while (see the metadata)."""


class SignInRateLimited(ResourceExhausted):
    """Too many sign-in attempts from this address: slow down."""


class InvalidSession(Unauthenticated):
    """The session token is unknown, expired or revoked."""


class SessionNotFound(NotFound):
    """No session has that id."""


class DatabaseUnavailable(Unavailable):
    """The server cannot reach its database right now; retry after the RetryInfo delay."""


class ConsentAlreadyGranted(AlreadyExists):
    """That version of consent for the purpose is already in force."""


class ConsentNotGranted(FailedPrecondition):
    """No consent for the purpose is in force."""


class MfaNotConfigured(FailedPrecondition):
    """The server has no key to protect second-factor secrets."""


class MfaAlreadyEnrolled(FailedPrecondition):
    """The user has a confirmed second factor already."""


class MfaNotEnrolled(FailedPrecondition):
    """The user has no (pending) second factor."""


class InvalidChallenge(Unauthenticated):
    """The sign-in challenge is unknown, used, expired or void."""


class InvalidSecondFactor(Unauthenticated):
    """The TOTP or recovery code is wrong (or was used)."""

BY_CODE: dict[grpc.StatusCode, type[AuthTunaError]] = {
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.INTERNAL: Internal,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
}

# The server's reasons (ErrorInfo domain "authtuna"); add a row with each new reason.
BY_REASON: dict[str, type[AuthTunaError]] = {
    "INVALID_ARGUMENT": InvalidArgument,
    "WEAK_PASSWORD": WeakPassword,
    "INVALID_PAGE_TOKEN": InvalidPageToken,
    "USER_NOT_FOUND": UserNotFound,
    "EMAIL_ALREADY_REGISTERED": EmailAlreadyRegistered,
    "USERNAME_ALREADY_TAKEN": UsernameAlreadyTaken,
    "MISSING_CREDENTIALS": MissingCredentials,
    "INVALID_CREDENTIALS": InvalidCredentials,
    "PERMISSION_DENIED": PermissionDenied,
    "INTERNAL": Internal,
    "DELETED_USER_NOT_FOUND": DeletedUserNotFound,
    "STALE_ETAG": StaleEtag,
    "USER_ALREADY_SUSPENDED": UserAlreadySuspended,
    "USER_NOT_SUSPENDED": UserNotSuspended,
    "CANNOT_SUSPEND_SELF": CannotSuspendSelf,
    "CANNOT_DELETE_SELF": CannotDeleteSelf,
    "LAST_ADMIN": LastAdmin,
    "PRIVILEGE_ESCALATION": PrivilegeEscalation,
    "ROLE_NOT_FOUND": RoleNotFound,
    "ROLE_ALREADY_EXISTS": RoleAlreadyExists,
    "BUILTIN_ROLE_PROTECTED": BuiltinRoleProtected,
    "ROLE_IN_USE": RoleInUse,
    "ROLE_ALREADY_ASSIGNED": RoleAlreadyAssigned,
    "ASSIGNMENT_NOT_FOUND": AssignmentNotFound,
    "API_TOKEN_NOT_FOUND": ApiTokenNotFound,
    "API_TOKEN_ALREADY_REVOKED": ApiTokenAlreadyRevoked,
    "NOT_A_SERVICE_ACCOUNT": NotAServiceAccount,
    "SERVICE_IDENTITY_ALREADY_BOUND": ServiceIdentityAlreadyBound,
    "SERVICE_IDENTITY_NOT_FOUND": ServiceIdentityNotFound,
    "INVALID_SIGN_IN": InvalidSignIn,
    "USER_SUSPENDED": UserSuspended,
    "SIGN_IN_LOCKED": SignInLocked,
    "SIGN_IN_RATE_LIMITED": SignInRateLimited,
    "INVALID_SESSION": InvalidSession,
    "SESSION_NOT_FOUND": SessionNotFound,
    "MFA_NOT_CONFIGURED": MfaNotConfigured,
    "MFA_ALREADY_ENROLLED": MfaAlreadyEnrolled,
    "MFA_NOT_ENROLLED": MfaNotEnrolled,
    "INVALID_CHALLENGE": InvalidChallenge,
    "INVALID_SECOND_FACTOR": InvalidSecondFactor,
    "CONSENT_ALREADY_GRANTED": ConsentAlreadyGranted,
    "CONSENT_NOT_GRANTED": ConsentNotGranted,
    "DATABASE_UNAVAILABLE": DatabaseUnavailable,
}


def _status_details(error: Any) -> status_pb2.Status:
    status = status_pb2.Status()
    trailers = error.trailing_metadata() if callable(getattr(error, "trailing_metadata", None)) else None
    for key, value in trailers or ():
        if key == DETAILS_KEY and isinstance(value, bytes):
            status.MergeFromString(value)
    return status


def error_from_rpc(error: grpc.RpcError) -> AuthTunaError:
    """The typed exception for a failed call (a `grpc.RpcError` that is also a `grpc.Call`)."""
    code = error.code() if callable(getattr(error, "code", None)) else grpc.StatusCode.UNKNOWN
    message = (error.details() if callable(getattr(error, "details", None)) else None) or ""
    info = error_details_pb2.ErrorInfo()
    violations: list[FieldViolation] = []
    for detail in _status_details(error).details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
    cls = BY_REASON.get(info.reason) or BY_CODE.get(code, AuthTunaError)
    if not issubclass(cls, BY_CODE.get(code, AuthTunaError)):
        cls = BY_CODE.get(code, AuthTunaError)  # a reason sent with an unexpected code
    return cls(
        message,
        code=code,
        reason=info.reason,
        domain=info.domain,
        metadata=dict(info.metadata),
        field_violations=violations,
    )
