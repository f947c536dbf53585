"""The server-streaming RPCs of UserService: search and the audit trail.

Each parses its request, opens one stream from its use case, and converts every batch
as it comes; `yield` waits for the client's flow control, so the use case only reads
the next page when the client has taken the previous one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any

from authtuna_api.user.v1 import audit_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb

from authtuna_grpc.api.converters import to_timestamp
from authtuna_grpc.api.stream_converters import (
    to_basic_search_response,
    to_proto_audit_event,
    to_search_responses,
)
from authtuna_grpc.domain.audit_query import (
    AuditEventFilter,
    AuditOrder,
    audit_event_filter,
    audit_query,
    audit_watch,
)
from authtuna_grpc.domain.errors import FieldViolation, InvalidInput
from authtuna_grpc.domain.search import UserFilter, basic_user_search, user_search
from authtuna_grpc.services.audit_log import AuditLog
from authtuna_grpc.services.audit_watch import AuditWatcher
from authtuna_grpc.services.user_search import UserSearcher

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information

_ORDERS = {
    audit_pb2.AUDIT_EVENT_ORDER_UNSPECIFIED: AuditOrder.NEWEST_FIRST,
    audit_pb2.AUDIT_EVENT_ORDER_NEWEST_FIRST: AuditOrder.NEWEST_FIRST,
    audit_pb2.AUDIT_EVENT_ORDER_OLDEST_FIRST: AuditOrder.OLDEST_FIRST,
}


def optional_time(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    try:
        value: datetime = getattr(message, field).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidInput.field(field, "must be a valid timestamp") from None
    return value


def optional_seconds(message: Any, field: str) -> float | None:
    if not message.HasField(field):
        return None
    try:
        return float(getattr(message, field).ToTimedelta().total_seconds())
    except (ValueError, OverflowError):
        raise InvalidInput.field(field, "must be a valid duration") from None


class UserStreamRpcs:
    """Mixed into UserServicer, which sets the three use cases."""

    _searcher: UserSearcher
    _audit_log: AuditLog
    _audit_watcher: AuditWatcher

    async def SearchUsers(
        self, request: pb.SearchUsersRequest, context: Context
    ) -> AsyncIterator[pb.SearchUsersResponse]:
        user_filter = UserFilter(
            identity=request.identity,
            role=request.role,
            scope=request.scope,
            is_active=request.is_active if request.HasField("is_active") else None,
            email_verified=request.email_verified if request.HasField("email_verified") else None,
            created_after=optional_time(request, "created_after"),
            created_before=optional_time(request, "created_before"),
        )
        search = user_search(
            user_filter,
            skip=request.skip,
            limit=request.limit,
            page_token=request.page_token,
            batch_size=request.batch_size,
        )
        async with aclosing(self._searcher.search(search)) as batches:
            async for batch in batches:
                for response in to_search_responses(batch.items, batch.next_page_token):
                    yield response

    async def BasicSearchUsers(
        self, request: pb.BasicSearchUsersRequest, context: Context
    ) -> AsyncIterator[pb.BasicSearchUsersResponse]:
        search = basic_user_search(
            username=request.username,
            skip=request.skip,
            limit=request.limit,
            page_token=request.page_token,
        )
        async with aclosing(self._searcher.basic_search(search)) as batches:
            async for batch in batches:
                yield to_basic_search_response(batch.items, batch.next_page_token)

    async def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: Context
    ) -> AsyncIterator[pb.ListAuditEventsResponse]:
        violations: list[FieldViolation] = []
        event_filter = _event_filter(
            request, violations, since=optional_time(request, "since"), until=optional_time(request, "until")
        )
        order = _ORDERS.get(request.order)
        if order is None:
            violations.append(FieldViolation("order", "must be NEWEST_FIRST or OLDEST_FIRST"))
        query = audit_query(
            event_filter,
            violations,
            order=order or AuditOrder.NEWEST_FIRST,
            after_id=request.after_id,
            limit=request.limit,
            batch_size=request.batch_size,
        )
        async with aclosing(self._audit_log.events(query)) as pages:
            async for events in pages:
                yield pb.ListAuditEventsResponse(events=[to_proto_audit_event(e) for e in events])

    async def WatchAuditEvents(
        self, request: pb.WatchAuditEventsRequest, context: Context
    ) -> AsyncIterator[pb.WatchAuditEventsResponse]:
        violations: list[FieldViolation] = []
        event_filter = _event_filter(request, violations)
        watch = audit_watch(
            event_filter,
            violations,
            after_id=request.after_id if request.HasField("after_id") else None,
            heartbeat_seconds=optional_seconds(request, "heartbeat_interval"),
        )
        async with aclosing(self._audit_watcher.watch(watch)) as batches:
            async for batch in batches:
                yield pb.WatchAuditEventsResponse(
                    events=[to_proto_audit_event(e) for e in batch.events],
                    heartbeat_at=to_timestamp(batch.heartbeat_at) if batch.heartbeat_at else None,
                    resume_after_id=batch.resume_after_id,
                )


def _event_filter(
    request: pb.ListAuditEventsRequest | pb.WatchAuditEventsRequest,
    violations: list[FieldViolation],
    **times: datetime | None,
) -> AuditEventFilter:
    """The filter fields both audit streams share (a time window only for the list)."""
    return audit_event_filter(
        violations,
        user_id=request.user_id,
        actor_id=request.actor_id,
        event_types=list(request.event_types),
        ip_address=request.ip_address,
        **times,
    )
