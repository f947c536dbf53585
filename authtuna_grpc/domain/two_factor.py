"""Rules of the second sign-in factor: codes as typed, recovery codes, challenges, keys.

A TOTP code is six digits; a recovery code is ten characters of Crockford's base32
(50 random bits), shown as "xxxxx-xxxxx". What a person types is compacted (spaces and
hyphens dropped, letters lower-cased, the look-alikes i/l and o read as 1 and 0)
before it is classified, so either kind can be typed into one field.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from authtuna_grpc.domain.errors import InvalidInput

TOTP_DIGITS = 6
TOTP_PERIOD_SECONDS = 30
# Codes of the previous and the next step are accepted too, for clock drift.
TOTP_SKEW_STEPS = 1

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_LOOK_ALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})
_RECOVERY_HASH_SCHEME = "sha256"

CODE_MAX_LENGTH = 64
CHALLENGE_TOKEN_PREFIX = "chl_"
MAX_CHALLENGE_TOKEN_LENGTH = 512

ENCRYPTION_KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")


@dataclass(frozen=True)
class TotpCode:
    digits: str


@dataclass(frozen=True)
class RecoveryCode:
    compact: str


# What a typed code is: a TOTP code, a recovery code, or neither (then simply wrong).
TypedCode = TotpCode | RecoveryCode | None


def _compact(code: str, field: str) -> str:
    if not code:
        raise InvalidInput.field(field, "is required")
    if len(code) > CODE_MAX_LENGTH:
        raise InvalidInput.field(field, f"must be at most {CODE_MAX_LENGTH} characters")
    return "".join(ch for ch in code if ch not in " -\t").lower()


def typed_code(code: str, field: str = "code") -> TypedCode:
    """Classify a code as typed; InvalidInput only when empty or too long."""
    compact = _compact(code, field)
    if len(compact) == TOTP_DIGITS and compact.isascii() and compact.isdigit():
        return TotpCode(compact)
    recovery = compact.translate(_LOOK_ALIKES)
    if len(recovery) == RECOVERY_CODE_LENGTH and all(ch in RECOVERY_ALPHABET for ch in recovery):
        return RecoveryCode(recovery)
    return None


def typed_totp_code(code: str, field: str = "code") -> TotpCode | None:
    """A code that must be a TOTP code (enrolment confirmation)."""
    typed = typed_code(code, field)
    return typed if isinstance(typed, TotpCode) else None


def time_step(at: datetime) -> int:
    """The RFC 6238 time step (T) of a moment."""
    return int(at.timestamp()) // TOTP_PERIOD_SECONDS


def new_recovery_code() -> str:
    """A fresh recovery code as shown to the user: "xxxxx-xxxxx"."""
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{chars[:5]}-{chars[5:]}"


def recovery_code_hash(code: str) -> str:
    """The stored form of a recovery code: SHA-256 over a random salt and the code.
    The codes carry 50 random bits each, so a slow hash would add nothing."""
    typed = typed_code(code)
    assert isinstance(typed, RecoveryCode), "not a recovery code"
    salt = secrets.token_bytes(16)
    return f"{_RECOVERY_HASH_SCHEME}${salt.hex()}${_digest(salt, typed.compact)}"


def recovery_code_matches(code: RecoveryCode, stored_hash: str) -> bool:
    scheme, _, rest = stored_hash.partition("$")
    salt_hex, _, digest = rest.partition("$")
    if scheme != _RECOVERY_HASH_SCHEME:
        return False
    return hmac.compare_digest(_digest(bytes.fromhex(salt_hex), code.compact), digest)


def _digest(salt: bytes, compact: str) -> str:
    return hashlib.sha256(salt + compact.encode("ascii")).hexdigest()


def secret_context(user_id: uuid.UUID) -> bytes:
    """Bound into the encryption of a user's secret, so a ciphertext copied onto another
    user's row does not decrypt."""
    return f"authtuna:totp:{user_id}".encode("ascii")


@dataclass(frozen=True)
class EncryptionKey:
    key_id: str
    key: bytes


def parse_key_ring(value: str) -> tuple[EncryptionKey, ...]:
    """`id:base64key,…` → keys, the first being the current one. Messages never
    quote a key."""
    keys: list[EncryptionKey] = []
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    if not entries:
        raise ValueError("must hold at least one id:key entry")
    for number, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ValueError(f"entry {number} must be id:key, the id 1-32 of A-Za-z0-9._-")
        if any(key.key_id == key_id for key in keys):
            raise ValueError(f"entry {number} repeats key id {key_id!r}")
        keys.append(EncryptionKey(key_id, _decoded_key(encoded, number)))
    return tuple(keys)


def _decoded_key(encoded: str, number: int) -> bytes:
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != ENCRYPTION_KEY_BYTES:
        raise ValueError(f"entry {number}: the key must be {ENCRYPTION_KEY_BYTES} bytes, base64")
    return key


@dataclass(frozen=True)
class SealedSecret:
    """A TOTP secret encrypted with the key named `key_id`."""

    key_id: str
    ciphertext: str


@dataclass(frozen=True)
class TotpFactor:
    user_id: uuid.UUID
    sealed: SealedSecret
    created_at: datetime
    confirmed_at: datetime | None
    # The time step of the last accepted code: codes of it or earlier are refused.
    last_used_step: int | None

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def accepts_step(self, step: int) -> bool:
        return self.last_used_step is None or step > self.last_used_step


@dataclass(frozen=True)
class StoredRecoveryCode:
    id: uuid.UUID
    code_hash: str


@dataclass(frozen=True)
class ChallengePolicy:
    lifetime: timedelta
    # Wrong codes that void a challenge.
    max_attempts: int


@dataclass(frozen=True)
class Challenge:
    """A pending second step, as stored (only its token's digest is kept)."""

    id: uuid.UUID
    user_id: uuid.UUID
    expires_at: datetime
    failed_attempts: int


@dataclass(frozen=True)
class IssuedChallenge:
    """Returned once by SignIn: the token is never stored."""

    token: str
    expires_at: datetime


def new_challenge_token() -> str:
    return CHALLENGE_TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Enrollment:
    """A begun enrolment: the only time the secret leaves the server."""

    secret: str
    provisioning_uri: str


@dataclass(frozen=True)
class SecondFactorStatus:
    totp_enrolled: bool
    enrolled_at: datetime | None
    enrollment_pending: bool
    recovery_codes_remaining: int


class ChallengeFailure(enum.StrEnum):
    """Why a second step failed: recorded in MFA_CHALLENGE_FAILED."""

    WRONG_CODE = "wrong_code"
    REPLAYED_CODE = "replayed_code"
    USED_RECOVERY_CODE = "used_recovery_code"
    LOCKED = "locked"
    IP_LOCKED = "ip_locked"
