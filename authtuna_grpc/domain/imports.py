"""Rows of a bulk import: the CreateUser rules, plus an existing password hash.

Hashes come in PHC string format. Only their form is checked here (a hash cannot be
checked without the password); their cost parameters are bounded, because the server
will run them at sign-in: an imported argon2 hash asking for 64 GiB, or a bcrypt hash
of cost 31, would otherwise be a way to stall or exhaust the server.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput
from authtuna_grpc.domain.user import NewUser, new_user

MAX_USERS_PER_REQUEST = 1000
PASSWORD_HASH_MAX_LENGTH = 512
ARGON2_MAX_MEMORY_KIB = 4 * 1024 * 1024
ARGON2_MAX_TIME_COST = 20
ARGON2_MAX_PARALLELISM = 16
BCRYPT_MIN_COST = 4
BCRYPT_MAX_COST = 16

_ARGON2 = re.compile(
    r"\$argon2(?P<variant>id|i|d)\$(?:v=(?:16|19)\$)?"
    r"m=(?P<m>\d{1,8}),t=(?P<t>\d{1,3}),p=(?P<p>\d{1,3})"
    r"\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{11,}"
)
_BCRYPT = re.compile(r"\$2[aby]\$(?P<cost>\d\d)\$[./A-Za-z0-9]{53}")


class HashScheme(enum.StrEnum):
    ARGON2ID = "argon2id"
    ARGON2I = "argon2i"
    ARGON2D = "argon2d"
    BCRYPT = "bcrypt"


@dataclass(frozen=True)
class ImportRow:
    """A validated row: the registration, its hash (if any) and when it was created."""

    registration: NewUser
    password_hash: str | None
    scheme: HashScheme | None
    created_at: datetime | None


def inspect_hash(value: str) -> tuple[str, HashScheme | None]:
    """("", scheme) for a well-formed PHC hash within bounds, else (problem, None)."""
    if len(value) > PASSWORD_HASH_MAX_LENGTH:
        return f"must be at most {PASSWORD_HASH_MAX_LENGTH} characters", None
    if match := _ARGON2.fullmatch(value):
        m, t, p = int(match["m"]), int(match["t"]), int(match["p"])
        if not (1 <= p <= ARGON2_MAX_PARALLELISM and 1 <= t <= ARGON2_MAX_TIME_COST):
            return (
                f"argon2 parameters out of range: t must be 1-{ARGON2_MAX_TIME_COST}, "
                f"p 1-{ARGON2_MAX_PARALLELISM}"
            ), None
        if not 8 * p <= m <= ARGON2_MAX_MEMORY_KIB:
            return f"argon2 memory m must be 8*p to {ARGON2_MAX_MEMORY_KIB} KiB", None
        return "", HashScheme("argon2" + match["variant"])
    if match := _BCRYPT.fullmatch(value):
        if not BCRYPT_MIN_COST <= int(match["cost"]) <= BCRYPT_MAX_COST:
            return f"bcrypt cost must be {BCRYPT_MIN_COST}-{BCRYPT_MAX_COST}", None
        return "", HashScheme.BCRYPT
    return (
        "must be a PHC string of argon2id, argon2i or argon2d "
        "($argon2id$v=19$m=…,t=…,p=…$salt$hash) or bcrypt ($2b$12$…)"
    ), None


@dataclass(frozen=True)
class RawImportRow:
    """A row as received; `violations` are problems found reading it off the wire."""

    email: str
    username: str
    password_hash: str | None
    email_verified: bool
    attributes: dict[str, str]
    created_at: datetime | None
    violations: tuple[FieldViolation, ...] = ()


def import_row(raw: RawImportRow, now: datetime) -> ImportRow:
    """Validate one row; raise InvalidInput naming every bad field."""
    violations = list(raw.violations)
    registration = None
    try:
        registration = new_user(
            email=raw.email,
            username=raw.username,
            password=None,
            attributes=raw.attributes,
            email_verified=raw.email_verified,
        )
    except InvalidInput as error:
        violations = list(error.violations) + violations
    scheme = None
    if raw.password_hash is not None:
        problem, scheme = inspect_hash(raw.password_hash)
        if scheme is None:
            violations.append(FieldViolation("password_hash", problem))
    if raw.created_at is not None and raw.created_at > now:
        violations.append(FieldViolation("created_at", "must not be in the future"))
    if violations or registration is None:
        raise InvalidInput.of(violations)
    return ImportRow(registration, raw.password_hash, scheme, raw.created_at)


def batch_size_problem(count: int) -> str | None:
    if count == 0:
        return "must hold at least one user"
    if count > MAX_USERS_PER_REQUEST:
        return f"must hold at most {MAX_USERS_PER_REQUEST} users per request"
    return None
