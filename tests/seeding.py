"""Quick test data through the storage layer: users, role assignments, audit events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.user import User, new_user
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class Person:
    username: str
    email: str | None = None
    email_verified: bool = False
    service_account: bool = False
    suspended: bool = False
    roles: tuple[tuple[str, str], ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None


async def add_users(units: UnitOfWorkFactory, people: list[Person]) -> list[User]:
    """Create the people in order (ids ascend), in one transaction."""
    created = []
    async with units() as uow:
        for person in people:
            account = new_user(
                email=person.email or f"{person.username}@example.com",
                username=person.username,
                password=None,
                attributes=person.attributes,
                email_verified=person.email_verified,
                is_service_account=person.service_account,
            )
            now = person.created_at or utc_now()
            user = await uow.users.add(new_id(), account, None, now)
            for role, scope in person.roles:
                role_id = await uow.roles.id_of(role)
                assert role_id is not None, role
                await uow.roles.assign(
                    assignment_id=new_id(), user_id=user.id, role_id=role_id, scope=scope,
                    granted_by=None, granted_at=now,
                )
            created.append(user)
        await uow.commit()
    for person, user in zip(people, created, strict=True):
        if person.suspended:
            await suspend(units, user.id)
    return created


async def suspend(units: UnitOfWorkFactory, user_id: uuid.UUID) -> None:
    async with units() as uow:
        await uow.users._connection.execute(
            update(tables.user)
            .where(tables.user.c.id == user_id)
            .values(is_active=False, suspended_at=utc_now(), suspension_reason="test suspension")
        )
        await uow.commit()


async def add_events(units: UnitOfWorkFactory, events: list[AuditEvent]) -> None:
    async with units() as uow:
        for event in events:
            await uow.audit_events.append(event)
        await uow.commit()


def event(
    event_type: EventType = EventType.USER_CREATED,
    *,
    user_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    ip_address: str | None = "192.0.2.1",
    occurred_at: datetime | None = None,
    details: dict[str, str] | None = None,
) -> AuditEvent:
    return AuditEvent(
        event_type=event_type,
        user_id=user_id,
        actor_id=actor_id,
        ip_address=ip_address,
        request_id="test",
        occurred_at=occurred_at or datetime.now(UTC),
        details=details or {},
    )


async def add_many_users(units: UnitOfWorkFactory, prefix: str, count: int) -> None:
    """`count` plain users named <prefix><n>, inserted in one statement batch."""
    now = utc_now()
    rows = [
        {
            "id": new_id(),
            "email": f"{prefix}{n}@example.com",
            "email_key": f"{prefix}{n}@example.com".casefold(),
            "username": f"{prefix}{n}",
            "username_key": f"{prefix}{n}".casefold(),
            "password_hash": None,
            "is_active": True,
            "email_verified": False,
            "is_service_account": False,
            "attributes": {"n": str(n)},
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for n in range(count)
    ]
    async with units() as uow:
        await uow.users._connection.execute(tables.user.insert(), rows)
        await uow.commit()
