"""Both clients against a real server: each test runs with AuthTunaClient and with
AsyncAuthTunaClient, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from authtuna_api.client import (
    AlreadyExists,
    EmailAlreadyRegistered,
    FieldViolation,
    InvalidArgument,
    InvalidCredentials,
    MissingCredentials,
    PermissionDenied,
    Unauthenticated,
    UsernameAlreadyTaken,
    UserNotFound,
    WeakPassword,
)

from tests.clients.conftest import STRONG, Blocking, Connect


async def test_create_then_get_by_id_email_and_username(client) -> None:
    created = await client.create_user(
        email="ada@example.com", username="ada", password=STRONG, attributes={"team": "core"}
    )
    assert created.username == "ada" and created.has_password and created.etag
    assert dict(created.attributes) == {"team": "core"}
    for lookup in ({"id": created.id}, {"email": "ADA@example.com"}, {"username": "Ada"}):
        assert await client.get_user(**lookup) == created, lookup


async def test_list_users_pages_and_iter_users_follows_page_tokens(client) -> None:
    for n in range(5):
        await client.create_user(email=f"u{n}@example.com", username=f"user-{n}")
    page = await client.list_users(limit=2)
    assert len(page.users) == 2 and page.next_page_token
    names = [u.username for u in await client.all_users(page_size=2)]
    assert [n for n in names if n.startswith("user-")] == [f"user-{n}" for n in range(5)]
    assert len(names) == len(set(names)) == 6  # and the bootstrap admin account


async def test_duplicate_email_raises_email_already_registered(client) -> None:
    await client.create_user(email="dup@example.com", username="first")
    with pytest.raises(EmailAlreadyRegistered) as raised:
        await client.create_user(email="DUP@example.com", username="second")
    error = raised.value
    assert isinstance(error, AlreadyExists)
    assert error.reason == "EMAIL_ALREADY_REGISTERED" and error.domain == "authtuna"
    assert error.metadata == {"field": "email"}
    assert "EMAIL_ALREADY_REGISTERED" in str(error)


async def test_duplicate_username_raises_username_already_taken(client) -> None:
    await client.create_user(email="one@example.com", username="taken")
    with pytest.raises(UsernameAlreadyTaken):
        await client.create_user(email="two@example.com", username="TAKEN")


async def test_invalid_input_carries_the_field_violations(client) -> None:
    with pytest.raises(InvalidArgument) as raised:
        await client.create_user(email="nope", username="x")
    assert raised.value.reason == "INVALID_ARGUMENT"
    assert [v.field for v in raised.value.field_violations] == ["email", "username"]
    assert all(isinstance(v, FieldViolation) and v.description for v in raised.value.field_violations)


async def test_weak_password_raises_weak_password_naming_the_field(client) -> None:
    with pytest.raises(WeakPassword) as raised:
        await client.create_user(email="w@example.com", username="weak", password="aaaaaaaa")
    assert [v.field for v in raised.value.field_violations] == ["password"]


async def test_unknown_user_raises_user_not_found(client) -> None:
    with pytest.raises(UserNotFound) as raised:
        await client.get_user(username="nobody")
    assert raised.value.reason == "USER_NOT_FOUND"


async def test_get_user_takes_exactly_one_lookup_key(client) -> None:
    with pytest.raises(TypeError):
        await client.get_user(email="a@example.com", username="a")
    with pytest.raises(TypeError):
        await client.get_user()


async def test_without_a_token_calls_are_unauthenticated(connect: Connect) -> None:
    async with connect(None) as anonymous:
        with pytest.raises(MissingCredentials) as raised:
            await anonymous.get_user(username="ada")
    assert isinstance(raised.value, Unauthenticated)


async def test_an_unknown_token_is_invalid_credentials(connect: Connect) -> None:
    async with connect("atk_not-a-real-token") as stranger:
        with pytest.raises(InvalidCredentials):
            await stranger.list_users()


async def test_a_caller_without_the_permission_is_denied(connect: Connect, member_token: str) -> None:
    async with connect(member_token) as member:
        with pytest.raises(PermissionDenied) as raised:
            await member.get_user(username="member-caller")
    assert raised.value.reason == "PERMISSION_DENIED"
    assert raised.value.metadata == {"permission": "users.read"}


async def test_the_generated_stub_on_the_client_is_authenticated_too(client) -> None:
    from authtuna_api.user.v1 import user_service_pb2 as pb

    if isinstance(client, Blocking):
        response = await asyncio.to_thread(client.sync.users.ListUsers, pb.ListUsersRequest(limit=1))
    else:
        response = await client.users.ListUsers(pb.ListUsersRequest(limit=1))
    assert len(response.users) == 1
