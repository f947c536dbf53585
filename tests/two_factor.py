"""Two-factor test set-up: keys, enrolment through the API, codes computed from the secret."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from authtuna_api.user.v1 import session_service_pb2 as spb

from tests.callers import Metadata


def mfa_key(key_id: str, fill: int) -> str:
    return f"{key_id}:{base64.b64encode(bytes([fill]) * 32).decode()}"


TEST_MFA_KEYS = mfa_key("test-1", 7)


def code_at(secret: str, at: datetime) -> str:
    """The TOTP code an authenticator shows at `at`."""
    return pyotp.TOTP(secret).at(at)


@dataclass(frozen=True)
class Enrolled:
    secret: str
    recovery_codes: list[str]


async def enrol(sessions: Any, metadata: Metadata, user_id: str, at: datetime) -> Enrolled:
    """Begin and confirm an authenticator for the user, the code taken at `at`."""
    begun = await sessions.BeginTotpEnrollment(
        spb.BeginTotpEnrollmentRequest(user_id=user_id), metadata=metadata
    )
    confirmed = await sessions.ConfirmTotpEnrollment(
        spb.ConfirmTotpEnrollmentRequest(user_id=user_id, code=code_at(begun.secret, at)),
        metadata=metadata,
    )
    return Enrolled(secret=begun.secret, recovery_codes=list(confirmed.recovery_codes))


async def complete(
    sessions: Any, metadata: Metadata, challenge_token: str, code: str
) -> spb.CompleteSignInResponse:
    request = spb.CompleteSignInRequest(challenge_token=challenge_token, code=code)
    response: spb.CompleteSignInResponse = await sessions.CompleteSignIn(request, metadata=metadata)
    return response


def user_uuid(user_id: str) -> uuid.UUID:
    return uuid.UUID(user_id)
