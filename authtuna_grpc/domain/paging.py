"""Opaque keyset page tokens and the bounds of a page."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

from authtuna_grpc.domain.errors import FieldViolation, InvalidInput, InvalidPageToken

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_SKIP = 10_000_000
MAX_PAGE_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class PageRequest:
    after: uuid.UUID | None
    skip: int
    limit: int


def encode_page_token(last_id: uuid.UUID) -> str:
    payload = json.dumps({"v": 1, "after": str(last_id)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_page_token(token: str) -> uuid.UUID:
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise _bad_token()
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(payload, dict) or payload.get("v") != 1:
            raise ValueError("unknown token version")
        return uuid.UUID(str(payload["after"]))
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        raise _bad_token() from None


def _bad_token() -> InvalidPageToken:
    return InvalidPageToken.of(
        [FieldViolation("page_token", "is not a token returned by this service")]
    )


def page_request(*, skip: int, limit: int, page_token: str) -> PageRequest:
    violations = []
    if skip < 0:
        violations.append(FieldViolation("skip", "must not be negative"))
    elif skip > MAX_SKIP:
        violations.append(FieldViolation("skip", f"must be at most {MAX_SKIP}; use page_token"))
    if limit < 0 or limit > MAX_PAGE_SIZE:
        violations.append(FieldViolation("limit", f"must be between 0 and {MAX_PAGE_SIZE}"))
    if page_token and skip:
        violations.append(FieldViolation("skip", "cannot be combined with page_token"))
    if violations:
        raise InvalidInput.of(violations)
    after = decode_page_token(page_token) if page_token else None
    return PageRequest(after=after, skip=skip, limit=limit or DEFAULT_PAGE_SIZE)
