from __future__ import annotations

import uuid

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb

from authtuna_grpc.storage import tables
from tests.accounts import (
    STRONG,
    account,
    account_with_permissions,
    add_session,
    audit_events,
    count,
    create_user,
    get_user,
    rows,
)
from tests.callers import Callers
from tests.rich_status import rich_error


async def failure(call) -> object:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


def assignments_of(units, user_id: str):
    return rows(units, tables.role_assignment, tables.role_assignment.c.user_id == uuid.UUID(user_id))


async def test_delete_archives_the_user_without_its_password_hash(users, callers: Callers, units) -> None:
    admin = await get_user(users, callers.admin, "admin")
    user = await create_user(
        users, callers.admin, "leaver", password=STRONG, attributes={"team": "core"}, email_verified=True
    )
    await users.SuspendUser(pb.SuspendUserRequest(id=user.id, reason="leaving"), metadata=callers.admin)
    record = (
        await users.DeleteUser(pb.DeleteUserRequest(id=user.id, reason="GDPR request"), metadata=callers.admin)
    ).deleted_user
    assert (record.id, record.email, record.username) == (user.id, "leaver@example.com", "leaver")
    assert dict(record.attributes) == {"team": "core"} and record.email_verified
    assert record.created_at == user.created_at
    assert record.suspension_reason == "leaving" and record.HasField("suspended_at")
    assert record.deleted_by == admin.id and record.reason == "GDPR request"
    [archived] = await rows(units, tables.deleted_user, tables.deleted_user.c.id == uuid.UUID(user.id))
    assert not any("password" in column for column in archived)
    assert not any("argon2" in str(value) for value in archived.values())
    fetched = (await users.GetDeletedUser(pb.GetDeletedUserRequest(id=user.id), metadata=callers.admin)).deleted_user
    assert fetched == record


async def test_deleted_user_is_gone(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "vanishing")
    await users.DeleteUser(pb.DeleteUserRequest(id=user.id), metadata=callers.admin)
    error = await failure(users.GetUser(pb.GetUserRequest(id=user.id), metadata=callers.admin))
    assert error.code == grpc.StatusCode.NOT_FOUND
    error = await failure(users.DeleteUser(pb.DeleteUserRequest(id=user.id), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND")
    # The email and username are free again.
    await create_user(users, callers.admin, "vanishing")


async def test_deleted_users_tokens_no_longer_authenticate(users, callers: Callers, units) -> None:
    machine = await account(units, "doomed-machine", "Auditor")
    await users.GetUser(pb.GetUserRequest(id=machine.id), metadata=machine.metadata)
    await users.DeleteUser(pb.DeleteUserRequest(id=machine.id), metadata=callers.admin)
    error = await failure(users.GetUser(pb.GetUserRequest(username="admin"), metadata=machine.metadata))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    assert await count(units, tables.api_token, tables.api_token.c.user_id == uuid.UUID(machine.id)) == 0


async def test_delete_removes_sessions_and_assignments_but_not_roles_or_other_users_data(
    users, callers: Callers, units
) -> None:
    target = await account(units, "target", "UserManager")
    keeper = await account(units, "keeper", "UserManager")
    await add_session(units, target.id)
    keeper_session = await add_session(units, keeper.id)
    roles_before = await rows(units, tables.role, tables.role.c.id.is_not(None))
    permissions_before = await count(units, tables.role_permission, tables.role_permission.c.role_id.is_not(None))
    keeper_assignments = await assignments_of(units, keeper.id)
    record = (await users.DeleteUser(pb.DeleteUserRequest(id=target.id), metadata=callers.admin)).deleted_user
    assert record.id == target.id
    assert await assignments_of(units, target.id) == []
    assert await count(units, tables.session, tables.session.c.user_id == uuid.UUID(target.id)) == 0
    assert await rows(units, tables.role, tables.role.c.id.is_not(None)) == roles_before
    assert await count(units, tables.role_permission, tables.role_permission.c.role_id.is_not(None)) == permissions_before
    assert await assignments_of(units, keeper.id) == keeper_assignments
    assert await count(units, tables.session, tables.session.c.id == keeper_session) == 1
    # The other UserManager still holds its role and its permissions.
    await users.UpdateUser(
        pb.UpdateUserRequest(
            id=keeper.id, user={"username": "keeper-2"}, update_mask={"paths": ["username"]},
            etag=(await get_user(users, callers.admin, "keeper")).etag,
        ),
        metadata=keeper.metadata,
    )


async def test_delete_writes_user_deleted_and_keeps_earlier_audit_rows(users, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "historic")
    await users.SuspendUser(pb.SuspendUserRequest(id=user.id, reason="r"), metadata=callers.admin)
    await users.DeleteUser(
        pb.DeleteUserRequest(id=user.id, reason="closed"), metadata=(*callers.admin, ("x-request-id", "del-1"))
    )
    events = await audit_events(units, user.id)
    assert [e["event_type"] for e in events] == ["USER_CREATED", "USER_SUSPENDED", "USER_DELETED"]
    deleted = events[-1]
    assert deleted["request_id"] == "del-1" and deleted["ip_address"] == "127.0.0.1"
    assert deleted["details"] == {
        "username": "historic",
        "reason": "closed",
        "sessions_removed": "0",
        "api_tokens_removed": "0",
        "role_assignments_removed": "0",
    }


async def test_caller_cannot_delete_itself(users, callers: Callers) -> None:
    admin = await get_user(users, callers.admin, "admin")
    error = await failure(users.DeleteUser(pb.DeleteUserRequest(id=admin.id), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CANNOT_DELETE_SELF")


async def test_last_active_admin_cannot_be_deleted(users, callers: Callers, units) -> None:
    deleter = await account_with_permissions(units, "deleter", ["users.delete", "users.read"])
    admin = await get_user(users, callers.admin, "admin")
    error = await failure(users.DeleteUser(pb.DeleteUserRequest(id=admin.id), metadata=deleter.metadata))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "LAST_ADMIN")
    assert (await get_user(users, callers.admin, "admin")).is_active
    assert await count(units, tables.deleted_user, tables.deleted_user.c.id == uuid.UUID(admin.id)) == 0
    assert len(await assignments_of(units, admin.id)) == 1


async def test_a_suspended_admin_does_not_count_as_the_remaining_admin(users, callers: Callers, units) -> None:
    second = await account(units, "dormant-admin", "Admin")
    await users.SuspendUser(pb.SuspendUserRequest(id=second.id, reason="leave"), metadata=callers.admin)
    deleter = await account_with_permissions(units, "deleter2", ["users.delete"])
    admin = await get_user(users, callers.admin, "admin")
    error = await failure(users.DeleteUser(pb.DeleteUserRequest(id=admin.id), metadata=deleter.metadata))
    assert error.reason == "LAST_ADMIN"
    # Deleting the suspended admin is fine: the active one remains.
    await users.DeleteUser(pb.DeleteUserRequest(id=second.id), metadata=deleter.metadata)


async def test_an_admin_may_delete_another_admin(users, callers: Callers, units) -> None:
    second = await account(units, "other-admin", "Admin")
    await users.DeleteUser(pb.DeleteUserRequest(id=second.id), metadata=callers.admin)
    assert await assignments_of(units, second.id) == []


@pytest.mark.parametrize(("reason", "stored"), [("", ""), ("é" * 500, "é" * 500)])
async def test_reason_is_optional(users, callers: Callers, reason: str, stored: str) -> None:
    user = await create_user(users, callers.admin, "optional")
    record = (await users.DeleteUser(pb.DeleteUserRequest(id=user.id, reason=reason), metadata=callers.admin)).deleted_user
    assert record.reason == stored


@pytest.mark.parametrize("reason", ["x" * 501, "  ", "nul\x00"])
async def test_bad_reason_is_invalid_argument(users, callers: Callers, reason: str) -> None:
    user = await create_user(users, callers.admin, "reasonable")
    error = await failure(users.DeleteUser(pb.DeleteUserRequest(id=user.id, reason=reason), metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["reason"])
    await get_user(users, callers.admin, "reasonable")


@pytest.mark.parametrize(
    ("user_id", "code", "reason"),
    [
        ("nope", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (str(uuid.uuid4()), grpc.StatusCode.NOT_FOUND, "DELETED_USER_NOT_FOUND"),
    ],
)
async def test_get_deleted_user_of_a_bad_or_unknown_id_fails(users, callers: Callers, user_id, code, reason) -> None:
    error = await failure(users.GetDeletedUser(pb.GetDeletedUserRequest(id=user_id), metadata=callers.admin))
    assert (error.code, error.reason) == (code, reason)


async def test_get_deleted_user_of_a_live_user_is_not_found(users, callers: Callers) -> None:
    admin = await get_user(users, callers.admin, "admin")
    error = await failure(users.GetDeletedUser(pb.GetDeletedUserRequest(id=admin.id), metadata=callers.admin))
    assert error.reason == "DELETED_USER_NOT_FOUND"


@pytest.mark.parametrize("rpc", ["DeleteUser", "GetDeletedUser"])
async def test_user_manager_may_neither_delete_nor_read_the_archive(users, callers: Callers, units, rpc: str) -> None:
    manager = await account(units, "limited", "UserManager")
    request = pb.DeleteUserRequest(id=manager.id) if rpc == "DeleteUser" else pb.GetDeletedUserRequest(id=manager.id)
    error = await failure(getattr(users, rpc)(request, metadata=manager.metadata))
    assert (error.code, error.metadata) == (grpc.StatusCode.PERMISSION_DENIED, {"permission": "users.delete"})
