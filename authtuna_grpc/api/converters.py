"""Domain objects ↔ protobuf messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from authtuna_api.user.v1 import api_token_pb2, role_pb2, user_pb2
from google.protobuf import timestamp_pb2

from authtuna_grpc.domain.credentials import ApiToken
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.roles import Role, RoleAssignment
from authtuna_grpc.domain.user import User


def to_timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def parse_id(value: str, field: str, kind: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.field(field, f"must be {kind} id (UUID)") from None


def from_timestamp(stamp: timestamp_pb2.Timestamp, field: str) -> datetime:
    try:
        value: datetime = stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidInput.field(field, "is not a valid time (years 1-9999)") from None
    return value


def to_proto_user(user: User, role_assignments: Iterable[RoleAssignment] = ()) -> user_pb2.User:
    message = user_pb2.User(
        id=str(user.id),
        email=user.email,
        username=user.username,
        is_active=user.is_active,
        email_verified=user.email_verified,
        has_password=user.has_password,
        is_service_account=user.is_service_account,
        attributes=user.attributes,
        created_at=to_timestamp(user.created_at),
        updated_at=to_timestamp(user.updated_at),
        suspension_reason=user.suspension_reason or "",
        etag=user.etag,
        role_assignments=[to_proto_assignment(a) for a in role_assignments],
    )
    if user.last_login_at is not None:
        message.last_login_at.CopyFrom(to_timestamp(user.last_login_at))
    if user.suspended_at is not None:
        message.suspended_at.CopyFrom(to_timestamp(user.suspended_at))
    return message


def to_proto_role(role: Role) -> role_pb2.Role:
    return role_pb2.Role(
        id=str(role.id),
        name=role.name,
        description=role.description,
        permissions=sorted(role.permissions),
        is_builtin=role.is_builtin,
        created_at=to_timestamp(role.created_at),
    )


def to_proto_assignment(assignment: RoleAssignment) -> role_pb2.RoleAssignment:
    return role_pb2.RoleAssignment(
        id=str(assignment.id),
        user_id=str(assignment.user_id),
        role=assignment.role_name,
        role_id=str(assignment.role_id),
        scope=assignment.scope,
        granted_by=str(assignment.granted_by) if assignment.granted_by else "",
        granted_at=to_timestamp(assignment.granted_at),
    )


def to_proto_api_token(token: ApiToken) -> api_token_pb2.ApiToken:
    message = api_token_pb2.ApiToken(
        id=str(token.id),
        user_id=str(token.user_id),
        name=token.name,
        created_at=to_timestamp(token.created_at),
    )
    for name in ("expires_at", "revoked_at", "last_used_at"):
        value: datetime | None = getattr(token, name)
        if value is not None:
            getattr(message, name).CopyFrom(to_timestamp(value))
    return message
