"""The installed client on its own against a live server.

Needs AUTHTUNA_ADDRESS (host:port, plaintext) and AUTHTUNA_TOKEN (a token allowed to
create and read users); scripts/test-python-client starts a server and sets both.
Uses nothing but the client, its dependencies and pytest.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from authtuna_api.client import (
    AsyncAuthTunaClient,
    AuthTunaClient,
    EmailAlreadyRegistered,
    InvalidArgument,
    MissingCredentials,
    StaleEtag,
    UserNotFound,
)
from authtuna_api.user.v1 import user_pb2

ADDRESS = os.environ["AUTHTUNA_ADDRESS"]
TOKEN = os.environ["AUTHTUNA_TOKEN"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client():
    with AuthTunaClient(ADDRESS, TOKEN) as client:
        yield client


def test_create_get_and_iterate(client: AuthTunaClient) -> None:
    name = unique("ada")
    created = client.create_user(email=f"{name}@example.com", username=name, password="Correct-Horse-9")
    assert isinstance(created, user_pb2.User) and created.has_password
    assert client.get_user(id=created.id) == created
    assert client.get_user(email=f"{name.upper()}@example.com") == created
    assert client.get_user(username=name) == created
    assert created.id in {user.id for user in client.iter_users(page_size=1)}
    assert len(client.list_users(limit=1).users) == 1


def test_errors_are_typed_by_reason(client: AuthTunaClient) -> None:
    name = unique("dup")
    client.create_user(email=f"{name}@example.com", username=name)
    with pytest.raises(EmailAlreadyRegistered) as duplicate:
        client.create_user(email=f"{name}@example.com", username=unique("other"))
    assert duplicate.value.metadata == {"field": "email"}
    with pytest.raises(UserNotFound):
        client.get_user(username=unique("nobody"))
    with pytest.raises(InvalidArgument) as invalid:
        client.create_user(email="not-an-email", username=unique("bad"))
    assert [v.field for v in invalid.value.field_violations] == ["email"]


def test_without_a_token_the_server_says_unauthenticated() -> None:
    with AuthTunaClient(ADDRESS, None) as anonymous, pytest.raises(MissingCredentials):
        anonymous.list_users()


def test_the_async_client_does_the_same() -> None:
    async def scenario() -> None:
        name = unique("async")
        async with AsyncAuthTunaClient(ADDRESS, TOKEN) as client:
            created = await client.create_user(email=f"{name}@example.com", username=name)
            assert await client.get_user(username=name) == created
            assert created.id in {user.id async for user in client.iter_users(page_size=2)}
            with pytest.raises(UserNotFound):
                await client.get_user(id=str(uuid.uuid4()))
        async with AsyncAuthTunaClient(ADDRESS, None) as anonymous:
            with pytest.raises(MissingCredentials):
                await anonymous.get_user(username=name)

    asyncio.run(scenario())


def test_lifecycle_roles_tokens_and_sessions(client: AuthTunaClient) -> None:
    name = unique("life")
    user = client.create_user(email=f"{name}@example.com", username=name, password="Correct-Horse-9")
    updated = client.update_user(user.id, etag=user.etag, attributes={"team": "core"})
    with pytest.raises(StaleEtag):
        client.update_user(user.id, etag=user.etag, attributes={})
    assert not client.suspend_user(user.id, "review").is_active
    assert client.unsuspend_user(user.id, "done").is_active
    signed_in = client.sign_in(name, "Correct-Horse-9")
    assert client.validate_session(signed_in.session.token).user.id == user.id
    role = unique("role")
    client.create_role(role, permissions=["users.read"])
    client.assign_role(user.id, role)
    assert [a.role for a in client.iter_role_assignments(user_id=user.id)] == [role]
    assert client.delete_user(user.id).id == updated.id
