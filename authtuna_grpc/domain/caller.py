"""Who is calling: established once at the edge, passed explicitly to use cases."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class Permission(enum.StrEnum):
    USERS_READ = "users.read"
    USERS_READ_BASIC = "users.read_basic"
    USERS_CREATE = "users.create"
    USERS_UPDATE = "users.update"
    USERS_SET_PASSWORD = "users.set_password"
    USERS_SUSPEND = "users.suspend"
    USERS_DELETE = "users.delete"
    USERS_EXPORT = "users.export"
    USERS_IMPORT = "users.import"
    AUDIT_READ = "audit.read"
    ROLES_MANAGE = "roles.manage"
    TOKENS_MANAGE = "tokens.manage"
    SESSIONS_SIGN_IN = "sessions.sign_in"
    SESSIONS_VALIDATE = "sessions.validate"
    SESSIONS_MANAGE = "sessions.manage"
    MFA_ENROLL = "mfa.enroll"
    MFA_RESET = "mfa.reset"
    CONSENTS_MANAGE = "consents.manage"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller, with the network facts recorded in audit events."""

    user_id: uuid.UUID | None
    permissions: frozenset[str]
    ip_address: str | None
    request_id: str

    def has(self, permission: Permission) -> bool:
        return permission.value in self.permissions


SYSTEM_REQUEST_ID = "system"


def system_caller() -> Caller:
    """The service itself, for work no remote caller asked for (bootstrap)."""
    return Caller(
        user_id=None,
        permissions=frozenset(p.value for p in Permission),
        ip_address=None,
        request_id=SYSTEM_REQUEST_ID,
    )
