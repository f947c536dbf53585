from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from authtuna_api.user.v1 import api_token_service_pb2 as pb
from authtuna_api.user.v1 import api_token_service_pb2_grpc
from authtuna_api.user.v1 import role_service_pb2 as roles_pb
from authtuna_api.user.v1 import role_service_pb2_grpc
from authtuna_api.user.v1 import user_service_pb2 as users_pb
from google.protobuf import timestamp_pb2
from sqlalchemy import select, update

from authtuna_grpc.storage import tables
from tests.audit_rows import audit_rows
from tests.callers import Callers, bearer, token_for_new_user
from tests.rich_status import rich_error


@pytest.fixture
def tokens(channel) -> api_token_service_pb2_grpc.ApiTokenServiceStub:
    return api_token_service_pb2_grpc.ApiTokenServiceStub(channel)


@pytest.fixture
def roles(channel) -> role_service_pb2_grpc.RoleServiceStub:
    return role_service_pb2_grpc.RoleServiceStub(channel)


async def _fails(call) -> object:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


async def _service_account(users, roles, callers: Callers, name: str, role: str | None = "Auditor") -> users_pb.User:
    request = users_pb.CreateUserRequest(email=f"{name}@example.com", username=name)
    user = (await users.CreateUser(request, metadata=callers.admin)).user
    if role:
        await roles.AssignRole(roles_pb.AssignRoleRequest(user_id=user.id, role=role), metadata=callers.admin)
    return user


def _stamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def test_created_secret_is_prefixed_256_bits_and_shown_once(tokens, users, roles, units, callers: Callers) -> None:
    owner = await _service_account(users, roles, callers, "billing")
    created = await tokens.CreateApiToken(pb.CreateApiTokenRequest(user_id=owner.id, name="deploy"), metadata=callers.admin)
    assert created.secret.startswith("atk_")
    raw = base64.urlsafe_b64decode(created.secret[4:] + "=")
    assert len(raw) == 32
    assert (created.token.user_id, created.token.name) == (owner.id, "deploy")
    assert not created.token.HasField("expires_at") and not created.token.HasField("revoked_at")

    listed = (await tokens.ListApiTokens(pb.ListApiTokensRequest(user_id=owner.id), metadata=callers.admin)).tokens
    assert [t.id for t in listed] == [created.token.id]
    assert created.secret not in str(listed)
    async with units() as uow:
        stored = (await uow.users._connection.execute(select(tables.api_token.c.token_hash))).scalars().all()
    assert hashlib.sha256(created.secret.encode()).hexdigest() in stored


async def test_a_new_token_authenticates_as_its_user_and_records_last_use(tokens, users, roles, callers: Callers) -> None:
    owner = await _service_account(users, roles, callers, "reader")
    created = await tokens.CreateApiToken(pb.CreateApiTokenRequest(user_id=owner.id, name="ci"), metadata=callers.admin)
    found = await users.GetUser(users_pb.GetUserRequest(username="admin"), metadata=bearer(created.secret))
    assert found.user.username == "admin"
    [listed] = (await tokens.ListApiTokens(pb.ListApiTokensRequest(user_id=owner.id), metadata=callers.admin)).tokens
    assert listed.HasField("last_used_at")
    assert listed.last_used_at.seconds >= created.token.created_at.seconds


async def test_revoked_token_is_unauthenticated(tokens, users, roles, units, callers: Callers) -> None:
    owner = await _service_account(users, roles, callers, "revokee")
    created = await tokens.CreateApiToken(pb.CreateApiTokenRequest(user_id=owner.id, name="ci"), metadata=callers.admin)
    lookup = users_pb.GetUserRequest(username="admin")
    await users.GetUser(lookup, metadata=bearer(created.secret))

    revoked = await tokens.RevokeApiToken(pb.RevokeApiTokenRequest(id=created.token.id), metadata=callers.admin)
    assert revoked.token.HasField("revoked_at")
    error = await _fails(users.GetUser(lookup, metadata=bearer(created.secret)))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    again = await _fails(tokens.RevokeApiToken(pb.RevokeApiTokenRequest(id=created.token.id), metadata=callers.admin))
    assert (again.code, again.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "API_TOKEN_ALREADY_REVOKED")
    [listed] = (await tokens.ListApiTokens(pb.ListApiTokensRequest(user_id=owner.id), metadata=callers.admin)).tokens
    assert listed.revoked_at == revoked.token.revoked_at


async def test_token_past_its_expiry_is_unauthenticated(tokens, users, roles, units, callers: Callers) -> None:
    owner = await _service_account(users, roles, callers, "expiring")
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    created = await tokens.CreateApiToken(
        pb.CreateApiTokenRequest(user_id=owner.id, name="short", expires_at=_stamp(expires_at)), metadata=callers.admin
    )
    assert created.token.expires_at.ToDatetime(tzinfo=UTC) == expires_at
    lookup = users_pb.GetUserRequest(username="admin")
    await users.GetUser(lookup, metadata=bearer(created.secret))
    async with units() as uow:
        await uow.users._connection.execute(
            update(tables.api_token).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            .where(tables.api_token.c.name == "short")
        )
        await uow.commit()
    error = await _fails(users.GetUser(lookup, metadata=bearer(created.secret)))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")


async def test_tokens_of_a_suspended_user_are_unauthenticated(users, units, callers: Callers) -> None:
    secret = await token_for_new_user(units, "suspendee", "Auditor")
    lookup = users_pb.GetUserRequest(username="admin")
    await users.GetUser(lookup, metadata=bearer(secret))
    async with units() as uow:
        await uow.users._connection.execute(
            update(tables.user).values(is_active=False, suspended_at=datetime.now(UTC))
            .where(tables.user.c.username == "suspendee")
        )
        await uow.commit()
    error = await _fails(users.GetUser(lookup, metadata=bearer(secret)))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")


@pytest.mark.parametrize(
    ("make_request", "fields"),
    [
        (lambda uid: pb.CreateApiTokenRequest(user_id="nope", name="x"), ["user_id"]),
        (lambda uid: pb.CreateApiTokenRequest(user_id=uid, name=""), ["name"]),
        (lambda uid: pb.CreateApiTokenRequest(user_id=uid, name="n" * 129), ["name"]),
        (lambda uid: pb.CreateApiTokenRequest(user_id=uid, name="tab\there"), ["name"]),
        (
            lambda uid: pb.CreateApiTokenRequest(
                user_id=uid, name="old", expires_at=_stamp(datetime.now(UTC) - timedelta(minutes=1))
            ),
            ["expires_at"],
        ),
        (
            lambda uid: pb.CreateApiTokenRequest(
                user_id=uid, name="far", expires_at=timestamp_pb2.Timestamp(seconds=10**12)
            ),
            ["expires_at"],
        ),
    ],
    ids=["user_id", "empty-name", "long-name", "control-name", "past", "beyond-year-9999"],
)
async def test_create_api_token_names_the_bad_field(tokens, users, roles, callers: Callers, make_request, fields) -> None:
    owner = await _service_account(users, roles, callers, "fielded", role=None)
    error = await _fails(tokens.CreateApiToken(make_request(owner.id), metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, fields)


async def test_unknown_user_or_token_is_not_found(tokens, callers: Callers) -> None:
    ghost = "0190d6a0-0000-7000-8000-000000000000"
    for call, reason in [
        (tokens.CreateApiToken(pb.CreateApiTokenRequest(user_id=ghost, name="x"), metadata=callers.admin), "USER_NOT_FOUND"),
        (tokens.ListApiTokens(pb.ListApiTokensRequest(user_id=ghost), metadata=callers.admin), "USER_NOT_FOUND"),
        (tokens.RevokeApiToken(pb.RevokeApiTokenRequest(id=ghost), metadata=callers.admin), "API_TOKEN_NOT_FOUND"),
    ]:
        error = await _fails(call)
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, reason)
    bad_id = await _fails(tokens.RevokeApiToken(pb.RevokeApiTokenRequest(id="atk_secret"), metadata=callers.admin))
    assert bad_id.fields == ["id"]


async def test_a_caller_cannot_mint_tokens_stronger_than_itself(tokens, users, roles, units, callers: Callers) -> None:
    await roles.CreateRole(
        roles_pb.CreateRoleRequest(name="TokenDesk", permissions=["tokens.manage", "users.read", "users.read_basic"]),
        metadata=callers.admin,
    )
    desk = bearer(await token_for_new_user(units, "desk", "TokenDesk"))
    admin = (await users.GetUser(users_pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    error = await _fails(tokens.CreateApiToken(pb.CreateApiTokenRequest(user_id=admin.id, name="x"), metadata=desk))
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "PRIVILEGE_ESCALATION")
    member = await _service_account(users, roles, callers, "weaker", role="Member")
    created = await tokens.CreateApiToken(pb.CreateApiTokenRequest(user_id=member.id, name="ok"), metadata=desk)
    assert created.secret.startswith("atk_")


async def test_token_creation_and_revocation_are_audited(tokens, users, roles, units, callers: Callers) -> None:
    owner = await _service_account(users, roles, callers, "trail")
    admin = (await users.GetUser(users_pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    meta = (*callers.admin, ("x-request-id", "req-tokens-1"))
    created = await tokens.CreateApiToken(pb.CreateApiTokenRequest(user_id=owner.id, name="trail"), metadata=meta)
    await tokens.RevokeApiToken(pb.RevokeApiTokenRequest(id=created.token.id), metadata=meta)
    rows = [r for r in await audit_rows(units) if r.request_id == "req-tokens-1"]
    assert [r.event_type for r in rows] == ["API_TOKEN_CREATED", "API_TOKEN_REVOKED"]
    assert {(r.user_id, r.actor_id, r.ip_address) for r in rows} == {(owner.id, admin.id, "127.0.0.1")}
    assert all(r.details == {"token_id": created.token.id, "name": "trail"} for r in rows)
    assert all(created.secret not in str(r.details) for r in rows)
