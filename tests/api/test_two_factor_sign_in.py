"""Two-factor sign-in against a real server: challenges, TOTP codes, recovery codes."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import grpc
import pytest
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import user_pb2
from authtuna_api.user.v1 import user_service_pb2 as upb

from authtuna_grpc.storage import tables
from tests.accounts import count, rows
from tests.callers import Callers, Metadata
from tests.rich_status import rich_error
from tests.sign_ins import MovableClock, Served, audit_rows, create_user, serving, sign_in, validate
from tests.two_factor import Enrolled, code_at, complete, enrol

STEP = timedelta(seconds=30)


@dataclass
class Scene:
    served: Served
    clock: MovableClock
    admin: Metadata

    @property
    def sessions(self):
        return self.served.sessions

    async def enrolled(self, username: str) -> tuple[user_pb2.User, Enrolled]:
        """A user with a confirmed authenticator; the clock is moved past the
        confirming code's step, so the next code is a fresh one."""
        user = await create_user(self.served.users, self.admin, username)
        enrolled = await enrol(self.sessions, self.admin, user.id, self.clock.now)
        self.clock.advance(seconds=30)
        return user, enrolled

    async def challenge(self, identity: str) -> spb.SignInChallenge:
        response = await sign_in(self.sessions, self.admin, identity)
        assert response.WhichOneof("result") == "challenge"
        return response.challenge

    async def refused(self, token: str, code: str) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await complete(self.sessions, self.admin, token, code)
        return caught.value


@pytest.fixture
async def scene(settings, callers: Callers) -> AsyncIterator[Scene]:
    clock = MovableClock()
    async with serving(settings, clock) as served:
        yield Scene(served, clock, callers.admin)


def _is(error: grpc.aio.AioRpcError, code: grpc.StatusCode, reason: str) -> bool:
    return error.code() == code and rich_error(error).reason == reason


async def test_enrol_sign_in_challenge_complete_starts_a_session(scene: Scene) -> None:
    user, enrolled = await scene.enrolled("ada")
    response = await sign_in(scene.sessions, scene.admin, "ada")
    challenge = response.challenge
    assert response.WhichOneof("result") == "challenge" and not response.HasField("user")
    assert challenge.token.startswith("chl_") and len(challenge.token) >= 40
    assert challenge.expires_at.seconds == int(scene.clock.now.timestamp()) + 300
    assert await count(scene.served.units, tables.session, tables.session.c.id.is_not(None)) == 0

    scene.clock.advance(seconds=10)
    done = await complete(scene.sessions, scene.admin, challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert done.user.id == user.id and done.user.HasField("last_login_at")
    assert done.session.token.startswith("ses_") and done.session.session.user_id == user.id
    assert not done.used_recovery_code and done.recovery_codes_remaining == 10
    assert (await validate(scene.sessions, scene.admin, done.session.token)).user.id == user.id
    [issued] = await audit_rows(scene.served.units, "MFA_CHALLENGE_ISSUED")
    [success] = await audit_rows(scene.served.units, "LOGIN_SUCCESS")
    assert success.details["second_factor"] == "totp"
    assert success.details["challenge_id"] == issued.details["challenge_id"]
    assert success.details["session_id"] == done.session.session.id


async def test_the_password_alone_never_yields_a_session_for_an_enrolled_user(scene: Scene) -> None:
    user, _ = await scene.enrolled("grace")
    for identity in ("grace", "GRACE", "Grace@Example.com"):
        response = await sign_in(scene.sessions, scene.admin, identity)
        assert response.WhichOneof("result") == "challenge"
        assert not response.HasField("user") and not response.HasField("session")
        # A challenge token is no session token.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await validate(scene.sessions, scene.admin, response.challenge.token)
        assert rich_error(caught.value).reason == "INVALID_SESSION"
    assert await count(scene.served.units, tables.session, tables.session.c.id.is_not(None)) == 0
    assert await audit_rows(scene.served.units, "LOGIN_SUCCESS") == []
    [stored] = await rows(scene.served.units, tables.user, tables.user.c.username == "grace")
    assert stored["last_login_at"] is None
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sign_in(scene.sessions, scene.admin, "grace", "Wrong-Horse-9")
    assert _is(caught.value, grpc.StatusCode.UNAUTHENTICATED, "INVALID_SIGN_IN")


async def test_a_pending_enrolment_leaves_sign_in_unchanged(scene: Scene) -> None:
    user = await create_user(scene.served.users, scene.admin, "pending")
    await scene.sessions.BeginTotpEnrollment(
        spb.BeginTotpEnrollmentRequest(user_id=user.id), metadata=scene.admin
    )
    assert (await sign_in(scene.sessions, scene.admin, "pending")).WhichOneof("result") == "session"


async def test_a_totp_code_is_accepted_once(scene: Scene) -> None:
    _, enrolled = await scene.enrolled("replay")
    code = code_at(enrolled.secret, scene.clock.now)
    await complete(scene.sessions, scene.admin, (await scene.challenge("replay")).token, code)
    second = await scene.challenge("replay")
    replayed = await scene.refused(second.token, code)
    assert _is(replayed, grpc.StatusCode.UNAUTHENTICATED, "INVALID_SECOND_FACTOR")
    # A code of an earlier step (still within the skew) is refused too.
    scene.clock.advance(seconds=30)
    earlier = await scene.refused(second.token, code_at(enrolled.secret, scene.clock.now - STEP))
    assert rich_error(earlier).reason == "INVALID_SECOND_FACTOR"
    causes = [row.details["cause"] for row in await audit_rows(scene.served.units, "MFA_CHALLENGE_FAILED")]
    assert causes == ["replayed_code", "replayed_code"]
    # The next step's code works.
    await complete(scene.sessions, scene.admin, second.token, code_at(enrolled.secret, scene.clock.now))


async def test_the_code_that_confirmed_enrolment_cannot_complete_a_sign_in(scene: Scene) -> None:
    user = await create_user(scene.served.users, scene.admin, "confirmer")
    enrolled = await enrol(scene.sessions, scene.admin, user.id, scene.clock.now)
    challenge = await scene.challenge("confirmer")
    refused = await scene.refused(challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert rich_error(refused).reason == "INVALID_SECOND_FACTOR"


async def test_codes_of_the_adjacent_steps_are_accepted_and_older_ones_are_not(scene: Scene) -> None:
    _, enrolled = await scene.enrolled("drift")
    scene.clock.advance(seconds=120)
    now = scene.clock.now
    too_old = await scene.refused((await scene.challenge("drift")).token, code_at(enrolled.secret, now - 2 * STEP))
    assert rich_error(too_old).reason == "INVALID_SECOND_FACTOR"
    await complete(scene.sessions, scene.admin, (await scene.challenge("drift")).token, code_at(enrolled.secret, now - STEP))
    await complete(scene.sessions, scene.admin, (await scene.challenge("drift")).token, code_at(enrolled.secret, now + STEP))


async def test_an_expired_challenge_is_refused(scene: Scene) -> None:
    _, enrolled = await scene.enrolled("late")
    challenge = await scene.challenge("late")
    scene.clock.advance(seconds=300)
    refused = await scene.refused(challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert _is(refused, grpc.StatusCode.UNAUTHENTICATED, "INVALID_CHALLENGE")
    # Nothing was counted or used: a fresh challenge takes the same code.
    assert await audit_rows(scene.served.units, "MFA_CHALLENGE_FAILED") == []
    fresh = await scene.challenge("late")
    await complete(scene.sessions, scene.admin, fresh.token, code_at(enrolled.secret, scene.clock.now))


async def test_a_challenge_is_single_use(scene: Scene) -> None:
    _, enrolled = await scene.enrolled("once")
    challenge = await scene.challenge("once")
    await complete(scene.sessions, scene.admin, challenge.token, code_at(enrolled.secret, scene.clock.now))
    scene.clock.advance(seconds=30)
    again = await scene.refused(challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert rich_error(again).reason == "INVALID_CHALLENGE"
    unknown = await scene.refused("chl_" + "x" * 43, "123456")
    assert rich_error(unknown).reason == "INVALID_CHALLENGE"


async def test_a_recovery_code_works_once(scene: Scene) -> None:
    user, enrolled = await scene.enrolled("lost-phone")
    code = enrolled.recovery_codes[3]
    typed = code.replace("-", " ").upper()  # as a person might type it
    done = await complete(scene.sessions, scene.admin, (await scene.challenge("lost-phone")).token, typed)
    assert done.user.id == user.id and done.used_recovery_code
    assert done.recovery_codes_remaining == 9
    [used] = await audit_rows(scene.served.units, "RECOVERY_CODE_USED")
    assert used.details["recovery_codes_remaining"] == "9"
    [success] = await audit_rows(scene.served.units, "LOGIN_SUCCESS")
    assert success.details["second_factor"] == "recovery_code"

    refused = await scene.refused((await scene.challenge("lost-phone")).token, code)
    assert _is(refused, grpc.StatusCode.UNAUTHENTICATED, "INVALID_SECOND_FACTOR")
    [failed] = await audit_rows(scene.served.units, "MFA_CHALLENGE_FAILED")
    assert failed.details["cause"] == "used_recovery_code"


async def test_regenerated_recovery_codes_replace_the_old_set(scene: Scene) -> None:
    user, enrolled = await scene.enrolled("regen")
    new = await scene.sessions.RegenerateRecoveryCodes(
        spb.RegenerateRecoveryCodesRequest(user_id=user.id), metadata=scene.admin
    )
    assert len(new.recovery_codes) == 10 and not set(new.recovery_codes) & set(enrolled.recovery_codes)
    old = await scene.refused((await scene.challenge("regen")).token, enrolled.recovery_codes[0])
    assert rich_error(old).reason == "INVALID_SECOND_FACTOR"
    done = await complete(scene.sessions, scene.admin, (await scene.challenge("regen")).token, new.recovery_codes[0])
    assert done.recovery_codes_remaining == 9
    assert len(await audit_rows(scene.served.units, "RECOVERY_CODES_REGENERATED")) == 1


async def test_too_many_wrong_codes_void_the_challenge(scene: Scene) -> None:
    _, enrolled = await scene.enrolled("typo")
    challenge = await scene.challenge("typo")
    left = []
    for wrong in ("000000", "not-a-code", "zzzzz-zzzzz"):
        error = await scene.refused(challenge.token, wrong)
        assert rich_error(error).reason == "INVALID_SECOND_FACTOR"
        left.append(rich_error(error).metadata["attempts_left"])
    assert left == ["2", "1", "0"]
    void = await scene.refused(challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert rich_error(void).reason == "INVALID_CHALLENGE"
    attempts = [row.details["failed_attempts"] for row in await audit_rows(scene.served.units, "MFA_CHALLENGE_FAILED")]
    assert attempts == ["1", "2", "3"]


async def test_wrong_codes_count_towards_the_account_lockout(settings, callers: Callers) -> None:
    clock = MovableClock()
    async with serving(settings, clock, sign_in_max_failures=4, mfa_challenge_max_attempts=3) as served:
        scene = Scene(served, clock, callers.admin)
        user, enrolled = await scene.enrolled("guessed")
        with pytest.raises(grpc.aio.AioRpcError):
            await sign_in(scene.sessions, scene.admin, "guessed", "Wrong-Horse-9")
        first = await scene.challenge("guessed")
        for wrong in ("111111", "222222"):
            await scene.refused(first.token, wrong)
        # The password was right in between, yet the count goes on: 1 + 2, then 1 more.
        second = await scene.challenge("guessed")
        await scene.refused(second.token, "333333")
        [locked] = await audit_rows(served.units, "ACCOUNT_LOCKED")
        assert str(locked.user_id) == user.id and locked.details["failures"] == "4"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await sign_in(scene.sessions, scene.admin, "guessed")
        assert _is(caught.value, grpc.StatusCode.RESOURCE_EXHAUSTED, "SIGN_IN_LOCKED")
        # Even the right code is refused while the account is locked.
        refused = await scene.refused(second.token, code_at(enrolled.secret, clock.now))
        assert _is(refused, grpc.StatusCode.RESOURCE_EXHAUSTED, "SIGN_IN_LOCKED")
        causes = [row.details["cause"] for row in await audit_rows(served.units, "MFA_CHALLENGE_FAILED")]
        assert causes == ["wrong_code", "wrong_code", "wrong_code", "locked"]


async def test_a_completed_sign_in_resets_the_failure_count(settings, callers: Callers) -> None:
    clock = MovableClock()
    async with serving(settings, clock, sign_in_max_failures=3) as served:
        scene = Scene(served, clock, callers.admin)
        _, enrolled = await scene.enrolled("recovering")
        for _ in range(2):
            challenge = await scene.challenge("recovering")
            await scene.refused(challenge.token, "999999")
            await complete(scene.sessions, scene.admin, challenge.token, code_at(enrolled.secret, clock.now))
            clock.advance(seconds=30)
        assert await audit_rows(served.units, "ACCOUNT_LOCKED") == []


async def test_one_code_completes_only_one_of_two_concurrent_sign_ins(scene: Scene) -> None:
    _, enrolled = await scene.enrolled("racer")
    first, second = await scene.challenge("racer"), await scene.challenge("racer")
    code = code_at(enrolled.secret, scene.clock.now)
    results = await asyncio.gather(
        complete(scene.sessions, scene.admin, first.token, code),
        complete(scene.sessions, scene.admin, second.token, code),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(errors) == 1 and rich_error(errors[0]).reason == "INVALID_SECOND_FACTOR"
    assert await count(scene.served.units, tables.session, tables.session.c.id.is_not(None)) == 1


async def test_one_challenge_completes_only_once_when_raced(scene: Scene) -> None:
    _, enrolled = await scene.enrolled("twice")
    challenge = await scene.challenge("twice")
    results = await asyncio.gather(
        complete(scene.sessions, scene.admin, challenge.token, code_at(enrolled.secret, scene.clock.now)),
        complete(scene.sessions, scene.admin, challenge.token, enrolled.recovery_codes[0]),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(errors) == 1 and rich_error(errors[0]).reason in {"INVALID_CHALLENGE", "INVALID_SECOND_FACTOR"}
    assert await count(scene.served.units, tables.session, tables.session.c.id.is_not(None)) == 1


async def test_suspension_withdraws_pending_challenges(scene: Scene) -> None:
    user, enrolled = await scene.enrolled("suspect")
    challenge = await scene.challenge("suspect")
    await scene.served.users.SuspendUser(upb.SuspendUserRequest(id=user.id, reason="fraud"), metadata=scene.admin)
    assert await count(scene.served.units, tables.sign_in_challenge, tables.sign_in_challenge.c.user_id == uuid.UUID(user.id)) == 0
    [event] = await audit_rows(scene.served.units, "USER_SUSPENDED")
    assert event.details["sign_in_challenges_removed"] == "1"
    refused = await scene.refused(challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert rich_error(refused).reason == "INVALID_CHALLENGE"


async def test_a_password_change_withdraws_pending_challenges(scene: Scene) -> None:
    user, enrolled = await scene.enrolled("changer")
    challenge = await scene.challenge("changer")
    await scene.served.users.SetPassword(
        upb.SetPasswordRequest(id=user.id, password="Battery-Staple-7"), metadata=scene.admin
    )
    refused = await scene.refused(challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert rich_error(refused).reason == "INVALID_CHALLENGE"


async def test_deletion_removes_the_secret_codes_and_challenges(scene: Scene) -> None:
    user, enrolled = await scene.enrolled("leaver")
    challenge = await scene.challenge("leaver")
    await scene.served.users.DeleteUser(upb.DeleteUserRequest(id=user.id, reason="asked"), metadata=scene.admin)
    user_id = uuid.UUID(user.id)
    for table in (tables.totp_factor, tables.recovery_code, tables.sign_in_challenge):
        assert await count(scene.served.units, table, table.c.user_id == user_id) == 0, table.name
    refused = await scene.refused(challenge.token, code_at(enrolled.secret, scene.clock.now))
    assert rich_error(refused).reason == "INVALID_CHALLENGE"


async def test_challenge_tokens_are_stored_only_as_sha256_digests(scene: Scene) -> None:
    await scene.enrolled("digested")
    challenge = await scene.challenge("digested")
    [stored] = await rows(scene.served.units, tables.sign_in_challenge)
    assert stored["token_hash"] == hashlib.sha256(challenge.token.encode()).hexdigest()


async def test_complete_sign_in_validates_its_input(scene: Scene) -> None:
    for token, code, field in (("", "123456", "challenge_token"), ("chl_x", "", "code"), ("chl_x", "1" * 65, "code")):
        error = await scene.refused(token, code)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert rich_error(error).fields == [field]
