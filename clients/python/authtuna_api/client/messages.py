"""Requests from keyword arguments and items out of responses, for both clients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2

from authtuna_api.user.v1 import (
    api_token_service_pb2 as tokens_pb,
    audit_pb2,
    role_service_pb2 as roles_pb,
    session_service_pb2 as sessions_pb,
    user_pb2,
    user_service_pb2 as users_pb,
)


def _one_of(call: str, **keys: str | None) -> tuple[str, str]:
    given = [(name, value) for name, value in keys.items() if value is not None]
    if len(given) != 1:
        raise TypeError(f"{call}() takes exactly one of {', '.join(f'{k}=' for k in keys)}")
    return given[0]


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    if moment.tzinfo is None:
        raise ValueError("give an aware datetime (with tzinfo), e.g. datetime.now(timezone.utc)")
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def create_user(
    *, email: str, username: str, password: str | None, attributes: Mapping[str, str] | None, email_verified: bool
) -> users_pb.CreateUserRequest:
    request = users_pb.CreateUserRequest(
        email=email, username=username, attributes=dict(attributes or {}), email_verified=email_verified
    )
    if password is not None:
        request.password = password
    return request


def get_user(
    *, id: str | None, email: str | None, username: str | None, with_relations: bool
) -> users_pb.GetUserRequest:
    key, value = _one_of("get_user", id=id, email=email, username=username)
    request = users_pb.GetUserRequest(with_relations=with_relations)
    setattr(request, key, value)
    return request


def update_user(id: str, etag: str, changes: Mapping[str, Any]) -> users_pb.UpdateUserRequest:
    """UpdateUser with the mask naming exactly the changed fields; None unsets a field."""
    if not changes:
        raise TypeError("update_user() needs at least one field to change, e.g. email=...")
    user = user_pb2.User()
    for path, value in changes.items():
        if path not in user_pb2.User.DESCRIPTOR.fields_by_name:
            raise TypeError(f"update_user() got an unknown field {path!r}")
        if value is None:
            continue
        if path == "attributes":
            user.attributes.update(value)
        elif isinstance(value, datetime):
            getattr(user, path).CopyFrom(timestamp(value))
        else:
            setattr(user, path, value)
    mask = field_mask_pb2.FieldMask(paths=list(changes))
    return users_pb.UpdateUserRequest(id=id, user=user, update_mask=mask, etag=etag)


def list_role_assignments(
    *, user_id: str | None, role: str | None, scope: str, limit: int, page_token: str
) -> roles_pb.ListRoleAssignmentsRequest:
    key, value = _one_of("list_role_assignments", user_id=user_id, role=role)
    request = roles_pb.ListRoleAssignmentsRequest(scope=scope, limit=limit, page_token=page_token)
    setattr(request, key, value)
    return request


def create_api_token(user_id: str, name: str, expires_at: datetime | None) -> tokens_pb.CreateApiTokenRequest:
    request = tokens_pb.CreateApiTokenRequest(user_id=user_id, name=name)
    if expires_at is not None:
        request.expires_at.CopyFrom(timestamp(expires_at))
    return request


def clear_sign_in_lock(*, user_id: str | None, ip_address: str | None) -> sessions_pb.ClearSignInLockRequest:
    key, value = _one_of("clear_sign_in_lock", user_id=user_id, ip_address=ip_address)
    request = sessions_pb.ClearSignInLockRequest()
    setattr(request, key, value)
    return request


def users_of(response: Any) -> Iterable[user_pb2.User]:
    """The users of a page or of a streamed batch (`repeated User users`)."""
    return response.users


def assignments_of(response: Any) -> Iterable[Any]:
    return response.assignments


def sessions_of(response: Any) -> Iterable[Any]:
    return response.sessions


def events_of(response: Any) -> Iterable[audit_pb2.AuditEvent]:
    """The audit events of a streamed batch (`repeated AuditEvent events`)."""
    return response.events


def _optional_time(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    return timestamp(moment) if moment is not None else None


def search_users(
    *,
    identity: str,
    role: str,
    scope: str,
    is_active: bool | None,
    email_verified: bool | None,
    created_after: datetime | None,
    created_before: datetime | None,
    skip: int,
    limit: int,
    page_token: str,
    batch_size: int,
) -> users_pb.SearchUsersRequest:
    request = users_pb.SearchUsersRequest(
        identity=identity,
        role=role,
        scope=scope,
        created_after=_optional_time(created_after),
        created_before=_optional_time(created_before),
        skip=skip,
        limit=limit,
        page_token=page_token,
        batch_size=batch_size,
    )
    # Unset means "either": only a given value becomes a filter.
    if is_active is not None:
        request.is_active = is_active
    if email_verified is not None:
        request.email_verified = email_verified
    return request


def list_audit_events(
    *,
    user_id: str,
    actor_id: str,
    event_types: Iterable[str],
    ip_address: str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    oldest_first: bool,
    after_id: int,
    batch_size: int,
) -> users_pb.ListAuditEventsRequest:
    order = audit_pb2.AUDIT_EVENT_ORDER_OLDEST_FIRST if oldest_first else audit_pb2.AUDIT_EVENT_ORDER_NEWEST_FIRST
    return users_pb.ListAuditEventsRequest(
        user_id=user_id,
        actor_id=actor_id,
        event_types=list(event_types),
        ip_address=ip_address,
        since=_optional_time(since),
        until=_optional_time(until),
        limit=limit,
        order=order,
        after_id=after_id,
        batch_size=batch_size,
    )


def watch_audit_events(
    *,
    user_id: str,
    actor_id: str,
    event_types: Iterable[str],
    ip_address: str,
    after_id: int | None,
    heartbeat_seconds: float | None,
) -> users_pb.WatchAuditEventsRequest:
    interval = None
    if heartbeat_seconds is not None:
        interval = duration_pb2.Duration()
        interval.FromNanoseconds(round(heartbeat_seconds * 1e9))
    return users_pb.WatchAuditEventsRequest(
        user_id=user_id,
        actor_id=actor_id,
        event_types=list(event_types),
        ip_address=ip_address,
        after_id=after_id,
        heartbeat_interval=interval,
    )
