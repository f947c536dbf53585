"""Domain objects ↔ protobuf messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from authtuna_api.user.v1 import api_token_pb2, role_pb2, user_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb
from google.protobuf import timestamp_pb2

from authtuna_grpc.domain.credentials import ApiToken
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.lifecycle import DeletedUser
from authtuna_grpc.domain.roles import Role, RoleAssignment
from authtuna_grpc.domain.user import User
from authtuna_grpc.domain.user_updates import UserUpdate, user_update

# The range google.protobuf.Timestamp allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def timestamp_fields(value: datetime) -> dict[str, int]:
    """An aware time as Timestamp fields, by integer arithmetic: Timestamp.FromDatetime
    (calendar.timegm and friends) cost about a tenth of a GetUser's CPU."""
    micros = (value - _EPOCH) // _MICROSECOND
    return {"seconds": micros // 1_000_000, "nanos": micros % 1_000_000 * 1000}


def to_timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(**timestamp_fields(value))


def from_timestamp(stamp: timestamp_pb2.Timestamp, field: str) -> datetime:
    if not _MIN_SECONDS <= stamp.seconds <= _MAX_SECONDS or not 0 <= stamp.nanos <= 999_999_999:
        raise InvalidInput.field(field, "is not a valid timestamp (years 1 to 9999)")
    value: datetime = stamp.ToDatetime(tzinfo=UTC)
    return value


def to_user_update(request: pb.UpdateUserRequest) -> UserUpdate:
    """Read only the fields the mask names, so garbage in unnamed fields never matters."""
    paths = list(request.update_mask.paths)
    user = request.user
    last_login_at = None
    if "last_login_at" in paths and user.HasField("last_login_at"):
        last_login_at = from_timestamp(user.last_login_at, "user.last_login_at")
    return user_update(
        paths=paths,
        username=user.username,
        email=user.email,
        email_verified=user.email_verified,
        attributes=dict(user.attributes),
        last_login_at=last_login_at,
    )


def parse_id(value: str, field: str, kind: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.field(field, f"must be {kind} id (UUID)") from None


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
        created_at=timestamp_fields(user.created_at),
        updated_at=timestamp_fields(user.updated_at),
        last_login_at=timestamp_fields(user.last_login_at) if user.last_login_at else None,
        suspended_at=timestamp_fields(user.suspended_at) if user.suspended_at else None,
        suspension_reason=user.suspension_reason or "",
        etag=user.etag,
        role_assignments=[to_proto_assignment(a) for a in role_assignments],
    )
    return message


def to_proto_deleted_user(record: DeletedUser) -> user_pb2.DeletedUser:
    message = user_pb2.DeletedUser(
        id=str(record.id),
        email=record.email,
        username=record.username,
        is_service_account=record.is_service_account,
        email_verified=record.email_verified,
        attributes=record.attributes,
        created_at=to_timestamp(record.created_at),
        suspension_reason=record.suspension_reason or "",
        deleted_at=to_timestamp(record.deleted_at),
        deleted_by=str(record.deleted_by) if record.deleted_by else "",
        reason=record.reason or "",
    )
    if record.last_login_at is not None:
        message.last_login_at.CopyFrom(to_timestamp(record.last_login_at))
    if record.suspended_at is not None:
        message.suspended_at.CopyFrom(to_timestamp(record.suspended_at))
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
