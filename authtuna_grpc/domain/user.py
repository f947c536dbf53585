"""The user account and the rules its fields obey.

Normalisation rule (documented in docs/errors.md): emails and usernames are put in
Unicode NFKC form, then must be plain ASCII of the allowed characters — so full-width
or compatibility look-alikes fold to ASCII and anything else (whitespace, invisible or
control characters, other scripts) is rejected, never silently stripped. Uniqueness and
lookups use the case-folded form (`identity_key`).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput, WeakPassword

EMAIL_MAX_LENGTH = 254
EMAIL_LOCAL_MAX_LENGTH = 64
USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 32
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
ATTRIBUTES_MAX_ENTRIES = 64
ATTRIBUTE_KEY_MAX_LENGTH = 64
ATTRIBUTE_VALUE_MAX_LENGTH = 1024

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_.:-]+")


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    username: str
    has_password: bool
    is_active: bool
    email_verified: bool
    is_service_account: bool
    attributes: dict[str, str]
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    suspended_at: datetime | None
    suspension_reason: str | None
    version: int

    @property
    def etag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class NewUser:
    """A validated registration, before it has an id."""

    email: str
    username: str
    password: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    email_verified: bool = False
    is_service_account: bool = False


def identity_key(value: str) -> str:
    """The form used for uniqueness and lookup: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", value).casefold()


def email_problem(email: str) -> str | None:
    if not email:
        return "is required"
    if len(email) > EMAIL_MAX_LENGTH:
        return f"must be at most {EMAIL_MAX_LENGTH} characters"
    if not email.isascii():
        return "must contain only ASCII characters"
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return "must have the form local@domain"
    if len(local) > EMAIL_LOCAL_MAX_LENGTH:
        return f"local part must be at most {EMAIL_LOCAL_MAX_LENGTH} characters"
    if not _EMAIL_LOCAL.fullmatch(local):
        return "local part contains characters that are not allowed"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return "domain must be a dotted host name such as example.com"
    if labels[-1].isdigit():
        return "domain must end in a name, not a number"
    return None


def username_problem(username: str) -> str | None:
    if not username:
        return "is required"
    if not USERNAME_MIN_LENGTH <= len(username) <= USERNAME_MAX_LENGTH:
        return f"must be {USERNAME_MIN_LENGTH}-{USERNAME_MAX_LENGTH} characters"
    if not username.isascii() or not _USERNAME.fullmatch(username):
        return "may contain only letters, digits, '.', '_' and '-', starting with a letter or digit"
    return None


def lookup_problem(kind: Literal["email", "username"], value: str) -> str | None:
    """Why no account can have this email or username, or None. Lookups are held to
    the rules of the field, so what no account can have never reaches the database."""
    normal = unicodedata.normalize("NFKC", value)
    return email_problem(normal) if kind == "email" else username_problem(normal)


def check_lookup(kind: Literal["email", "username"], value: str, field: str) -> str:
    if problem := lookup_problem(kind, value):
        raise InvalidInput.field(field, problem)
    return value


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"must be at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"must be at most {PASSWORD_MAX_LENGTH} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        return "must not contain control characters (including NUL)"
    classes = {
        "lower": any(ch.islower() for ch in password),
        "upper": any(ch.isupper() for ch in password),
        "digit": any(ch.isdigit() for ch in password),
        "other": any(not ch.isalnum() for ch in password),
    }
    if sum(classes.values()) < 2:
        return "must mix at least two of: lower-case, upper-case, digits, other characters"
    return None


def attributes_problems(attributes: Mapping[str, str], field_name: str) -> list[FieldViolation]:
    if len(attributes) > ATTRIBUTES_MAX_ENTRIES:
        return [FieldViolation(field_name, f"must have at most {ATTRIBUTES_MAX_ENTRIES} entries")]
    problems = []
    for key, value in attributes.items():
        if len(key) > ATTRIBUTE_KEY_MAX_LENGTH or not _ATTRIBUTE_KEY.fullmatch(key):
            problems.append(
                FieldViolation(
                    f"{field_name}[{key[:ATTRIBUTE_KEY_MAX_LENGTH]!r}]",
                    f"key must be 1-{ATTRIBUTE_KEY_MAX_LENGTH} characters of [A-Za-z0-9_.:-]",
                )
            )
        elif len(value) > ATTRIBUTE_VALUE_MAX_LENGTH or "\x00" in value:
            problems.append(
                FieldViolation(
                    f"{field_name}[{key!r}]",
                    f"value must be at most {ATTRIBUTE_VALUE_MAX_LENGTH} characters without NUL",
                )
            )
    return problems


def check_password(password: str, field_name: str = "password") -> None:
    problem = password_problem(password)
    if problem:
        raise WeakPassword.of([FieldViolation(field_name, problem)])


def new_user(
    *,
    email: str,
    username: str,
    password: str | None,
    attributes: Mapping[str, str],
    email_verified: bool = False,
    is_service_account: bool = False,
) -> NewUser:
    """Normalise and validate a registration; raise InvalidInput naming every bad field."""
    email = unicodedata.normalize("NFKC", email)
    username = unicodedata.normalize("NFKC", username)
    violations = []
    if problem := email_problem(email):
        violations.append(FieldViolation("email", problem))
    if problem := username_problem(username):
        violations.append(FieldViolation("username", problem))
    violations.extend(attributes_problems(attributes, "attributes"))
    password_issue = password_problem(password) if password is not None else None
    if password_issue and not violations:
        raise WeakPassword.of([FieldViolation("password", password_issue)])
    if password_issue:
        violations.append(FieldViolation("password", password_issue))
    if violations:
        raise InvalidInput.of(violations)
    return NewUser(
        email=email,
        username=username,
        password=password,
        attributes=dict(attributes),
        email_verified=email_verified,
        is_service_account=is_service_account,
    )
