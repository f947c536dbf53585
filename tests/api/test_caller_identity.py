from __future__ import annotations

import hashlib

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from sqlalchemy import select

from authtuna_grpc.storage import tables
from tests.callers import ADMIN_TOKEN, Callers, bearer
from tests.rich_status import rich_error


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ((), "MISSING_CREDENTIALS"),
        ((("authorization", "Basic abc"),), "MISSING_CREDENTIALS"),
        (bearer("atk_unknown"), "INVALID_CREDENTIALS"),
        (bearer("x" * 2_000), "INVALID_CREDENTIALS"),
    ],
    ids=["none", "basic", "unknown", "huge"],
)
async def test_calls_without_a_valid_token_are_unauthenticated(users, metadata, reason) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetUser(pb.GetUserRequest(username="admin"), metadata=metadata)
    error = rich_error(caught.value)
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert error.reason == reason


async def test_bearer_scheme_is_case_insensitive(users) -> None:
    response = await users.GetUser(
        pb.GetUserRequest(username="admin"), metadata=(("authorization", f"bearer {ADMIN_TOKEN}"),)
    )
    assert response.user.is_service_account


async def test_tokens_are_stored_only_as_sha256_digests(units, callers: Callers) -> None:
    async with units() as uow:
        conn = uow.users._connection
        stored = (await conn.execute(select(tables.api_token.c.token_hash))).scalars().all()
    assert hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest() in stored
    assert all(ADMIN_TOKEN not in value for value in stored)


async def test_expired_token_is_unauthenticated(users, units) -> None:
    from datetime import UTC, datetime, timedelta

    from authtuna_grpc.domain.caller import system_caller
    from authtuna_grpc.services.api_tokens import issue_token
    from authtuna_grpc.services.clock import new_id

    async with units() as uow:
        admin = await uow.users.by_username("admin")
        assert admin is not None
        now = datetime.now(UTC)
        await issue_token(
            uow, system_caller(), user_id=admin.id, name="old", secret="atk_expired-one",
            token_id=new_id(), now=now - timedelta(days=2), expires_at=now - timedelta(days=1),
        )
        await uow.commit()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetUser(pb.GetUserRequest(username="admin"), metadata=bearer("atk_expired-one"))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_bootstrap_admin_is_created_once_with_its_audit_trail(users, units, callers) -> None:
    admin = (await users.GetUser(pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    async with units() as uow:
        conn = uow.users._connection
        events = (
            await conn.execute(select(tables.audit_event.c.event_type).order_by(tables.audit_event.c.id))
        ).scalars().all()
    assert admin.is_service_account
    assert events[:3] == ["USER_CREATED", "ROLE_ASSIGNED", "API_TOKEN_CREATED"]
