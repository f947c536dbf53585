from __future__ import annotations

import uuid

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb

from authtuna_grpc.storage import tables
from tests.accounts import STRONG, account, add_session, audit_events, create_user, rows
from tests.rich_status import rich_error

NEW_PASSWORD = "Battery-Staple-7"


async def stored_hash(units, user_id: str) -> str | None:
    [row] = await rows(units, tables.user, tables.user.c.id == uuid.UUID(user_id))
    return row["password_hash"]


async def test_set_password_replaces_the_argon2id_hash(users, callers, units) -> None:
    user = await create_user(users, callers.admin, "pw-user", password=STRONG)
    old_hash = await stored_hash(units, user.id)
    changed = (
        await users.SetPassword(pb.SetPasswordRequest(id=user.id, password=NEW_PASSWORD), metadata=callers.admin)
    ).user
    new_hash = await stored_hash(units, user.id)
    assert new_hash is not None and new_hash.startswith("$argon2id$") and new_hash != old_hash
    assert NEW_PASSWORD not in new_hash
    assert changed.has_password and changed.etag != user.etag


async def test_set_password_gives_a_social_account_a_password(users, callers) -> None:
    user = await create_user(users, callers.admin, "social")
    assert not user.has_password
    changed = (
        await users.SetPassword(pb.SetPasswordRequest(id=user.id, password=NEW_PASSWORD), metadata=callers.admin)
    ).user
    assert changed.has_password


async def test_set_password_revokes_every_session_of_the_user_only(users, callers, units) -> None:
    user = await create_user(users, callers.admin, "sessions", password=STRONG)
    other = await create_user(users, callers.admin, "bystander", password=STRONG)
    mine = [await add_session(units, user.id), await add_session(units, user.id)]
    theirs = await add_session(units, other.id)
    await users.SetPassword(pb.SetPasswordRequest(id=user.id, password=NEW_PASSWORD), metadata=callers.admin)
    sessions = {row["id"]: row for row in await rows(units, tables.session, tables.session.c.id.is_not(None))}
    assert all(sessions[s]["revoked_at"] is not None for s in mine)
    assert sessions[theirs]["revoked_at"] is None
    [event] = await audit_events(units, user.id, "PASSWORD_CHANGED")
    assert event["details"] == {"sessions_revoked": "2"}


async def test_api_tokens_keep_working_after_a_password_change(users, callers, units) -> None:
    machine = await account(units, "pw-machine", "Auditor")
    await users.SetPassword(pb.SetPasswordRequest(id=machine.id, password=NEW_PASSWORD), metadata=callers.admin)
    seen = await users.GetUser(pb.GetUserRequest(id=machine.id), metadata=machine.metadata)
    assert seen.user.has_password


async def test_password_changed_event_holds_no_secret(users, callers, units) -> None:
    user = await create_user(users, callers.admin, "secretive", password=STRONG)
    await users.SetPassword(
        pb.SetPasswordRequest(id=user.id, password=NEW_PASSWORD),
        metadata=(*callers.admin, ("x-request-id", "pw-1")),
    )
    [event] = await audit_events(units, user.id, "PASSWORD_CHANGED")
    text = repr(event)
    assert NEW_PASSWORD not in text and "argon2" not in text and STRONG not in text
    assert event["request_id"] == "pw-1" and event["ip_address"] == "127.0.0.1"


@pytest.mark.parametrize("password", ["short1", "alllowercase", "Abcdefg1\x00", ""])
async def test_weak_password_is_invalid_argument_and_changes_nothing(
    users, callers, units, password: str
) -> None:
    user = await create_user(users, callers.admin, "weakling", password=STRONG)
    old_hash = await stored_hash(units, user.id)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.SetPassword(pb.SetPasswordRequest(id=user.id, password=password), metadata=callers.admin)
    error = rich_error(caught.value)
    assert (error.code, error.reason, error.fields) == (
        grpc.StatusCode.INVALID_ARGUMENT, "WEAK_PASSWORD", ["password"]
    )
    assert await stored_hash(units, user.id) == old_hash
    assert await audit_events(units, user.id, "PASSWORD_CHANGED") == []


@pytest.mark.parametrize(
    ("user_id", "code", "reason"),
    [
        ("not-a-uuid", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (str(uuid.uuid4()), grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND"),
    ],
)
async def test_set_password_for_a_bad_or_unknown_id_fails(users, callers, user_id, code, reason) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.SetPassword(pb.SetPasswordRequest(id=user_id, password=NEW_PASSWORD), metadata=callers.admin)
    error = rich_error(caught.value)
    assert (error.code, error.reason) == (code, reason)


async def test_set_password_needs_its_permission(users, callers, units) -> None:
    auditor = await account(units, "auditor-pw", "Auditor")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.SetPassword(pb.SetPasswordRequest(id=auditor.id, password=NEW_PASSWORD), metadata=auditor.metadata)
    error = rich_error(caught.value)
    assert (error.code, error.metadata) == (grpc.StatusCode.PERMISSION_DENIED, {"permission": "users.set_password"})
