"""RFC 6238 time-based codes, through pyotp: new secrets, their URIs, matching codes."""

from __future__ import annotations

from datetime import datetime

import pyotp
from pyotp.utils import strings_equal

from authtuna_grpc.domain.two_factor import TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_SKEW_STEPS, TotpCode


def new_secret() -> str:
    """160 random bits, base32: the length RFC 4226 recommends for HMAC-SHA-1."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return _totp(secret).provisioning_uri(name=account, issuer_name=issuer)


def matching_step(secret: str, code: TotpCode, at: datetime) -> int | None:
    """The time step within the allowed skew whose code this is (the latest, should
    two match), or None. Every candidate is compared, in constant time."""
    totp = _totp(secret)
    current = totp.timecode(at)
    matched = None
    for step in range(current - TOTP_SKEW_STEPS, current + TOTP_SKEW_STEPS + 1):
        if strings_equal(code.digits, totp.generate_otp(step)):
            matched = step
    return matched


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS)
