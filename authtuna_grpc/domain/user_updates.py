"""UpdateUser's rules: which fields a mask may name, their values, the etag, the record.

Values are read only for the fields the mask names, so a client may send a whole User
it read earlier and name just what it changed. Nothing named is silently dropped: a
protected or unknown path fails the whole update.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput
from authtuna_grpc.domain.user import (
    User,
    attributes_problems,
    email_problem,
    identity_key,
    username_problem,
)

UPDATABLE_FIELDS = ("username", "email", "email_verified", "attributes", "last_login_at")

# User fields that exist but UpdateUser never changes, with where to go instead.
PROTECTED_FIELDS: dict[str, str] = {
    "id": "is assigned by the server and never changes",
    "password": "cannot be changed here; use SetPassword",
    "password_hash": "cannot be changed here; use SetPassword",
    "has_password": "cannot be changed here; use SetPassword",
    "is_active": "cannot be changed here; use SuspendUser or UnsuspendUser",
    "suspended_at": "cannot be changed here; use SuspendUser or UnsuspendUser",
    "suspension_reason": "cannot be changed here; use SuspendUser or UnsuspendUser",
    "is_service_account": "is fixed when the account is created",
    "created_at": "is set by the server",
    "updated_at": "is set by the server",
    "etag": "is set by the server; send the current one in etag",
}

# A sign-in time may come from a clock slightly ahead of ours, but not from the future.
LAST_LOGIN_CLOCK_SKEW = timedelta(minutes=5)

MASK_FIELD = "update_mask"
MASK_PATHS_MAX = 16
VALUE_FIELD = "user"

_ETAG = re.compile(r"v([1-9][0-9]{0,9})")


@dataclass(frozen=True)
class UserUpdate:
    """New values for the fields the mask names; the other attributes are ignored."""

    fields: frozenset[str]
    username: str = ""
    email: str = ""
    email_verified: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    last_login_at: datetime | None = None


def mask_problems(paths: Sequence[str]) -> list[FieldViolation]:
    if not paths:
        return [FieldViolation(MASK_FIELD, f"must name at least one of: {', '.join(UPDATABLE_FIELDS)}")]
    if len(paths) > MASK_PATHS_MAX:
        return [FieldViolation(f"{MASK_FIELD}.paths", f"must have at most {MASK_PATHS_MAX} entries")]
    problems = []
    for index, path in enumerate(paths):
        name = f"{MASK_FIELD}.paths[{index}]"
        if path in PROTECTED_FIELDS:
            problems.append(FieldViolation(name, f"{path!r} {PROTECTED_FIELDS[path]}"))
        elif path not in UPDATABLE_FIELDS:
            problems.append(
                FieldViolation(
                    name, f"unknown field {path[:64]!r}; updatable: {', '.join(UPDATABLE_FIELDS)}"
                )
            )
    return problems


def user_update(
    *,
    paths: Sequence[str],
    username: str,
    email: str,
    email_verified: bool,
    attributes: Mapping[str, str],
    last_login_at: datetime | None,
) -> UserUpdate:
    """Validate a mask and the values it names; raise InvalidInput naming every problem."""
    violations = mask_problems(paths)
    fields = frozenset(paths) & frozenset(UPDATABLE_FIELDS)
    username = unicodedata.normalize("NFKC", username)
    email = unicodedata.normalize("NFKC", email)
    if "username" in fields and (problem := username_problem(username)):
        violations.append(FieldViolation(f"{VALUE_FIELD}.username", problem))
    if "email" in fields and (problem := email_problem(email)):
        violations.append(FieldViolation(f"{VALUE_FIELD}.email", problem))
    if "attributes" in fields:
        violations.extend(attributes_problems(attributes, f"{VALUE_FIELD}.attributes"))
    if violations:
        raise InvalidInput.of(violations)
    return UserUpdate(
        fields=fields,
        username=username,
        email=email,
        email_verified=email_verified,
        attributes=dict(attributes),
        last_login_at=last_login_at,
    )


def check_timing(update: UserUpdate, now: datetime) -> None:
    when = update.last_login_at
    if "last_login_at" in update.fields and when is not None and when > now + LAST_LOGIN_CLOCK_SKEW:
        raise InvalidInput.field(f"{VALUE_FIELD}.last_login_at", "must not be in the future")


def expected_version(etag: str) -> int:
    """The version an etag names (see User.etag)."""
    if not etag:
        raise InvalidInput.field("etag", "is required: send the etag of the user as last read")
    match = _ETAG.fullmatch(etag)
    if match is None:
        raise InvalidInput.field("etag", "is not an etag returned by this service")
    return int(match.group(1))


def apply_update(current: User, update: UserUpdate) -> User:
    """The user as the update leaves it. A new email address is unverified unless the
    update also says whether it is verified."""
    named = update.fields
    email = update.email if "email" in named else current.email
    verified = update.email_verified if "email_verified" in named else current.email_verified
    if "email_verified" not in named and identity_key(email) != identity_key(current.email):
        verified = False
    return replace(
        current,
        username=update.username if "username" in named else current.username,
        email=email,
        email_verified=verified,
        attributes=update.attributes if "attributes" in named else current.attributes,
        last_login_at=update.last_login_at if "last_login_at" in named else current.last_login_at,
    )


def changed_fields(before: User, after: User) -> list[str]:
    return [name for name in UPDATABLE_FIELDS if getattr(before, name) != getattr(after, name)]


def change_details(before: User, after: User) -> dict[str, str]:
    """USER_UPDATED details: the changed fields, and each one's old and new value."""
    changed = changed_fields(before, after)
    details = {"changed_fields": ",".join(changed)}
    for name in changed:
        details[f"{name}.old"] = _as_text(getattr(before, name))
        details[f"{name}.new"] = _as_text(getattr(after, name))
    return details


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)
