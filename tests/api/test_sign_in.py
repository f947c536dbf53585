from __future__ import annotations

import hashlib
import statistics
import time

import grpc
import pytest
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import user_service_pb2 as upb
from sqlalchemy import select

from authtuna_grpc.storage import tables
from tests.callers import Callers, bearer, token_for_new_user
from tests.rich_status import rich_error
from tests.sign_ins import STRONG, audit_rows, create_user, serving, sign_in, validate


async def test_sign_in_by_username_or_email_case_insensitively_starts_a_session(
    users, sessions, callers: Callers
) -> None:
    created = await create_user(users, callers.admin, "ada")
    for identity in ("ADA", "Ada@Example.COM"):
        response = await sign_in(sessions, callers.admin, identity)
        assert response.WhichOneof("result") == "session"
        assert response.user.id == created.id
        assert response.user.HasField("last_login_at")
        assert response.user.etag != created.etag
        started = response.session
        assert started.token.startswith("ses_") and len(started.token) >= 40
        assert started.session.user_id == created.id
        assert started.session.ip_address == "127.0.0.1"
        assert started.session.expires_at.seconds > started.session.idle_expires_at.seconds
        assert started.session.created_at == started.session.last_seen_at


async def test_session_tokens_are_stored_only_as_sha256_digests(
    users, sessions, callers: Callers, units
) -> None:
    await create_user(users, callers.admin, "digest")
    token = (await sign_in(sessions, callers.admin, "digest")).session.token
    async with units() as uow:
        stored = (
            await uow.users._connection.execute(select(tables.session.c.token_hash))
        ).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


async def _failure(sessions, metadata, identity: str, password: str):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sign_in(sessions, metadata, identity, password)
    return caught.value


async def test_wrong_password_unknown_identity_and_no_password_fail_identically(
    users, sessions, callers: Callers
) -> None:
    await create_user(users, callers.admin, "known")
    await create_user(users, callers.admin, "social", password=None)
    failures = [
        await _failure(sessions, callers.admin, "known", "Wrong-Horse-9"),
        await _failure(sessions, callers.admin, "known@example.com", "Wrong-Horse-9"),
        await _failure(sessions, callers.admin, "nobody", "Wrong-Horse-9"),
        await _failure(sessions, callers.admin, "nobody@example.com", STRONG),
        await _failure(sessions, callers.admin, "social", STRONG),
    ]
    seen = {
        (e.code(), e.details(), rich_error(e).reason, str(rich_error(e).metadata), len(rich_error(e).fields))
        for e in failures
    }
    assert seen == {
        (
            grpc.StatusCode.UNAUTHENTICATED,
            "the identity or password is not correct",
            "INVALID_SIGN_IN",
            "{}",
            0,
        )
    }
    # The trailers are byte-for-byte the same, too (but for the echo of each call's own
    # request id).
    trailers = {
        tuple((k, v) for k, v in e.trailing_metadata() if k != "x-request-id") for e in failures
    }
    assert len(trailers) == 1


async def test_unknown_user_costs_about_as_much_as_a_wrong_password(settings, callers) -> None:
    # argon2 costs that dominate a call (several ms), unlike the suite's cheap default.
    async with serving(
        settings,
        argon2_time_cost=2,
        argon2_memory_kib=4096,
        sign_in_max_failures=10_000,
        sign_in_max_failures_per_ip=0,
    ) as served:
        await create_user(served.users, callers.admin, "timed")
        known, unknown = [], []
        for _ in range(15):
            for identity, samples in (("timed", known), ("untimed", unknown)):
                started = time.perf_counter()
                await _failure(served.sessions, callers.admin, identity, "Wrong-Horse-9")
                samples.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.3 <= ratio <= 3, (statistics.median(unknown), statistics.median(known))


async def test_suspended_user_is_told_only_when_the_password_is_right(
    users, sessions, callers: Callers
) -> None:
    user = await create_user(users, callers.admin, "paused")
    await users.SuspendUser(upb.SuspendUserRequest(id=user.id, reason="audit"), metadata=callers.admin)
    wrong = await _failure(sessions, callers.admin, "paused", "Wrong-Horse-9")
    assert rich_error(wrong).reason == "INVALID_SIGN_IN"
    right = await _failure(sessions, callers.admin, "paused", STRONG)
    assert right.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rich_error(right).reason == "USER_SUSPENDED"


@pytest.mark.parametrize(
    ("identity", "password", "fields"),
    [
        ("", STRONG, ["identity"]),
        ("someone", "", ["password"]),
        ("x" * 255, STRONG, ["identity"]),
        ("someone", "A1-" + "x" * 1022, ["password"]),
        ("someone", "Correct\x00Horse-9", ["password"]),
        ("", "", ["identity", "password"]),
    ],
    ids=["no-identity", "no-password", "long-identity", "long-password", "nul", "neither"],
)
async def test_impossible_input_is_invalid_argument_before_any_check(
    sessions, callers: Callers, units, identity, password, fields
) -> None:
    error = await _failure(sessions, callers.admin, identity, password)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rich_error(error).fields == fields
    # Nothing was verified, so nothing was counted or audited.
    assert await audit_rows(units, "LOGIN_FAILED") == []


async def test_a_password_of_exactly_the_limit_signs_in(users, sessions, callers: Callers) -> None:
    longest = "A1-" + "x" * 1021
    await create_user(users, callers.admin, "longest", password=longest)
    assert (await sign_in(sessions, callers.admin, "longest", longest)).session.token


async def test_sign_ins_are_audited_with_cause_ip_and_session_but_no_secret(
    users, sessions, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "audited")
    await create_user(users, callers.admin, "nopass", password=None)
    signed = await sign_in(sessions, callers.admin, "audited@example.com")
    for identity in ("audited", "ghost", "nopass"):
        await _failure(sessions, callers.admin, identity, "Secret-Guess-1")
    rows = await audit_rows(units, "LOGIN_SUCCESS", "LOGIN_FAILED")
    admin = (await users.GetUser(upb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    assert [(r.event_type, r.details.get("cause")) for r in rows] == [
        ("LOGIN_SUCCESS", None),
        ("LOGIN_FAILED", "wrong_password"),
        ("LOGIN_FAILED", "unknown_user"),
        ("LOGIN_FAILED", "no_password"),
    ]
    assert rows[0].details["session_id"] == signed.session.session.id
    assert rows[0].details["identity_kind"] == "email"
    assert str(rows[0].user_id) == user.id and str(rows[0].actor_id) == admin.id
    assert rows[2].user_id is None
    assert all(r.ip_address == "127.0.0.1" for r in rows)
    for row in rows:
        text = str(row.details)
        assert STRONG not in text and "Secret-Guess-1" not in text and "ghost" not in text


async def test_sign_in_service_role_signs_in_and_validates_but_cannot_manage(
    users, sessions, callers: Callers, units
) -> None:
    frontend = bearer(await token_for_new_user(units, "frontend", "SignInService"))
    user = await create_user(users, callers.admin, "enduser")
    token = (await sign_in(sessions, frontend, "enduser")).session.token
    assert (await validate(sessions, frontend, token)).user.id == user.id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sessions.ListSessions(spb.ListSessionsRequest(user_id=user.id), metadata=frontend)
    assert rich_error(caught.value).metadata == {"permission": "sessions.manage"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sign_in(sessions, callers.member, "enduser")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_new_argon2_parameters_rehash_the_password_at_the_next_sign_in(
    users, sessions, callers: Callers, settings, units
) -> None:
    await create_user(users, callers.admin, "rehash")

    async def stored_hash() -> str:
        async with units() as uow:
            query = select(tables.user.c.password_hash).where(tables.user.c.username == "rehash")
            return str((await uow.users._connection.execute(query)).scalar_one())

    before = await stored_hash()
    assert "$m=64,t=1,p=1$" in before
    async with serving(settings, argon2_memory_kib=128, argon2_time_cost=2) as stronger:
        await sign_in(stronger.sessions, callers.admin, "rehash")
        after = await stored_hash()
        assert "$m=128,t=2,p=1$" in after
        # The new hash verifies, on this server and on the old one, and is not redone.
        await sign_in(stronger.sessions, callers.admin, "rehash")
        assert await stored_hash() == after
    await sign_in(sessions, callers.admin, "rehash")
    rows = await audit_rows(units, "LOGIN_SUCCESS")
    assert [r.details["rehashed"] for r in rows] == ["true", "false", "true"]
