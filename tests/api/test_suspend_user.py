from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb

from authtuna_grpc.storage import tables
from tests.accounts import account, add_session, audit_events, create_user, get_user, rows
from tests.callers import Callers
from tests.rich_status import rich_error


async def failure(call) -> object:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


def suspend(user_id: str, reason: str = "policy violation") -> pb.SuspendUserRequest:
    return pb.SuspendUserRequest(id=user_id, reason=reason)


def unsuspend(user_id: str, reason: str = "appeal granted") -> pb.UnsuspendUserRequest:
    return pb.UnsuspendUserRequest(id=user_id, reason=reason)


async def test_suspend_deactivates_the_user_and_stores_the_reason(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "suspect")
    suspended = (await users.SuspendUser(suspend(user.id, "spam\nsee ticket 7"), metadata=callers.admin)).user
    assert not suspended.is_active
    assert suspended.suspension_reason == "spam\nsee ticket 7"
    assert suspended.HasField("suspended_at") and suspended.etag != user.etag
    assert (await get_user(users, callers.admin, "suspect")).suspension_reason == "spam\nsee ticket 7"


async def test_suspend_writes_one_event_with_actor_reason_and_ip(users, callers: Callers, units) -> None:
    admin = await get_user(users, callers.admin, "admin")
    user = await create_user(users, callers.admin, "evented")
    await users.SuspendUser(suspend(user.id, "fraud"), metadata=(*callers.admin, ("x-request-id", "s-1")))
    [event] = await audit_events(units, user.id, "USER_SUSPENDED")
    assert str(event["actor_id"]) == admin.id
    assert event["ip_address"] == "127.0.0.1"
    assert event["request_id"] == "s-1"
    assert event["details"] == {
        "reason": "fraud",
        "sessions_revoked": "0",
        "api_tokens_revoked": "0",
        "sign_in_challenges_removed": "0",
    }


async def test_suspending_twice_is_failed_precondition_without_a_second_event(
    users, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "twice")
    await users.SuspendUser(suspend(user.id), metadata=callers.admin)
    error = await failure(users.SuspendUser(suspend(user.id, "again"), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "USER_ALREADY_SUSPENDED")
    assert len(await audit_events(units, user.id, "USER_SUSPENDED")) == 1
    assert (await get_user(users, callers.admin, "twice")).suspension_reason == "policy violation"


async def test_concurrent_suspensions_yield_one_success_and_one_event(
    users, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "contested")
    results = await asyncio.gather(
        *(users.SuspendUser(suspend(user.id, f"r{i}"), metadata=callers.admin) for i in range(4)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(errors) == 3
    assert {rich_error(e).reason for e in errors} == {"USER_ALREADY_SUSPENDED"}
    assert len(await audit_events(units, user.id, "USER_SUSPENDED")) == 1


async def test_unsuspending_an_active_user_is_failed_precondition(users, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "active")
    error = await failure(users.UnsuspendUser(unsuspend(user.id), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "USER_NOT_SUSPENDED")
    assert await audit_events(units, user.id, "USER_UNSUSPENDED") == []


async def test_unsuspend_reactivates_and_clears_the_suspension(users, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "returning")
    await users.SuspendUser(suspend(user.id, "cooling off"), metadata=callers.admin)
    back = (await users.UnsuspendUser(unsuspend(user.id, "served"), metadata=callers.admin)).user
    assert back.is_active and not back.HasField("suspended_at") and back.suspension_reason == ""
    [event] = await audit_events(units, user.id, "USER_UNSUSPENDED")
    assert event["details"] == {"reason": "served", "suspension_reason": "cooling off"}
    assert event["ip_address"] == "127.0.0.1" and event["actor_id"] is not None


async def test_suspended_service_account_token_is_unauthenticated_on_its_next_call(
    users, callers: Callers, units
) -> None:
    manager = await account(units, "svc-manager", "UserManager")
    await users.GetUser(pb.GetUserRequest(id=manager.id), metadata=manager.metadata)
    await users.SuspendUser(suspend(manager.id), metadata=callers.admin)
    error = await failure(users.GetUser(pb.GetUserRequest(id=manager.id), metadata=manager.metadata))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")


async def test_suspension_revokes_sessions_and_tokens_which_stay_revoked(
    users, callers: Callers, units
) -> None:
    target = await account(units, "revoked", "Auditor")
    bystander = await account(units, "bystander-s", "Auditor")
    session = await add_session(units, target.id)
    await users.SuspendUser(suspend(target.id), metadata=callers.admin)
    [row] = await rows(units, tables.session, tables.session.c.id == session)
    assert row["revoked_at"] is not None
    tokens = await rows(units, tables.api_token, tables.api_token.c.user_id == uuid.UUID(target.id))
    assert tokens and all(t["revoked_at"] is not None for t in tokens)
    [event] = await audit_events(units, target.id, "USER_SUSPENDED")
    assert event["details"]["sessions_revoked"] == "1"
    assert event["details"]["api_tokens_revoked"] == "1"
    await users.UnsuspendUser(unsuspend(target.id), metadata=callers.admin)
    error = await failure(users.GetUser(pb.GetUserRequest(id=target.id), metadata=target.metadata))
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    await users.GetUser(pb.GetUserRequest(id=target.id), metadata=bystander.metadata)


async def test_caller_cannot_suspend_itself(users, callers: Callers, units) -> None:
    manager = await account(units, "self-suspender", "UserManager")
    error = await failure(users.SuspendUser(suspend(manager.id), metadata=manager.metadata))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CANNOT_SUSPEND_SELF")
    assert await audit_events(units, manager.id, "USER_SUSPENDED") == []


async def test_last_active_admin_cannot_be_suspended(users, callers: Callers, units) -> None:
    manager = await account(units, "coup", "UserManager")
    admin = await get_user(users, callers.admin, "admin")
    error = await failure(users.SuspendUser(suspend(admin.id), metadata=manager.metadata))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "LAST_ADMIN")
    assert (await get_user(users, callers.admin, "admin")).is_active
    assert await audit_events(units, admin.id, "USER_SUSPENDED") == []
    await users.GetUser(pb.GetUserRequest(id=admin.id), metadata=callers.admin)  # token still valid


async def test_an_admin_may_be_suspended_while_another_active_admin_remains(
    users, callers: Callers, units
) -> None:
    second = await account(units, "second-admin", "Admin")
    admin = await get_user(users, callers.admin, "admin")
    await users.SuspendUser(suspend(admin.id), metadata=second.metadata)
    error = await failure(users.SuspendUser(suspend(second.id), metadata=(await account(units, "mgr", "UserManager")).metadata))
    assert error.reason == "LAST_ADMIN"


async def test_two_admins_suspended_at_once_leave_one_active(users, callers: Callers, units) -> None:
    second = await account(units, "twin-admin", "Admin")
    manager = await account(units, "racing-mgr", "UserManager")
    admin = await get_user(users, callers.admin, "admin")
    results = await asyncio.gather(
        users.SuspendUser(suspend(admin.id), metadata=manager.metadata),
        users.SuspendUser(suspend(second.id), metadata=manager.metadata),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert [rich_error(e).reason for e in errors] == ["LAST_ADMIN"]
    active = [u.is_active for u in (await get_user(users, manager.metadata, "admin"), await get_user(users, manager.metadata, "twin-admin"))]
    assert sorted(active) == [False, True]


@pytest.mark.parametrize(
    "reason", ["", "   ", "x" * 501, "bad\x00reason", "bell\x07"],
)
async def test_bad_reason_is_invalid_argument_naming_reason(users, callers: Callers, reason: str) -> None:
    user = await create_user(users, callers.admin, "reasoned")
    for call in (users.SuspendUser(suspend(user.id, reason), metadata=callers.admin),):
        error = await failure(call)
        assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["reason"])
    await users.SuspendUser(suspend(user.id), metadata=callers.admin)
    error = await failure(users.UnsuspendUser(unsuspend(user.id, reason), metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["reason"])


async def test_reason_of_500_characters_is_accepted(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "longwinded")
    suspended = (await users.SuspendUser(suspend(user.id, "é" * 500), metadata=callers.admin)).user
    assert suspended.suspension_reason == "é" * 500


@pytest.mark.parametrize("rpc", ["SuspendUser", "UnsuspendUser"])
async def test_unknown_user_is_not_found(users, callers: Callers, rpc: str) -> None:
    request = (suspend if rpc == "SuspendUser" else unsuspend)(str(uuid.uuid4()))
    error = await failure(getattr(users, rpc)(request, metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND")


@pytest.mark.parametrize("rpc", ["SuspendUser", "UnsuspendUser"])
async def test_suspension_needs_users_suspend(users, callers: Callers, units, rpc: str) -> None:
    auditor = await account(units, "auditor-s", "Auditor")
    request = (suspend if rpc == "SuspendUser" else unsuspend)(auditor.id)
    error = await failure(getattr(users, rpc)(request, metadata=auditor.metadata))
    assert (error.code, error.metadata) == (grpc.StatusCode.PERMISSION_DENIED, {"permission": "users.suspend"})
