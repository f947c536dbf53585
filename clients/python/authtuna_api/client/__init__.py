"""Clients for authtuna-grpc: `AuthTunaClient` (blocking) and `AsyncAuthTunaClient` (asyncio).

Hand-written; the generated messages and stubs live in `authtuna_api.user.v1`.
"""

from authtuna_api.client.async_client import AsyncAuthTunaClient
from authtuna_api.client.channels import READ_METHODS, TlsConfig
from authtuna_api.client.errors import (
    Aborted,
    AlreadyExists,
    AuthTunaError,
    Cancelled,
    DeadlineExceeded,
    EmailAlreadyRegistered,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    InvalidCredentials,
    InvalidPageToken,
    MissingCredentials,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    UserNotFound,
    UsernameAlreadyTaken,
    WeakPassword,
    error_from_rpc,
)
from authtuna_api.client.streams import aflatten, flatten
from authtuna_api.client.sync_client import AuthTunaClient
from authtuna_api.client.timeouts import DEFAULT

__all__ = [
    "DEFAULT",
    "READ_METHODS",
    "Aborted",
    "AlreadyExists",
    "AsyncAuthTunaClient",
    "AuthTunaClient",
    "AuthTunaError",
    "Cancelled",
    "DeadlineExceeded",
    "EmailAlreadyRegistered",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "InvalidCredentials",
    "InvalidPageToken",
    "MissingCredentials",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "TlsConfig",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "UserNotFound",
    "UsernameAlreadyTaken",
    "WeakPassword",
    "aflatten",
    "error_from_rpc",
    "flatten",
]
