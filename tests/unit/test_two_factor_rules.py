from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from pydantic import ValidationError

import authtuna_grpc
from authtuna_grpc.config import Settings
from authtuna_grpc.domain.errors import InvalidInput, MfaNotConfigured
from authtuna_grpc.domain.two_factor import (
    RecoveryCode,
    SealedSecret,
    TotpCode,
    TotpFactor,
    new_recovery_code,
    parse_key_ring,
    recovery_code_hash,
    recovery_code_matches,
    secret_context,
    time_step,
    typed_code,
)
from authtuna_grpc.services.secret_box import SecretBox
from authtuna_grpc.services.totp import matching_step, new_secret
from tests.two_factor import mfa_key

NOW = datetime(2026, 11, 28, 12, 0, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)


@pytest.mark.parametrize("typed", ["123456", " 123 456 ", "123-456"])
def test_six_digits_are_a_totp_code_whatever_the_spacing(typed: str) -> None:
    assert typed_code(typed) == TotpCode("123456")


@pytest.mark.parametrize(
    ("typed", "compact"),
    [("abcde-fghjk", "abcdefghjk"), ("ABCDE FGHJK", "abcdefghjk"), ("iLoO0-12345", "11000" + "12345")],
)
def test_ten_base32_characters_are_a_recovery_code_with_look_alikes_read_as_digits(typed: str, compact: str) -> None:
    assert typed_code(typed) == RecoveryCode(compact)


@pytest.mark.parametrize("typed", ["12345", "1234567", "１２３４５６", "abcde-fghju", "password"])
def test_anything_else_is_simply_a_wrong_code(typed: str) -> None:
    assert typed_code(typed) is None


@pytest.mark.parametrize("typed", ["", "1" * 65])
def test_empty_or_overlong_codes_are_invalid_input(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        typed_code(typed)
    assert [v.field for v in caught.value.violations] == ["code"]


def test_recovery_codes_are_fresh_and_stored_as_salted_digests() -> None:
    codes = {new_recovery_code() for _ in range(50)}
    assert len(codes) == 50 and all(re.fullmatch(r"[0-9a-z]{5}-[0-9a-z]{5}", c) for c in codes)
    code = codes.pop()
    first, second = recovery_code_hash(code), recovery_code_hash(code)
    assert first != second  # salted
    compact = code.replace("-", "")
    assert code not in first and compact not in first
    assert recovery_code_matches(RecoveryCode(compact), first)
    assert not recovery_code_matches(RecoveryCode("0" * 10), first)
    assert not recovery_code_matches(RecoveryCode(compact), "md5$00$" + first.split("$")[2])


def test_totp_codes_match_their_step_within_one_step_of_skew() -> None:
    secret = new_secret()
    now_step = time_step(NOW)
    for offset in (-1, 0, 1):
        code = TotpCode(pyotp.TOTP(secret).at(NOW + offset * STEP))
        assert matching_step(secret, code, NOW) == now_step + offset
    for offset in (-2, 2):
        assert matching_step(secret, TotpCode(pyotp.TOTP(secret).at(NOW + offset * STEP)), NOW) is None


def test_a_factor_accepts_only_steps_after_the_last_used_one() -> None:
    factor = TotpFactor(uuid.uuid4(), SealedSecret("k", "c"), NOW, NOW, last_used_step=100)
    assert [factor.accepts_step(s) for s in (99, 100, 101)] == [False, False, True]


def test_key_rings_parse_with_the_first_key_current() -> None:
    ring = parse_key_ring(f" {mfa_key('new', 1)} , {mfa_key('old', 2)} ")
    assert [k.key_id for k in ring] == ["new", "old"] and ring[1].key == bytes([2]) * 32
    urlsafe = base64.urlsafe_b64encode(bytes([251]) * 32).decode().rstrip("=")
    assert parse_key_ring(f"u:{urlsafe}")[0].key == bytes([251]) * 32


@pytest.mark.parametrize(
    "value",
    ["", "nokey", "bad id:" + "A" * 44, "k:" + base64.b64encode(b"short").decode(), "k:%%%%", "a:{k},a:{k}"],
)
def test_malformed_key_rings_are_refused_without_quoting_a_key(value: str) -> None:
    value = value.replace("{k}", base64.b64encode(bytes(32)).decode())
    with pytest.raises(ValueError) as caught:
        parse_key_ring(value)
    key_text = value.partition(":")[2]
    assert not key_text or key_text not in str(caught.value)


def test_the_secret_box_encrypts_with_the_current_key_and_opens_with_any_in_the_ring() -> None:
    user_id = uuid.uuid4()
    old = SecretBox(parse_key_ring(mfa_key("old", 2)))
    sealed = old.seal("JBSWY3DPEHPK3PXP", secret_context(user_id))
    assert sealed.key_id == "old" and "JBSWY3DPEHPK3PXP" not in sealed.ciphertext
    rotated = SecretBox(parse_key_ring(f"{mfa_key('new', 1)},{mfa_key('old', 2)}"))
    assert rotated.open(sealed, secret_context(user_id)) == "JBSWY3DPEHPK3PXP"
    assert rotated.seal("JBSWY3DPEHPK3PXP", secret_context(user_id)).key_id == "new"
    with pytest.raises(MfaNotConfigured):
        SecretBox(parse_key_ring(mfa_key("new", 1))).open(sealed, secret_context(user_id))
    with pytest.raises(MfaNotConfigured):
        old.open(sealed, secret_context(uuid.uuid4()))  # bound to its user


def test_settings_refuse_malformed_keys_and_issuers() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(mfa_encryption_keys="k:" + "B" * 30)
    assert "B" * 30 not in str(caught.value.errors()[0]["msg"])
    with pytest.raises(ValidationError):
        Settings(mfa_issuer="a:b")
    assert Settings(mfa_encryption_keys=mfa_key("k", 3)).mfa_keys == mfa_key("k", 3)
    assert Settings().mfa_keys is None


def test_sessions_are_made_only_by_open_session_reached_from_the_two_sign_in_steps() -> None:
    """A guard for the rule that no path to a session skips the second step: a new
    caller of either must check for a confirmed authenticator first (see sign_in.py)."""
    package = Path(authtuna_grpc.__file__).parent
    adds, opens = set(), set()
    for path in package.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        relative = path.relative_to(package).as_posix()
        if "sessions.add(" in source:
            adds.add(relative)
        if re.search(r"await open_session\(", source):
            opens.add(relative)
    assert adds == {"services/sessions.py"}
    assert opens == {"services/sign_in.py", "services/second_step.py"}
