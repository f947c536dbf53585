"""Rules of suspension and deletion: the reasons given, and the archive record."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.user import User

REASON_MAX_LENGTH = 500
_ALLOWED_CONTROLS = frozenset("\n\t")

# The role whose last active holder may be neither suspended nor deleted.
ADMIN_ROLE = "Admin"


def required_reason(reason: str, field: str) -> str:
    """A reason that must be given (suspension), kept exactly as given."""
    if not reason:
        raise InvalidInput.field(field, "is required")
    return _checked(reason, field)


def optional_reason(reason: str, field: str) -> str | None:
    """A reason that may be left empty (deletion): None when empty."""
    return _checked(reason, field) if reason else None


def _checked(reason: str, field: str) -> str:
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput.field(field, f"must be at most {REASON_MAX_LENGTH} characters")
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in reason):
        raise InvalidInput.field(field, "must not contain control characters other than newline and tab")
    if not reason.strip():
        raise InvalidInput.field(field, "must not be blank")
    return reason


@dataclass(frozen=True)
class DeletedUser:
    """The archived profile of a deleted user. There is deliberately no password field."""

    id: uuid.UUID
    email: str
    username: str
    is_service_account: bool
    email_verified: bool
    attributes: dict[str, str]
    created_at: datetime
    last_login_at: datetime | None
    suspended_at: datetime | None
    suspension_reason: str | None
    deleted_at: datetime
    deleted_by: uuid.UUID | None
    reason: str | None

    @classmethod
    def archive(
        cls, user: User, *, deleted_at: datetime, deleted_by: uuid.UUID | None, reason: str | None
    ) -> DeletedUser:
        return cls(
            id=user.id,
            email=user.email,
            username=user.username,
            is_service_account=user.is_service_account,
            email_verified=user.email_verified,
            attributes=dict(user.attributes),
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            suspended_at=user.suspended_at,
            suspension_reason=user.suspension_reason,
            deleted_at=deleted_at,
            deleted_by=deleted_by,
            reason=reason,
        )
