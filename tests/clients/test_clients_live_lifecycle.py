"""The lifecycle, role, API token and session methods of both clients against a real
server (both kinds of client, SQLite and PostgreSQL, via the conftest fixtures)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from authtuna_api.client import (
    Aborted,
    ApiTokenAlreadyRevoked,
    DeletedUserNotFound,
    InvalidSession,
    InvalidSignIn,
    RoleAlreadyAssigned,
    RoleNotFound,
    StaleEtag,
    UserAlreadySuspended,
    UserNotFound,
    UserNotSuspended,
)

from tests.clients.conftest import STRONG, Connect


async def test_update_user_changes_only_the_given_fields_and_checks_the_etag(client) -> None:
    ada = await client.create_user(email="ada@example.com", username="ada", attributes={"team": "core"})
    updated = await client.update_user(ada.id, etag=ada.etag, email="ada@new.example.com", attributes={"x": "1"})
    assert (updated.email, updated.username, dict(updated.attributes)) == ("ada@new.example.com", "ada", {"x": "1"})
    assert updated.etag != ada.etag
    with pytest.raises(StaleEtag) as raised:
        await client.update_user(ada.id, etag=ada.etag, username="ada2")
    assert isinstance(raised.value, Aborted)
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    signed = await client.update_user(ada.id, etag=updated.etag, last_login_at=seen)
    assert signed.last_login_at.ToDatetime(tzinfo=timezone.utc) == seen
    cleared = await client.update_user(ada.id, etag=signed.etag, last_login_at=None)
    assert not cleared.HasField("last_login_at")
    with pytest.raises(TypeError):
        await client.update_user(ada.id, etag=cleared.etag, nickname="x")


async def test_set_password_then_sign_in_validate_list_and_sign_out(client) -> None:
    ada = await client.create_user(email="ada@example.com", username="ada")
    assert (await client.set_password(ada.id, STRONG)).has_password
    signed_in = await client.sign_in("ADA", STRONG)
    assert signed_in.user.id == ada.id and signed_in.session.token.startswith("ses_")
    token = signed_in.session.token
    validated = await client.validate_session(token)
    assert validated.user.id == ada.id
    sessions = await client.collect("iter_sessions", ada.id, page_size=1)
    assert [s.id for s in sessions] == [validated.session.id]
    assert (await client.list_sessions(ada.id)).sessions[0].id == validated.session.id
    assert await client.sign_out(token) is True
    with pytest.raises(InvalidSession):
        await client.validate_session(token)
    with pytest.raises(InvalidSignIn):
        await client.sign_in("ada", "Wrong-password-1")
    assert await client.clear_sign_in_lock(user_id=ada.id) in (True, False)
    await client.sign_in("ada", STRONG)
    assert await client.revoke_all_sessions(ada.id) == 1


async def test_suspend_and_unsuspend_with_their_reasons(client) -> None:
    ada = await client.create_user(email="ada@example.com", username="ada")
    suspended = await client.suspend_user(ada.id, "chargeback")
    assert not suspended.is_active and suspended.suspension_reason == "chargeback"
    with pytest.raises(UserAlreadySuspended):
        await client.suspend_user(ada.id, "again")
    assert (await client.unsuspend_user(ada.id, "resolved")).is_active
    with pytest.raises(UserNotSuspended):
        await client.unsuspend_user(ada.id, "again")


async def test_delete_user_archives_it(client) -> None:
    ada = await client.create_user(email="ada@example.com", username="ada")
    deleted = await client.delete_user(ada.id, reason="asked to")
    assert deleted.id == ada.id
    assert (await client.get_deleted_user(ada.id)).id == ada.id
    with pytest.raises(UserNotFound):
        await client.get_user(id=ada.id)
    with pytest.raises(DeletedUserNotFound):
        await client.get_deleted_user("01a21369-28c3-756f-be36-2ebc229aada0")


async def test_roles_are_created_assigned_listed_revoked_and_deleted(client) -> None:
    ada = await client.create_user(email="ada@example.com", username="ada")
    role = await client.create_role("support", description="Helps users", permissions=["users.read"])
    assert role.name == "support" and "support" in {r.name for r in await client.list_roles()}
    assignment = await client.assign_role(ada.id, "support", scope="team:core")
    assert assignment.scope == "team:core"
    with pytest.raises(RoleAlreadyAssigned):
        await client.assign_role(ada.id, "support", scope="team:core")
    mine = await client.collect("iter_role_assignments", user_id=ada.id, page_size=1)
    assert [(a.role, a.scope) for a in mine] == [("support", "team:core")]
    page = await client.list_role_assignments(role="support")
    assert [a.user_id for a in page.assignments] == [ada.id]
    with pytest.raises(TypeError):
        await client.list_role_assignments()
    await client.revoke_role(ada.id, "support", scope="team:core")
    await client.delete_role("support")
    with pytest.raises(RoleNotFound):
        await client.delete_role("support")


async def test_api_tokens_are_minted_used_listed_and_revoked(client, connect: Connect) -> None:
    admin = (await client.list_users(limit=1)).users[0]
    expires_at = datetime.now(timezone.utc) + timedelta(days=1)
    created = await client.create_api_token(admin.id, "deploy", expires_at=expires_at)
    assert created.secret.startswith("atk_") and created.token.name == "deploy"
    async with connect(created.secret) as deployer:
        assert (await deployer.get_user(id=admin.id)).id == admin.id
    assert created.token.id in {t.id for t in await client.list_api_tokens(admin.id)}
    assert (await client.revoke_api_token(created.token.id)).HasField("revoked_at")
    with pytest.raises(ApiTokenAlreadyRevoked):
        await client.revoke_api_token(created.token.id)
