from __future__ import annotations

import grpc
import pytest
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import user_service_pb2 as upb
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from authtuna_grpc.services.clock import new_id, utc_now
from tests.callers import Callers
from tests.rich_status import rich_error
from tests.sign_ins import (
    STRONG,
    MovableClock,
    audit_rows,
    create_user,
    serving,
    sign_in,
    validate,
)

NEW_PASSWORD = "Battery-Staple-7"


async def _invalid(sessions, metadata, token: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await validate(sessions, metadata, token)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rich_error(caught.value).reason == "INVALID_SESSION"


async def test_suspension_ends_sessions_at_once_and_refuses_sign_in(
    users, sessions, callers: Callers
) -> None:
    user = await create_user(users, callers.admin, "suspendee")
    first = (await sign_in(sessions, callers.admin, "suspendee")).session.token
    second = (await sign_in(sessions, callers.admin, "suspendee@example.com")).session.token
    assert (await validate(sessions, callers.admin, first)).user.id == user.id

    await users.SuspendUser(upb.SuspendUserRequest(id=user.id, reason="fraud"), metadata=callers.admin)
    await _invalid(sessions, callers.admin, first)
    await _invalid(sessions, callers.admin, second)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sign_in(sessions, callers.admin, "suspendee")
    assert rich_error(caught.value).reason == "USER_SUSPENDED"

    # Lifting the suspension does not bring the old sessions back.
    await users.UnsuspendUser(upb.UnsuspendUserRequest(id=user.id, reason="ok"), metadata=callers.admin)
    await _invalid(sessions, callers.admin, first)
    fresh = (await sign_in(sessions, callers.admin, "suspendee")).session.token
    assert (await validate(sessions, callers.admin, fresh)).user.is_active


async def test_set_password_ends_the_old_sessions_and_the_old_password(
    users, sessions, callers: Callers
) -> None:
    user = await create_user(users, callers.admin, "changer")
    old = (await sign_in(sessions, callers.admin, "changer")).session.token
    await users.SetPassword(
        upb.SetPasswordRequest(id=user.id, password=NEW_PASSWORD), metadata=callers.admin
    )
    await _invalid(sessions, callers.admin, old)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sign_in(sessions, callers.admin, "changer", STRONG)
    assert rich_error(caught.value).reason == "INVALID_SIGN_IN"
    new = (await sign_in(sessions, callers.admin, "changer", NEW_PASSWORD)).session.token
    assert (await validate(sessions, callers.admin, new)).user.id == user.id


async def test_deleting_a_user_ends_its_sessions(users, sessions, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "leaver")
    token = (await sign_in(sessions, callers.admin, "leaver")).session.token
    await users.DeleteUser(upb.DeleteUserRequest(id=user.id), metadata=callers.admin)
    await _invalid(sessions, callers.admin, token)


async def test_validate_returns_the_user_roles_permissions_and_expiry(
    users, sessions, callers: Callers, units
) -> None:
    await create_user(users, callers.admin, "plain")
    signed = await sign_in(sessions, callers.admin, "plain")
    valid = await validate(sessions, callers.admin, signed.session.token)
    assert valid.user.username == "plain"
    assert valid.session.id == signed.session.session.id
    assert valid.session.expires_at == signed.session.session.expires_at
    assert list(valid.roles) == [] and list(valid.permissions) == []
    async with units() as uow:
        admin = await uow.users.by_username("admin")
        assert admin is not None
        role_id = await uow.roles.id_of("Member")
        assert role_id is not None
        user = await uow.users.by_username("plain")
        assert user is not None
        await uow.roles.assign(
            assignment_id=new_id(), user_id=user.id, role_id=role_id, scope="global",
            granted_by=admin.id, granted_at=utc_now(),
        )
        await uow.commit()
    valid = await validate(sessions, callers.admin, signed.session.token)
    assert list(valid.roles) == ["Member"] and list(valid.permissions) == ["users.read_basic"]


@pytest.mark.parametrize("token", ["ses_unknown", "x" * 600, "atk_test-admin-token-0123456789abcdefghijklmnopq"])
async def test_unknown_tokens_and_api_tokens_are_not_sessions(sessions, callers: Callers, token) -> None:
    await _invalid(sessions, callers.admin, token)


async def test_empty_token_is_invalid_argument(sessions, callers: Callers) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await validate(sessions, callers.admin, "")
    assert rich_error(caught.value).fields == ["session_token"]


async def test_sign_out_ends_only_that_session(users, sessions, callers: Callers, units) -> None:
    await create_user(users, callers.admin, "leaving")
    kept = (await sign_in(sessions, callers.admin, "leaving")).session.token
    ended = await sign_in(sessions, callers.admin, "leaving")
    request = spb.SignOutRequest(session_token=ended.session.token)
    assert (await sessions.SignOut(request, metadata=callers.admin)).revoked
    assert not (await sessions.SignOut(request, metadata=callers.admin)).revoked
    huge = spb.SignOutRequest(session_token="x" * 600)
    assert not (await sessions.SignOut(huge, metadata=callers.admin)).revoked
    await _invalid(sessions, callers.admin, ended.session.token)
    assert (await validate(sessions, callers.admin, kept)).user.username == "leaving"
    rows = await audit_rows(units, "SESSION_REVOKED")
    assert [(r.details["session_id"], r.details["how"]) for r in rows] == [
        (ended.session.session.id, "sign_out")
    ]


async def test_revoke_session_by_id_then_it_is_gone(users, sessions, callers: Callers) -> None:
    await create_user(users, callers.admin, "revokee")
    signed = await sign_in(sessions, callers.admin, "revokee")
    request = spb.RevokeSessionRequest(id=signed.session.session.id)
    revoked = (await sessions.RevokeSession(request, metadata=callers.admin)).session
    assert revoked.id == signed.session.session.id
    await _invalid(sessions, callers.admin, signed.session.token)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sessions.RevokeSession(request, metadata=callers.admin)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert rich_error(caught.value).reason == "SESSION_NOT_FOUND"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sessions.RevokeSession(spb.RevokeSessionRequest(id="nope"), metadata=callers.admin)
    assert rich_error(caught.value).fields == ["id"]


async def test_revoke_all_sessions_signs_the_user_out_everywhere(
    users, sessions, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "everywhere")
    tokens = [(await sign_in(sessions, callers.admin, "everywhere")).session.token for _ in range(3)]
    request = spb.RevokeAllSessionsRequest(user_id=user.id)
    assert (await sessions.RevokeAllSessions(request, metadata=callers.admin)).revoked_count == 3
    for token in tokens:
        await _invalid(sessions, callers.admin, token)
    assert (await sessions.RevokeAllSessions(request, metadata=callers.admin)).revoked_count == 0
    rows = await audit_rows(units, "SESSIONS_REVOKED_ALL")
    assert [r.details["revoked"] for r in rows] == ["3", "0"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sessions.RevokeAllSessions(
            spb.RevokeAllSessionsRequest(user_id="0190d5f0-0000-7000-8000-000000000000"),
            metadata=callers.admin,
        )
    assert rich_error(caught.value).reason == "USER_NOT_FOUND"


async def test_list_sessions_pages_through_live_sessions_with_their_ip(
    users, sessions, callers: Callers
) -> None:
    user = await create_user(users, callers.admin, "lister")
    started = [(await sign_in(sessions, callers.admin, "lister")).session for _ in range(3)]
    await sessions.SignOut(spb.SignOutRequest(session_token=started[1].token), metadata=callers.admin)
    first = await sessions.ListSessions(
        spb.ListSessionsRequest(user_id=user.id, limit=1), metadata=callers.admin
    )
    second = await sessions.ListSessions(
        spb.ListSessionsRequest(user_id=user.id, limit=1, page_token=first.next_page_token),
        metadata=callers.admin,
    )
    listed = [*first.sessions, *second.sessions]
    assert [s.id for s in listed] == [started[0].session.id, started[2].session.id]
    assert second.next_page_token == ""
    assert all(s.ip_address == "127.0.0.1" and s.user_id == user.id for s in listed)
    assert listed[0] == started[0].session


async def test_sessions_expire_when_idle_slide_with_use_and_end_at_their_lifetime(
    settings, callers: Callers
) -> None:
    clock = MovableClock()
    async with serving(
        settings,
        clock,
        session_idle_timeout_seconds=600,
        session_lifetime_seconds=1800,
        session_refresh_seconds=60,
    ) as served:
        await create_user(served.users, callers.admin, "sliding")
        await create_user(served.users, callers.admin, "idler")
        sliding = (await sign_in(served.sessions, callers.admin, "sliding")).session
        idle = (await sign_in(served.sessions, callers.admin, "idler")).session.token
        for _ in range(5):  # used every 5 minutes: alive for 25 minutes
            clock.advance(minutes=5)
            valid = await validate(served.sessions, callers.admin, sliding.token)
            assert valid.session.idle_expires_at.ToDatetime() > sliding.session.idle_expires_at.ToDatetime()
            if _ == 1:
                await _invalid(served.sessions, callers.admin, idle)  # 10 idle minutes
        assert valid.session.last_seen_at.seconds == int(clock.now.timestamp())
        clock.advance(minutes=4, seconds=59)  # 29:59 after sign-in
        await validate(served.sessions, callers.admin, sliding.token)
        clock.advance(seconds=1)  # the absolute lifetime is up, however active
        await _invalid(served.sessions, callers.admin, sliding.token)


async def test_validation_writes_last_seen_at_most_once_per_refresh_interval(
    settings, callers: Callers
) -> None:
    clock = MovableClock()
    async with serving(settings, clock, session_refresh_seconds=60) as served:
        await create_user(served.users, callers.admin, "seen")
        signed = (await sign_in(served.sessions, callers.admin, "seen")).session
        clock.advance(seconds=30)
        valid = await validate(served.sessions, callers.admin, signed.token)
        assert valid.session.last_seen_at == signed.session.last_seen_at
        clock.advance(seconds=31)
        valid = await validate(served.sessions, callers.admin, signed.token)
        assert valid.session.last_seen_at.seconds == int(clock.now.timestamp())


async def test_session_service_reports_health_and_is_listed_by_reflection(channel) -> None:
    name = "authtuna_api.user.v1.SessionService"
    health = health_pb2_grpc.HealthStub(channel)
    response = await health.Check(health_pb2.HealthCheckRequest(service=name))
    assert response.status == health_pb2.HealthCheckResponse.SERVING
    call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    listed = await call.read()
    await call.done_writing()
    assert name in {s.name for s in listed.list_services_response.service}
