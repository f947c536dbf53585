"""Each call's request id: the client's x-request-id when it is sane, else a new one.

Resolved once per call and kept for the rest of it, so the access log and the audit
events of one call carry the same id.
"""

from __future__ import annotations

import contextvars
import uuid
from typing import Any

import grpc

MAX_REQUEST_ID_LENGTH = 128
REQUEST_ID_KEY = "x-request-id"

_request_id: contextvars.ContextVar[tuple[object, str]] = contextvars.ContextVar(
    "authtuna_request_id"
)


def metadata_value(context: grpc.aio.ServicerContext[Any, Any], key: str) -> str | None:
    for item in context.invocation_metadata() or ():
        if item.key == key:
            value = item.value
            return value if isinstance(value, str) else None
    return None


def request_id_for(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    known = _request_id.get(None)
    if known is not None and known[0] is context:
        return known[1]
    given = metadata_value(context, REQUEST_ID_KEY)
    if given and len(given) <= MAX_REQUEST_ID_LENGTH and given.isprintable() and given.isascii():
        request_id = given
    else:
        request_id = uuid.uuid4().hex
    _request_id.set((context, request_id))
    return request_id
