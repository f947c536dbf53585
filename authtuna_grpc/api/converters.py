"""Domain objects ↔ protobuf messages."""

from __future__ import annotations

from datetime import datetime

from authtuna_api.user.v1 import user_pb2
from google.protobuf import timestamp_pb2

from authtuna_grpc.domain.user import User


def to_timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def to_proto_user(user: User) -> user_pb2.User:
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
    )
    if user.last_login_at is not None:
        message.last_login_at.CopyFrom(to_timestamp(user.last_login_at))
    if user.suspended_at is not None:
        message.suspended_at.CopyFrom(to_timestamp(user.suspended_at))
    return message
