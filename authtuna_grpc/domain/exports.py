"""The parts of a user data export, in the order they are sent.

None of them can hold a secret: sessions and tokens are their metadata types, which
have no token or digest field; the profile is a `User`, which has no password hash.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.audit_chain import ChainedEvent
from authtuna_grpc.domain.consents import Consent
from authtuna_grpc.domain.credentials import ApiToken
from authtuna_grpc.domain.roles import RoleAssignment
from authtuna_grpc.domain.sessions import Session
from authtuna_grpc.domain.user import User

# Items per page read (and per batch sent, before the API layer splits by size).
EXPORT_PAGE_SIZE = 500


@dataclass(frozen=True)
class SessionRecord:
    """A stored session, live or not."""

    session: Session
    revoked_at: datetime | None


class AuditRelation(enum.Enum):
    SUBJECT = "subject"  # about the user
    ACTOR = "actor"  # caused by the user, about someone or something else


@dataclass(frozen=True)
class RoleAssignmentBatch:
    items: list[RoleAssignment]


@dataclass(frozen=True)
class SessionBatch:
    items: list[SessionRecord]


@dataclass(frozen=True)
class ApiTokenBatch:
    items: list[ApiToken]


@dataclass(frozen=True)
class ConsentBatch:
    items: list[Consent]


@dataclass(frozen=True)
class AuditEventBatch:
    relation: AuditRelation
    items: list[ChainedEvent]


@dataclass(frozen=True)
class ExportSummary:
    user_id: uuid.UUID
    exported_at: datetime
    role_assignments: int
    sessions: int
    api_tokens: int
    consents: int
    subject_audit_events: int
    actor_audit_events: int


ExportPart = (
    User
    | RoleAssignmentBatch
    | SessionBatch
    | ApiTokenBatch
    | ConsentBatch
    | AuditEventBatch
    | ExportSummary
)
