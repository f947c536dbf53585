"""Audit events: one for every change, written in the change's transaction."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from authtuna_grpc.domain.caller import Caller


class EventType(enum.StrEnum):
    USER_CREATED = "USER_CREATED"
    API_TOKEN_CREATED = "API_TOKEN_CREATED"
    API_TOKEN_REVOKED = "API_TOKEN_REVOKED"
    ROLE_CREATED = "ROLE_CREATED"
    ROLE_DELETED = "ROLE_DELETED"
    ROLE_ASSIGNED = "ROLE_ASSIGNED"
    USER_UPDATED = "USER_UPDATED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    USER_SUSPENDED = "USER_SUSPENDED"
    USER_UNSUSPENDED = "USER_UNSUSPENDED"
    USER_DELETED = "USER_DELETED"
    ROLE_REVOKED = "ROLE_REVOKED"
    SERVICE_IDENTITY_BOUND = "SERVICE_IDENTITY_BOUND"
    SERVICE_IDENTITY_UNBOUND = "SERVICE_IDENTITY_UNBOUND"
    LOGIN_SUCCESS = "LOGIN_SUCCESS"
    LOGIN_FAILED = "LOGIN_FAILED"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    IP_ADDRESS_LOCKED = "IP_ADDRESS_LOCKED"
    SIGN_IN_LOCK_CLEARED = "SIGN_IN_LOCK_CLEARED"
    SESSION_REVOKED = "SESSION_REVOKED"
    SESSIONS_REVOKED_ALL = "SESSIONS_REVOKED_ALL"
    MFA_ENROLLMENT_STARTED = "MFA_ENROLLMENT_STARTED"
    MFA_ENROLLED = "MFA_ENROLLED"
    MFA_DISABLED = "MFA_DISABLED"
    MFA_CHALLENGE_ISSUED = "MFA_CHALLENGE_ISSUED"
    MFA_CHALLENGE_FAILED = "MFA_CHALLENGE_FAILED"
    RECOVERY_CODE_USED = "RECOVERY_CODE_USED"
    RECOVERY_CODES_REGENERATED = "RECOVERY_CODES_REGENERATED"
    MFA_SECRETS_RESEALED = "MFA_SECRETS_RESEALED"
    USER_IMPORTED = "USER_IMPORTED"
    USER_DATA_EXPORTED = "USER_DATA_EXPORTED"
    CONSENT_GRANTED = "CONSENT_GRANTED"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    AUDIT_EVENTS_PURGED = "AUDIT_EVENTS_PURGED"
    DELETED_USERS_PURGED = "DELETED_USERS_PURGED"


@dataclass(frozen=True)
class AuditEvent:
    event_type: EventType
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    ip_address: str | None
    request_id: str
    occurred_at: datetime
    details: dict[str, str] = field(default_factory=dict)

    @classmethod
    def by(
        cls,
        caller: Caller,
        event_type: EventType,
        user_id: uuid.UUID | None,
        occurred_at: datetime,
        details: dict[str, str] | None = None,
    ) -> AuditEvent:
        return cls(
            event_type=event_type,
            user_id=user_id,
            actor_id=caller.user_id,
            ip_address=caller.ip_address,
            request_id=caller.request_id,
            occurred_at=occurred_at,
            details=dict(details or {}),
        )
