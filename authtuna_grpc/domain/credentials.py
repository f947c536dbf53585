"""What a caller can authenticate with besides a password: API tokens and certificates."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from authtuna_grpc.domain.errors import InvalidInput

TOKEN_NAME_MAX_LENGTH = 128
SAN_MAX_LENGTH = 512
# last_used_at is kept to this resolution so a busy token costs one write a minute, not one a call.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_DNS_NAME = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!-~]+")


@dataclass(frozen=True)
class ApiToken:
    """A token's metadata; the secret is never kept."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class IssuedToken:
    """A new token: its metadata, and the secret shown this one time."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class ServiceIdentity:
    """A client certificate identity (a DNS or URI SAN) bound to a service account."""

    san: str
    user_id: uuid.UUID
    created_at: datetime


def check_token_name(name: str, field: str = "name") -> str:
    if not name or len(name) > TOKEN_NAME_MAX_LENGTH or not name.isprintable():
        raise InvalidInput.field(field, f"must be 1-{TOKEN_NAME_MAX_LENGTH} printable characters")
    return name


def check_expiry(expires_at: datetime | None, now: datetime, field: str = "expires_at") -> None:
    if expires_at is not None and expires_at <= now:
        raise InvalidInput.field(field, "must be in the future")


def check_san(san: str, field: str = "san") -> str:
    """A DNS name (billing.internal) or a URI (spiffe://example.org/billing), as in the certificate."""
    if (
        not san
        or len(san) > SAN_MAX_LENGTH
        or not san.isascii()
        or not (_DNS_NAME.fullmatch(san) or _URI.fullmatch(san))
    ):
        raise InvalidInput.field(
            field, f"must be a DNS name or a URI of at most {SAN_MAX_LENGTH} characters"
        )
    return san


def needs_last_used_update(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION
