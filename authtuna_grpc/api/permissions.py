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
    f"{USER_SERVICE}/UpdateUser": Permission.USERS_UPDATE,
    f"{USER_SERVICE}/SetPassword": Permission.USERS_SET_PASSWORD,
    f"{USER_SERVICE}/SuspendUser": Permission.USERS_SUSPEND,
    f"{USER_SERVICE}/UnsuspendUser": Permission.USERS_SUSPEND,
    f"{USER_SERVICE}/DeleteUser": Permission.USERS_DELETE,
    # The archive keeps deleted users' personal data: readable by those who may delete.
    f"{USER_SERVICE}/GetDeletedUser": Permission.USERS_DELETE,
}


def is_open(method: str) -> bool:
    return method.startswith(OPEN_SERVICE_PREFIXES)
