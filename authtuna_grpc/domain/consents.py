"""Consent records: what a user agreed to, when, and when it stopped.

A record is never overwritten. Granting creates a record; withdrawing ends the record in
force (sets `withdrawn_at`); granting another version for the same purpose ends the
record in force the same way and names its successor. At most one record per user and
purpose is in force, which the database enforces too (a partial unique index).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput

PURPOSE_MAX_LENGTH = 64
VERSION_MAX_LENGTH = 64

_PURPOSE = re.compile(r"[a-z0-9][a-z0-9._:-]*")
_VERSION = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class Consent:
    id: uuid.UUID
    user_id: uuid.UUID
    purpose: str
    version: str
    granted_at: datetime
    granted_by: uuid.UUID | None
    granted_ip_address: str | None
    withdrawn_at: datetime | None = None
    withdrawn_by: uuid.UUID | None = None
    withdrawn_ip_address: str | None = None
    superseded_by: uuid.UUID | None = None

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


@dataclass(frozen=True)
class ConsentGrant:
    """A validated grant request."""

    purpose: str
    version: str


def purpose_problem(purpose: str) -> str | None:
    if not purpose:
        return "is required"
    if len(purpose) > PURPOSE_MAX_LENGTH or not _PURPOSE.fullmatch(purpose):
        return (
            f"must be 1-{PURPOSE_MAX_LENGTH} characters of lower-case letters, digits, "
            "'.', '_', ':' and '-', starting with a letter or digit"
        )
    return None


def checked_purpose(purpose: str, field: str = "purpose") -> str:
    if problem := purpose_problem(purpose):
        raise InvalidInput.field(field, problem)
    return purpose


def consent_grant(purpose: str, version: str) -> ConsentGrant:
    violations = []
    if problem := purpose_problem(purpose):
        violations.append(FieldViolation("purpose", problem))
    if not version:
        violations.append(FieldViolation("version", "is required"))
    elif len(version) > VERSION_MAX_LENGTH or not _VERSION.fullmatch(version):
        violations.append(
            FieldViolation(
                "version", f"must be 1-{VERSION_MAX_LENGTH} printable ASCII characters without spaces"
            )
        )
    if violations:
        raise InvalidInput.of(violations)
    return ConsentGrant(purpose=purpose, version=version)
