"""Which permission each RPC needs: one declarative table, kept exhaustive by a test."""

from __future__ import annotations

from authtuna_grpc.domain.caller import Permission

USER_SERVICE = "/authtuna_api.user.v1.UserService"

# Services anyone may call without a token: health probes and reflection for grpcurl.
OPEN_SERVICE_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
)

REQUIRED_PERMISSION: dict[str, Permission] = {
    f"{USER_SERVICE}/CreateUser": Permission.USERS_CREATE,
    f"{USER_SERVICE}/GetUser": Permission.USERS_READ,
    f"{USER_SERVICE}/ListUsers": Permission.USERS_READ,
    f"{USER_SERVICE}/SearchUsers": Permission.USERS_READ,
    f"{USER_SERVICE}/BasicSearchUsers": Permission.USERS_READ_BASIC,
    f"{USER_SERVICE}/ListAuditEvents": Permission.AUDIT_READ,
    f"{USER_SERVICE}/WatchAuditEvents": Permission.AUDIT_READ,
}


def is_open(method: str) -> bool:
    return method.startswith(OPEN_SERVICE_PREFIXES)
