"""Roles, the permissions they grant, and the scopes they are held at.

Role names are unique case-insensitively; scopes are matched exactly. Only roles held
at the global scope give permissions in this service: other scopes are data for the
services that call it (search by role and scope, their own authorization).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.caller import Caller, Permission
from authtuna_grpc.domain.errors import FieldViolation, InvalidInput, PrivilegeEscalation

GLOBAL_SCOPE = "global"
ROLE_NAME_MAX_LENGTH = 64
ROLE_DESCRIPTION_MAX_LENGTH = 1024
SCOPE_MAX_LENGTH = 128
ROLE_PERMISSIONS_MAX = 64

_ROLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
_SCOPE = re.compile(r"[a-z][a-z0-9_-]{0,31}:[A-Za-z0-9._~:/@+-]+")
_KNOWN_PERMISSIONS = frozenset(p.value for p in Permission)


@dataclass(frozen=True)
class Role:
    id: uuid.UUID
    name: str
    description: str
    permissions: frozenset[str]
    is_builtin: bool
    created_at: datetime


@dataclass(frozen=True)
class NewRole:
    """A validated custom role, before it has an id."""

    name: str
    description: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class RoleAssignment:
    id: uuid.UUID
    user_id: uuid.UUID
    role_id: uuid.UUID
    role_name: str
    scope: str
    granted_by: uuid.UUID | None
    granted_at: datetime


def role_key(name: str) -> str:
    """The form role names are unique and looked up by."""
    return name.casefold()


def role_name_problem(name: str) -> str | None:
    if not name:
        return "is required"
    if len(name) > ROLE_NAME_MAX_LENGTH:
        return f"must be at most {ROLE_NAME_MAX_LENGTH} characters"
    if not name.isascii() or not _ROLE_NAME.fullmatch(name):
        return "may contain only letters, digits, '.', '_' and '-', starting with a letter"
    return None


def check_role_name(name: str, field: str) -> str:
    if problem := role_name_problem(name):
        raise InvalidInput.field(field, problem)
    return name


def check_scope(scope: str, field: str) -> str:
    """A scope as given, or "global" for an empty one; malformed scopes are refused."""
    if not scope or scope == GLOBAL_SCOPE:
        return GLOBAL_SCOPE
    if len(scope) > SCOPE_MAX_LENGTH or not scope.isascii() or not _SCOPE.fullmatch(scope):
        raise InvalidInput.field(
            field,
            f"must be 'global' or '<kind>:<value>' (e.g. 'project:web-app'), "
            f"at most {SCOPE_MAX_LENGTH} characters",
        )
    return scope


def new_role(*, name: str, description: str, permissions: Iterable[str]) -> NewRole:
    """Validate a custom role; raise InvalidInput naming every bad field."""
    violations = []
    if problem := role_name_problem(name):
        violations.append(FieldViolation("name", problem))
    if len(description) > ROLE_DESCRIPTION_MAX_LENGTH or "\x00" in description:
        violations.append(
            FieldViolation(
                "description", f"must be at most {ROLE_DESCRIPTION_MAX_LENGTH} characters without NUL"
            )
        )
    granted = list(permissions)
    if len(granted) > ROLE_PERMISSIONS_MAX:
        violations.append(FieldViolation("permissions", f"must have at most {ROLE_PERMISSIONS_MAX} entries"))
        granted = []
    for index, permission in enumerate(granted):
        if permission not in _KNOWN_PERMISSIONS:
            violations.append(
                FieldViolation(f"permissions[{index}]", f"{permission[:64]!r} is not a known permission")
            )
    if violations:
        raise InvalidInput.of(violations)
    return NewRole(name=name, description=description, permissions=frozenset(granted))


def check_grantable(caller: Caller, permissions: Iterable[str]) -> None:
    """A caller may only hand out permissions it holds itself."""
    missing = sorted(set(permissions) - caller.permissions)
    if missing:
        raise PrivilegeEscalation(missing[0])
