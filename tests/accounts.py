"""Test set-up and inspection through the storage layer: users, sessions, audit rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authtuna_api.user.v1 import user_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb
from sqlalchemy import func, insert, select

from authtuna_grpc.services.api_tokens import generate_secret, token_digest
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import Metadata, bearer, token_for_new_user

STRONG = "Correct-Horse-9"


async def create_user(users: Any, metadata: Metadata, username: str, **fields: Any) -> user_pb2.User:
    request = pb.CreateUserRequest(email=f"{username}@example.com", username=username, **fields)
    return (await users.CreateUser(request, metadata=metadata)).user


async def get_user(users: Any, metadata: Metadata, username: str) -> user_pb2.User:
    return (await users.GetUser(pb.GetUserRequest(username=username), metadata=metadata)).user


@dataclass(frozen=True)
class Account:
    """A user with a live API token, as a caller."""

    id: str
    metadata: Metadata


async def account(units: UnitOfWorkFactory, username: str, role: str | None) -> Account:
    secret = await token_for_new_user(units, username, role)
    async with units() as uow:
        user = await uow.users.by_username(username)
    assert user is not None
    return Account(id=str(user.id), metadata=bearer(secret))


async def account_with_permissions(
    units: UnitOfWorkFactory, username: str, permissions: list[str]
) -> Account:
    """An account holding a custom role with exactly `permissions`, globally."""
    role_name = f"role-{username}"
    async with units() as uow:
        connection = uow.users._connection
        role_id = new_id()
        await connection.execute(
            insert(tables.role).values(
                id=role_id,
                name=role_name,
                name_key=role_name.casefold(),
                description="test role",
                is_builtin=False,
                created_at=utc_now(),
            )
        )
        for permission in permissions:
            await connection.execute(
                insert(tables.role_permission).values(role_id=role_id, permission=permission)
            )
        await uow.commit()
    return await account(units, username, role_name)


async def add_session(units: UnitOfWorkFactory, user_id: str) -> uuid.UUID:
    session_id = new_id()
    now = utc_now()
    async with units() as uow:
        await uow.sessions.add(
            session_id=session_id,
            user_id=uuid.UUID(user_id),
            token_hash=token_digest(generate_secret()),
            created_at=now,
            expires_at=now + timedelta(days=1),
            ip_address="127.0.0.1",
        )
        await uow.commit()
    return session_id


async def rows(units: UnitOfWorkFactory, table: Any, *conditions: Any) -> list[dict[str, Any]]:
    async with units() as uow:
        result = await uow.users._connection.execute(select(table).where(*conditions))
        return [dict(row._mapping) for row in result]


async def count(units: UnitOfWorkFactory, table: Any, *conditions: Any) -> int:
    async with units() as uow:
        query = select(func.count()).select_from(table).where(*conditions)
        return int((await uow.users._connection.execute(query)).scalar_one())


async def audit_events(
    units: UnitOfWorkFactory, user_id: str, event_type: str | None = None
) -> list[dict[str, Any]]:
    conditions = [tables.audit_event.c.user_id == uuid.UUID(user_id)]
    if event_type is not None:
        conditions.append(tables.audit_event.c.event_type == event_type)
    found = await rows(units, tables.audit_event, *conditions)
    return sorted(found, key=lambda event: event["id"])


async def total_audit_events(units: UnitOfWorkFactory) -> int:
    return await count(units, tables.audit_event, tables.audit_event.c.id > 0)
