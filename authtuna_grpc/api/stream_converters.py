"""Stream batches → protobuf messages, built for throughput.

A SearchUsers stream can carry a million users, and building the messages is most of
the server's work per user (docs/benchmarks.md): each User is built by keyword
arguments straight into the response, from plain values, with no object in between.
"""

from __future__ import annotations

import json
import uuid

from authtuna_api.user.v1 import audit_pb2, user_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb

from authtuna_grpc.api.converters import timestamp_fields
from authtuna_grpc.domain.audit_query import RecordedAuditEvent
from authtuna_grpc.domain.paging import encode_page_token
from authtuna_grpc.domain.search import BasicUser, UserRecord

# gRPC refuses messages over 4 MiB by default; a batch of users with large attribute
# maps is split well below that. The size is estimated from the text (computing it
# exactly costs as much as serialising): JSON spends at least as many bytes on an
# attribute as protobuf does, and the rest of a user stays under USER_BYTES.
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
USER_BYTES = 256

# The C scanner behind json.loads without its wrapper: about a third of the cost.
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _attributes(text: str) -> dict[str, str]:
    try:
        value: dict[str, str] = _scan_json(text, 0)[0]
    except StopIteration:  # leading whitespace, which the scanner does not skip
        value = json.loads(text)
    return value


def _search_response(records: list[UserRecord], next_page_token: str) -> pb.SearchUsersResponse:
    response = pb.SearchUsersResponse(next_page_token=next_page_token)
    add = response.users.add
    for (
        user_id, email, username, has_password, is_active, email_verified, is_service_account,
        attributes, created_at, updated_at, last_login_at, suspended_at, suspension_reason, version,
    ) in records:  # fmt: skip
        user = add(
            id=user_id,
            email=email,
            username=username,
            is_active=is_active,
            email_verified=email_verified,
            has_password=has_password,
            is_service_account=is_service_account,
            # Timestamps as dicts, computed inline: no function call, no message object.
            created_at={"seconds": created_at // 1_000_000, "nanos": created_at % 1_000_000 * 1000},
            updated_at={"seconds": updated_at // 1_000_000, "nanos": updated_at % 1_000_000 * 1000},
            last_login_at=(
                {"seconds": last_login_at // 1_000_000, "nanos": last_login_at % 1_000_000 * 1000}
                if last_login_at is not None
                else None
            ),
            suspended_at=(
                {"seconds": suspended_at // 1_000_000, "nanos": suspended_at % 1_000_000 * 1000}
                if suspended_at is not None
                else None
            ),
            suspension_reason=suspension_reason,
            etag=f"v{version}",
        )
        if len(attributes) > 2:  # not "{}"; item by item is cheaper than a map argument
            target = user.attributes
            for key, value in _attributes(attributes).items():
                target[key] = value
    return response


def _estimated_bytes(records: list[UserRecord]) -> int:
    return sum(len(r[1]) + len(r[2]) + len(r[7]) + len(r[12] or "") + USER_BYTES for r in records)


def to_search_responses(records: list[UserRecord], next_page_token: str) -> list[pb.SearchUsersResponse]:
    """One message for the batch, or several when it would be too large to send."""
    if len(records) == 1 or _estimated_bytes(records) <= MAX_MESSAGE_BYTES:
        return [_search_response(records, next_page_token)]
    half = len(records) // 2
    token = encode_page_token(uuid.UUID(records[half - 1][0]))
    return to_search_responses(records[:half], token) + to_search_responses(records[half:], next_page_token)


def to_basic_search_response(users: list[BasicUser], next_page_token: str) -> pb.BasicSearchUsersResponse:
    return pb.BasicSearchUsersResponse(
        users=[user_pb2.BasicUser(user_id=str(u.id), username=u.username) for u in users],
        next_page_token=next_page_token,
    )


def to_proto_audit_event(event: RecordedAuditEvent) -> audit_pb2.AuditEvent:
    return audit_pb2.AuditEvent(
        id=event.id,
        event_type=event.event_type,
        user_id=str(event.user_id) if event.user_id else "",
        actor_id=str(event.actor_id) if event.actor_id else "",
        ip_address=event.ip_address or "",
        request_id=event.request_id,
        occurred_at=timestamp_fields(event.occurred_at),
        details=event.details or None,
    )
