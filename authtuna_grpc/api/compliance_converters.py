"""Compliance domain objects ↔ protobuf messages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from authtuna_api.user.v1 import compliance_pb2
from authtuna_api.user.v1 import compliance_service_pb2 as pb
from google.protobuf.message import Message

from authtuna_grpc.api.converters import (
    from_timestamp,
    to_proto_api_token,
    to_proto_assignment,
    to_proto_user,
    to_timestamp,
)
from authtuna_grpc.api.session_converters import to_proto_session
from authtuna_grpc.domain.audit_chain import ChainedEvent, ChainProblem
from authtuna_grpc.domain.consents import Consent
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.exports import (
    ApiTokenBatch,
    AuditEventBatch,
    AuditRelation,
    ConsentBatch,
    ExportPart,
    ExportSummary,
    RoleAssignmentBatch,
    SessionBatch,
    SessionRecord,
)
from authtuna_grpc.domain.imports import RawImportRow
from authtuna_grpc.domain.user import User
from authtuna_grpc.services.audit_verification import ChainReport
from authtuna_grpc.services.imports import Outcome, RowResult

# Batches are cut to stay well under gRPC's default 4 MiB message limit, however large
# the items (an audit event's details can hold a whole attribute map).
MAX_MESSAGE_BYTES = 1024 * 1024

_RELATIONS = {
    AuditRelation.SUBJECT: compliance_pb2.AUDIT_EVENT_RELATION_SUBJECT,
    AuditRelation.ACTOR: compliance_pb2.AUDIT_EVENT_RELATION_ACTOR,
}
_PROBLEMS = {
    ChainProblem.CONTENT_ALTERED: compliance_pb2.AUDIT_CHAIN_PROBLEM_CONTENT_ALTERED,
    ChainProblem.LINK_BROKEN: compliance_pb2.AUDIT_CHAIN_PROBLEM_LINK_BROKEN,
    ChainProblem.EVENT_MISSING: compliance_pb2.AUDIT_CHAIN_PROBLEM_EVENT_MISSING,
    ChainProblem.TAIL_MISSING: compliance_pb2.AUDIT_CHAIN_PROBLEM_TAIL_MISSING,
}
_OUTCOMES = {
    Outcome.IMPORTED: compliance_pb2.IMPORT_OUTCOME_IMPORTED,
    Outcome.VALID: compliance_pb2.IMPORT_OUTCOME_VALID,
    Outcome.REJECTED: compliance_pb2.IMPORT_OUTCOME_REJECTED,
}


def _set_time(message: Any, name: str, value: datetime | None) -> None:
    if value is not None:
        getattr(message, name).CopyFrom(to_timestamp(value))


def _id(value: object | None) -> str:
    return str(value) if value is not None else ""


def to_proto_consent(consent: Consent) -> compliance_pb2.Consent:
    message = compliance_pb2.Consent(
        id=str(consent.id),
        user_id=str(consent.user_id),
        purpose=consent.purpose,
        version=consent.version,
        granted_at=to_timestamp(consent.granted_at),
        granted_by=_id(consent.granted_by),
        granted_ip_address=consent.granted_ip_address or "",
        withdrawn_by=_id(consent.withdrawn_by),
        withdrawn_ip_address=consent.withdrawn_ip_address or "",
        superseded_by=_id(consent.superseded_by),
    )
    _set_time(message, "withdrawn_at", consent.withdrawn_at)
    return message


def to_proto_exported_event(event: ChainedEvent) -> compliance_pb2.ExportedAuditEvent:
    return compliance_pb2.ExportedAuditEvent(
        id=event.id,
        event_type=event.event_type,
        user_id=_id(event.user_id),
        actor_id=_id(event.actor_id),
        ip_address=event.ip_address or "",
        request_id=event.request_id,
        occurred_at=to_timestamp(event.occurred_at),
        details={key: str(value) for key, value in event.details.items()},
        chain_hash=event.chain_hash,
        previous_hash=event.previous_hash,
    )


def _to_proto_session_record(record: SessionRecord) -> compliance_pb2.ExportedSession:
    message = compliance_pb2.ExportedSession(session=to_proto_session(record.session))
    _set_time(message, "revoked_at", record.revoked_at)
    return message


def to_export_messages(part: ExportPart) -> Iterator[pb.ExportUserDataResponse]:
    """One message for the profile and the summary; a batch becomes as many messages as
    keep each under MAX_MESSAGE_BYTES."""
    if isinstance(part, User):
        yield pb.ExportUserDataResponse(profile=to_proto_user(part))
    elif isinstance(part, ExportSummary):
        yield pb.ExportUserDataResponse(summary=_to_proto_summary(part))
    elif isinstance(part, RoleAssignmentBatch):
        for assignments in _sized([to_proto_assignment(a) for a in part.items]):
            yield pb.ExportUserDataResponse(
                role_assignments=pb.ExportedRoleAssignments(role_assignments=assignments)
            )
    elif isinstance(part, SessionBatch):
        for sessions in _sized([_to_proto_session_record(s) for s in part.items]):
            yield pb.ExportUserDataResponse(sessions=pb.ExportedSessions(sessions=sessions))
    elif isinstance(part, ApiTokenBatch):
        for tokens in _sized([to_proto_api_token(t) for t in part.items]):
            yield pb.ExportUserDataResponse(api_tokens=pb.ExportedApiTokens(api_tokens=tokens))
    elif isinstance(part, ConsentBatch):
        for consents in _sized([to_proto_consent(c) for c in part.items]):
            yield pb.ExportUserDataResponse(consents=pb.ExportedConsents(consents=consents))
    else:
        yield from _audit_messages(part)


def _audit_messages(batch: AuditEventBatch) -> Iterator[pb.ExportUserDataResponse]:
    for events in _sized([to_proto_exported_event(e) for e in batch.items]):
        yield pb.ExportUserDataResponse(
            audit_events=pb.ExportedAuditEvents(relation=_RELATIONS[batch.relation], events=events)
        )


def _sized(items: Sequence[Message]) -> Iterator[list[Message]]:
    chunk: list[Message] = []
    size = 0
    for item in items:
        item_size = item.ByteSize() + 8  # with the field's tag and length
        if chunk and size + item_size > MAX_MESSAGE_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += item_size
    if chunk:
        yield chunk


def _to_proto_summary(summary: ExportSummary) -> pb.ExportSummary:
    return pb.ExportSummary(
        user_id=str(summary.user_id),
        exported_at=to_timestamp(summary.exported_at),
        role_assignments=summary.role_assignments,
        sessions=summary.sessions,
        api_tokens=summary.api_tokens,
        consents=summary.consents,
        subject_audit_events=summary.subject_audit_events,
        actor_audit_events=summary.actor_audit_events,
    )


def to_verify_response(report: ChainReport) -> pb.VerifyAuditLogResponse:
    message = pb.VerifyAuditLogResponse(
        intact=report.intact,
        events_verified=report.events_verified,
        first_event_id=report.first_event_id,
        last_event_id=report.last.event_id if report.events_verified else 0,
        last_chain_hash=report.last.chain_hash,
        anchor_event_id=report.anchor.event_id,
        anchor_hash=report.anchor.chain_hash,
    )
    if report.first_break is not None:
        message.first_break.CopyFrom(
            compliance_pb2.AuditChainBreak(
                event_id=report.first_break.event_id,
                problem=_PROBLEMS[report.first_break.problem],
                description=report.first_break.description,
            )
        )
    return message


def to_raw_import_row(user: compliance_pb2.ImportedUser) -> RawImportRow:
    created_at = None
    violations: tuple[Any, ...] = ()
    if user.HasField("created_at"):
        try:
            created_at = from_timestamp(user.created_at, "created_at")
        except InvalidInput as error:
            violations = error.violations
    return RawImportRow(
        email=user.email,
        username=user.username,
        password_hash=user.password_hash if user.HasField("password_hash") else None,
        email_verified=user.email_verified,
        attributes=dict(user.attributes),
        created_at=created_at,
        violations=violations,
    )


def to_proto_import_result(result: RowResult) -> compliance_pb2.ImportUserResult:
    message = compliance_pb2.ImportUserResult(
        row=result.row, outcome=_OUTCOMES[result.outcome], user_id=_id(result.user_id)
    )
    if result.error is not None:
        message.error.CopyFrom(
            compliance_pb2.ImportRowError(
                reason=result.error.reason,
                message=result.error.message,
                field_violations=[
                    compliance_pb2.ImportFieldViolation(field=v.field, description=v.description)
                    for v in result.error.violations
                ],
                metadata=result.error.metadata,
            )
        )
    return message
