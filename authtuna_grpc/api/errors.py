"""The one table from domain errors to gRPC status codes, and the rich status it builds."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from authtuna_grpc.domain import errors

ERROR_DOMAIN = "authtuna"

STATUS_CODES: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    errors.WeakPassword: grpc.StatusCode.INVALID_ARGUMENT,
    errors.InvalidPageToken: grpc.StatusCode.INVALID_ARGUMENT,
    errors.UserNotFound: grpc.StatusCode.NOT_FOUND,
    errors.StorageUnavailable: grpc.StatusCode.UNAVAILABLE,
    errors.EmailAlreadyRegistered: grpc.StatusCode.ALREADY_EXISTS,
    errors.UsernameAlreadyTaken: grpc.StatusCode.ALREADY_EXISTS,
    errors.MissingCredentials: grpc.StatusCode.UNAUTHENTICATED,
    errors.InvalidCredentials: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionMissing: grpc.StatusCode.PERMISSION_DENIED,
    errors.DeletedUserNotFound: grpc.StatusCode.NOT_FOUND,
    errors.StaleEtag: grpc.StatusCode.ABORTED,
    errors.UserAlreadySuspended: grpc.StatusCode.FAILED_PRECONDITION,
    errors.UserNotSuspended: grpc.StatusCode.FAILED_PRECONDITION,
    errors.CannotSuspendSelf: grpc.StatusCode.FAILED_PRECONDITION,
    errors.CannotDeleteSelf: grpc.StatusCode.FAILED_PRECONDITION,
    errors.LastAdmin: grpc.StatusCode.FAILED_PRECONDITION,
    errors.PrivilegeEscalation: grpc.StatusCode.PERMISSION_DENIED,
    errors.RoleNotFound: grpc.StatusCode.NOT_FOUND,
    errors.RoleAlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.BuiltinRoleProtected: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RoleInUse: grpc.StatusCode.FAILED_PRECONDITION,
    errors.RoleAlreadyAssigned: grpc.StatusCode.ALREADY_EXISTS,
    errors.AssignmentNotFound: grpc.StatusCode.NOT_FOUND,
    errors.ApiTokenNotFound: grpc.StatusCode.NOT_FOUND,
    errors.ApiTokenAlreadyRevoked: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NotAServiceAccount: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ServiceIdentityAlreadyBound: grpc.StatusCode.ALREADY_EXISTS,
    errors.ServiceIdentityNotFound: grpc.StatusCode.NOT_FOUND,
    errors.InvalidSignIn: grpc.StatusCode.UNAUTHENTICATED,
    errors.UserSuspended: grpc.StatusCode.FAILED_PRECONDITION,
    errors.SignInLocked: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.SignInRateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.InvalidSession: grpc.StatusCode.UNAUTHENTICATED,
    errors.SessionNotFound: grpc.StatusCode.NOT_FOUND,
    errors.MfaNotConfigured: grpc.StatusCode.FAILED_PRECONDITION,
    errors.MfaAlreadyEnrolled: grpc.StatusCode.FAILED_PRECONDITION,
    errors.MfaNotEnrolled: grpc.StatusCode.FAILED_PRECONDITION,
    errors.InvalidChallenge: grpc.StatusCode.UNAUTHENTICATED,
    errors.InvalidSecondFactor: grpc.StatusCode.UNAUTHENTICATED,
    errors.ConsentAlreadyGranted: grpc.StatusCode.ALREADY_EXISTS,
    errors.ConsentNotGranted: grpc.StatusCode.FAILED_PRECONDITION,
}


def status_code_of(error: errors.DomainError) -> grpc.StatusCode:
    return STATUS_CODES[type(error)]


def to_status(error: errors.DomainError) -> status_pb2.Status:
    code = status_code_of(error)
    details = [
        error_details_pb2.ErrorInfo(
            reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
        )
    ]
    if error.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in error.violations
                ]
            )
        )
    if error.retry_delay is not None:
        delay = duration_pb2.Duration()
        delay.FromTimedelta(error.retry_delay)
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    packed = []
    for detail in details:
        wrapper = any_pb2.Any()
        wrapper.Pack(detail)
        packed.append(wrapper)
    return status_pb2.Status(code=code.value[0], message=error.message, details=packed)


def internal_status() -> status_pb2.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN))
    return status_pb2.Status(
        code=code_pb2.INTERNAL, message="internal error; see the server log", details=[info]
    )
