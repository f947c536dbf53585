"""Enrolling an authenticator, recovery codes and resetting the second factor, against a
real server; keys, restarts and rotation."""

from __future__ import annotations

import re
import urllib.parse
import uuid

import grpc
import pyotp
import pytest
from authtuna_api.user.v1 import session_service_pb2 as spb
from pydantic import SecretStr
from sqlalchemy import update

from authtuna_grpc.services.clock import utc_now
from authtuna_grpc.services.key_rotation import reseal_secrets
from authtuna_grpc.services.secret_box import SecretBox
from authtuna_grpc.storage import tables
from tests.accounts import rows
from tests.callers import Callers
from tests.rich_status import rich_error
from tests.sign_ins import MovableClock, audit_rows, create_user, serving, sign_in
from tests.two_factor import TEST_MFA_KEYS, code_at, complete, enrol, mfa_key

RECOVERY_CODE = re.compile(r"[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}")


def _begin(user_id: str) -> spb.BeginTotpEnrollmentRequest:
    return spb.BeginTotpEnrollmentRequest(user_id=user_id)


def _confirm(user_id: str, code: str) -> spb.ConfirmTotpEnrollmentRequest:
    return spb.ConfirmTotpEnrollmentRequest(user_id=user_id, code=code)


async def _error(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def _status(sessions, metadata, user_id: str) -> spb.GetSecondFactorResponse:
    request = spb.GetSecondFactorRequest(user_id=user_id)
    response: spb.GetSecondFactorResponse = await sessions.GetSecondFactor(request, metadata=metadata)
    return response


async def test_begin_returns_a_secret_and_its_uri_and_confirm_returns_ten_recovery_codes(
    users, sessions, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "ada")
    begun = await sessions.BeginTotpEnrollment(_begin(user.id), metadata=callers.admin)
    assert re.fullmatch(r"[A-Z2-7]{32}", begun.secret)
    assert (begun.digits, begun.period_seconds) == (6, 30)
    uri = urllib.parse.urlparse(begun.provisioning_uri)
    assert (uri.scheme, uri.netloc, urllib.parse.unquote(uri.path)) == ("otpauth", "totp", "/authtuna:ada@example.com")
    assert urllib.parse.parse_qs(uri.query) == {"secret": [begun.secret], "issuer": ["authtuna"]}
    assert pyotp.parse_uri(begun.provisioning_uri).now() == pyotp.TOTP(begun.secret).now()
    pending = await _status(sessions, callers.admin, user.id)
    assert pending.enrollment_pending and not pending.totp_enrolled

    confirmed = await sessions.ConfirmTotpEnrollment(
        _confirm(user.id, pyotp.TOTP(begun.secret).now()), metadata=callers.admin
    )
    codes = list(confirmed.recovery_codes)
    assert len(set(codes)) == 10 and all(RECOVERY_CODE.fullmatch(code) for code in codes)
    status = await _status(sessions, callers.admin, user.id)
    assert status.totp_enrolled and not status.enrollment_pending
    assert status.HasField("enrolled_at") and status.recovery_codes_remaining == 10
    started = await audit_rows(units, "MFA_ENROLLMENT_STARTED")
    [enrolled] = await audit_rows(units, "MFA_ENROLLED")
    assert [str(e.user_id) for e in (*started, enrolled)] == [user.id, user.id]
    assert enrolled.details == {"recovery_codes": "10"}


async def test_a_wrong_code_does_not_confirm_the_enrolment(users, sessions, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "fumble")
    await sessions.BeginTotpEnrollment(_begin(user.id), metadata=callers.admin)
    for wrong in ("000000", "abc"):
        error = await _error(sessions.ConfirmTotpEnrollment(_confirm(user.id, wrong), metadata=callers.admin))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert rich_error(error).reason == "INVALID_SECOND_FACTOR"
    assert (await _status(sessions, callers.admin, user.id)).enrollment_pending


async def test_beginning_again_replaces_the_pending_secret(users, sessions, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "again")
    first = await sessions.BeginTotpEnrollment(_begin(user.id), metadata=callers.admin)
    second = await sessions.BeginTotpEnrollment(_begin(user.id), metadata=callers.admin)
    assert first.secret != second.secret
    old = await _error(
        sessions.ConfirmTotpEnrollment(_confirm(user.id, pyotp.TOTP(first.secret).now()), metadata=callers.admin)
    )
    assert rich_error(old).reason == "INVALID_SECOND_FACTOR"
    await sessions.ConfirmTotpEnrollment(_confirm(user.id, pyotp.TOTP(second.secret).now()), metadata=callers.admin)


async def test_enrolment_refuses_what_does_not_fit_the_state(users, sessions, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "stateful")
    metadata = callers.admin
    never_begun = await _error(sessions.ConfirmTotpEnrollment(_confirm(user.id, "123456"), metadata=metadata))
    no_codes = await _error(
        sessions.RegenerateRecoveryCodes(spb.RegenerateRecoveryCodesRequest(user_id=user.id), metadata=metadata)
    )
    nothing_to_reset = await _error(
        sessions.ResetSecondFactor(spb.ResetSecondFactorRequest(user_id=user.id, reason="x"), metadata=metadata)
    )
    for error in (never_begun, no_codes, nothing_to_reset):
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert rich_error(error).reason == "MFA_NOT_ENROLLED"
    await enrol(sessions, metadata, user.id, utc_now())
    again = await _error(sessions.BeginTotpEnrollment(_begin(user.id), metadata=metadata))
    reconfirm = await _error(sessions.ConfirmTotpEnrollment(_confirm(user.id, "123456"), metadata=metadata))
    for error in (again, reconfirm):
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert rich_error(error).reason == "MFA_ALREADY_ENROLLED"


async def test_unknown_and_malformed_user_ids_are_refused(sessions, callers: Callers) -> None:
    unknown = str(uuid.uuid4())
    calls = [
        sessions.BeginTotpEnrollment(_begin(unknown), metadata=callers.admin),
        sessions.ConfirmTotpEnrollment(_confirm(unknown, "123456"), metadata=callers.admin),
        sessions.RegenerateRecoveryCodes(spb.RegenerateRecoveryCodesRequest(user_id=unknown), metadata=callers.admin),
        sessions.GetSecondFactor(spb.GetSecondFactorRequest(user_id=unknown), metadata=callers.admin),
        sessions.ResetSecondFactor(spb.ResetSecondFactorRequest(user_id=unknown, reason="x"), metadata=callers.admin),
    ]
    for call in calls:
        assert rich_error(await _error(call)).reason == "USER_NOT_FOUND"
    malformed = await _error(sessions.BeginTotpEnrollment(_begin("nope"), metadata=callers.admin))
    assert malformed.code() == grpc.StatusCode.INVALID_ARGUMENT and rich_error(malformed).fields == ["user_id"]


async def test_reset_removes_the_second_factor_with_an_audited_reason(users, sessions, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "reset-me")
    await enrol(sessions, callers.admin, user.id, utc_now())
    challenge = (await sign_in(sessions, callers.admin, "reset-me")).challenge
    no_reason = await _error(
        sessions.ResetSecondFactor(spb.ResetSecondFactorRequest(user_id=user.id), metadata=callers.admin)
    )
    assert no_reason.code() == grpc.StatusCode.INVALID_ARGUMENT and rich_error(no_reason).fields == ["reason"]

    reset = await sessions.ResetSecondFactor(
        spb.ResetSecondFactorRequest(user_id=user.id, reason="lost their phone"), metadata=callers.admin
    )
    assert reset.was_enrolled
    [event] = await audit_rows(units, "MFA_DISABLED")
    assert event.details == {
        "reason": "lost their phone",
        "was_enrolled": "true",
        "recovery_codes_removed": "10",
        "challenges_removed": "1",
    }
    withdrawn = await _error(complete(sessions, callers.admin, challenge.token, "123456"))
    assert rich_error(withdrawn).reason == "INVALID_CHALLENGE"
    assert (await sign_in(sessions, callers.admin, "reset-me")).WhichOneof("result") == "session"
    status = await _status(sessions, callers.admin, user.id)
    assert not status.totp_enrolled and status.recovery_codes_remaining == 0
    await enrol(sessions, callers.admin, user.id, utc_now())  # and may enrol again


async def test_without_encryption_keys_totp_is_refused_but_recovery_codes_still_work(
    settings, callers: Callers
) -> None:
    clock = MovableClock()
    async with serving(settings, clock) as served:
        user = await create_user(served.users, callers.admin, "keyless")
        enrolled = await enrol(served.sessions, callers.admin, user.id, clock.now)
    clock.advance(seconds=30)
    async with serving(settings, clock, mfa_encryption_keys=None) as served:
        other = await create_user(served.users, callers.admin, "other")
        refused = await _error(served.sessions.BeginTotpEnrollment(_begin(other.id), metadata=callers.admin))
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert rich_error(refused).reason == "MFA_NOT_CONFIGURED"
        # Still a challenge: the missing key never lets the password alone through.
        challenge = (await sign_in(served.sessions, callers.admin, "keyless")).challenge
        totp = await _error(complete(served.sessions, callers.admin, challenge.token, code_at(enrolled.secret, clock.now)))
        assert rich_error(totp).reason == "MFA_NOT_CONFIGURED"
        done = await complete(served.sessions, callers.admin, challenge.token, enrolled.recovery_codes[0])
        assert done.used_recovery_code


async def test_secrets_survive_a_restart_and_a_key_rotation(settings, callers: Callers) -> None:
    clock = MovableClock()
    async with serving(settings, clock) as served:
        user = await create_user(served.users, callers.admin, "rotated")
        enrolled = await enrol(served.sessions, callers.admin, user.id, clock.now)
    new_key = mfa_key("test-2", 9)
    for keys in (TEST_MFA_KEYS, f"{new_key},{TEST_MFA_KEYS}"):  # a restart, then a new current key
        clock.advance(seconds=30)
        async with serving(settings, clock, mfa_encryption_keys=SecretStr(keys)) as served:
            challenge = (await sign_in(served.sessions, callers.admin, "rotated")).challenge
            await complete(served.sessions, callers.admin, challenge.token, code_at(enrolled.secret, clock.now))
            box = SecretBox.from_setting(keys)
            assert box is not None
            resealed = await reseal_secrets(served.units, box, utc_now)
            assert resealed == (1 if keys != TEST_MFA_KEYS else 0)
    clock.advance(seconds=30)
    async with serving(settings, clock, mfa_encryption_keys=SecretStr(new_key)) as served:  # the old key retired
        [stored] = await rows(served.units, tables.totp_factor)
        assert stored["key_id"] == "test-2"
        [event] = await audit_rows(served.units, "MFA_SECRETS_RESEALED")
        assert event.details == {"key_id": "test-2", "resealed": "1"}
        challenge = (await sign_in(served.sessions, callers.admin, "rotated")).challenge
        await complete(served.sessions, callers.admin, challenge.token, code_at(enrolled.secret, clock.now))


async def test_a_secret_copied_onto_another_user_does_not_decrypt(users, sessions, callers: Callers, units) -> None:
    victim = await create_user(users, callers.admin, "victim")
    attacker = await create_user(users, callers.admin, "attacker")
    await enrol(sessions, callers.admin, victim.id, utc_now())
    begun = await sessions.BeginTotpEnrollment(_begin(attacker.id), metadata=callers.admin)
    [attackers] = await rows(units, tables.totp_factor, tables.totp_factor.c.user_id == uuid.UUID(attacker.id))
    async with units() as uow:
        factor = tables.totp_factor
        await uow.users._connection.execute(
            update(factor)
            .where(factor.c.user_id == uuid.UUID(victim.id))
            .values(secret_ciphertext=attackers["secret_ciphertext"])
        )
        await uow.commit()
    challenge = (await sign_in(sessions, callers.admin, "victim")).challenge
    error = await _error(complete(sessions, callers.admin, challenge.token, pyotp.TOTP(begun.secret).now()))
    assert rich_error(error).reason == "MFA_NOT_CONFIGURED"
