from __future__ import annotations

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from sqlalchemy import select

from authtuna_grpc.storage import tables
from tests.callers import Callers
from tests.rich_status import rich_error

STRONG = "Correct-Horse-9"


async def test_create_user_returns_the_new_user(users, callers: Callers) -> None:
    response = await users.CreateUser(
        pb.CreateUserRequest(
            email="Ada@Example.com",
            username="ada",
            password=STRONG,
            attributes={"team": "core"},
        ),
        metadata=callers.admin,
    )
    user = response.user
    assert user.email == "Ada@Example.com"
    assert user.username == "ada"
    assert user.has_password and user.is_active and not user.email_verified
    assert dict(user.attributes) == {"team": "core"}
    assert user.id and user.etag
    assert user.created_at.seconds > 0 and not user.HasField("suspended_at")


async def test_password_is_stored_as_argon2id_hash_only(users, callers: Callers, units) -> None:
    await users.CreateUser(
        pb.CreateUserRequest(email="h@example.com", username="hashy", password=STRONG),
        metadata=callers.admin,
    )
    async with units() as uow:
        conn = uow.users._connection
        stored = (
            await conn.execute(
                select(tables.user.c.password_hash).where(tables.user.c.username == "hashy")
            )
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert STRONG not in stored


async def test_user_without_password_is_for_social_sign_in(users, callers: Callers) -> None:
    response = await users.CreateUser(
        pb.CreateUserRequest(email="oauth@example.com", username="oauth-user", email_verified=True),
        metadata=callers.admin,
    )
    assert not response.user.has_password
    assert response.user.email_verified


@pytest.mark.parametrize(
    ("email", "username"),
    [("dup@example.com", "Other"), ("DUP@EXAMPLE.COM", "other2")],
)
async def test_duplicate_email_is_already_exists_case_insensitively(
    users, callers: Callers, email: str, username: str
) -> None:
    await users.CreateUser(
        pb.CreateUserRequest(email="dup@example.com", username="first"), metadata=callers.admin
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(
            pb.CreateUserRequest(email=email, username=username), metadata=callers.admin
        )
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.ALREADY_EXISTS
    assert error.reason == "EMAIL_ALREADY_REGISTERED"
    assert error.domain == "authtuna"


async def test_duplicate_username_differing_in_case_is_already_exists(users, callers: Callers) -> None:
    await users.CreateUser(
        pb.CreateUserRequest(email="a1@example.com", username="Grace"), metadata=callers.admin
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(
            pb.CreateUserRequest(email="a2@example.com", username="gRACE"), metadata=callers.admin
        )
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.ALREADY_EXISTS
    assert error.reason == "USERNAME_ALREADY_TAKEN"


async def test_fullwidth_username_is_the_same_account(users, callers: Callers) -> None:
    await users.CreateUser(
        pb.CreateUserRequest(email="w1@example.com", username="wide"), metadata=callers.admin
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(
            pb.CreateUserRequest(email="w2@example.com", username="ｗｉｄｅ"), metadata=callers.admin
        )
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    ("request_fields", "bad_fields", "reason"),
    [
        ({"email": "not-an-email", "username": "valid"}, ["email"], "INVALID_ARGUMENT"),
        ({"email": "a@b", "username": "valid"}, ["email"], "INVALID_ARGUMENT"),
        ({"email": "", "username": ""}, ["email", "username"], "INVALID_ARGUMENT"),
        ({"email": "x@example.com", "username": "a b"}, ["username"], "INVALID_ARGUMENT"),
        ({"email": "x@example.com", "username": "x@example.com"}, ["username"], "INVALID_ARGUMENT"),
        ({"email": " x@example.com", "username": "valid"}, ["email"], "INVALID_ARGUMENT"),
        ({"email": "x@example.com", "username": "valid", "password": "short1"}, ["password"], "WEAK_PASSWORD"),
        ({"email": "x@example.com", "username": "valid", "password": "alllowercase"}, ["password"], "WEAK_PASSWORD"),
        ({"email": "x@example.com", "username": "valid", "password": "Abcdefg1\x00"}, ["password"], "WEAK_PASSWORD"),
        ({"email": "x@example.com", "username": "valid", "attributes": {"bad key": "v"}}, ["attributes['bad key']"], "INVALID_ARGUMENT"),
        ({"email": "x@example.com", "username": "valid", "attributes": {"k": "v" * 1025}}, ["attributes['k']"], "INVALID_ARGUMENT"),
        ({"email": "x@example.com", "username": "valid", "attributes": {f"k{i}": "v" for i in range(65)}}, ["attributes"], "INVALID_ARGUMENT"),
    ],
)
async def test_invalid_input_names_the_field(
    users, callers: Callers, units, request_fields: dict, bad_fields: list[str], reason: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(pb.CreateUserRequest(**request_fields), metadata=callers.admin)
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == reason
    assert error.fields == bad_fields
    for field in bad_fields:
        assert field.split("[")[0] in error.message
    async with units() as uow:
        assert await uow.users.count() == 2  # the bootstrap admin and the member caller only


async def test_create_user_writes_one_audit_event_with_caller_and_peer_ip(
    users, callers: Callers, units
) -> None:
    admin = (await users.GetUser(pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    created = (
        await users.CreateUser(
            pb.CreateUserRequest(email="aud@example.com", username="audited"),
            metadata=(*callers.admin, ("x-request-id", "req-42")),
        )
    ).user
    async with units() as uow:
        conn = uow.users._connection
        rows = (
            await conn.execute(
                select(tables.audit_event).where(
                    tables.audit_event.c.user_id == __import__("uuid").UUID(created.id)
                )
            )
        ).all()
    assert len(rows) == 1
    event = rows[0]._mapping
    assert event["event_type"] == "USER_CREATED"
    assert str(event["actor_id"]) == admin.id
    assert event["ip_address"] == "127.0.0.1"
    assert event["request_id"] == "req-42"
    assert event["details"] == {"email": "aud@example.com", "username": "audited"}


async def test_member_cannot_create_users(users, callers: Callers) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.CreateUser(
            pb.CreateUserRequest(email="m@example.com", username="nope"), metadata=callers.member
        )
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert error.metadata == {"permission": "users.create"}
