"""Rows of a given age, written through the storage layer, for retention tests."""

from __future__ import annotations

import uuid
from datetime import datetime

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.consents import Consent
from authtuna_grpc.domain.lifecycle import DeletedUser
from authtuna_grpc.services.clock import new_id
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory


async def add_events(units: UnitOfWorkFactory, count: int, at: datetime, tag: str) -> None:
    """`count` events that occurred at `at`, appended to the chain."""
    async with units() as uow:
        for i in range(count):
            await uow.audit_events.append(
                AuditEvent(EventType.USER_UPDATED, None, None, None, f"{tag}-{i}", at, {"tag": tag})
            )
        await uow.commit()


async def add_archived_user(units: UnitOfWorkFactory, name: str, deleted_at: datetime) -> uuid.UUID:
    """An archived user deleted at `deleted_at`, with one consent record."""
    user_id = new_id()
    async with units() as uow:
        await uow.deleted_users.add(
            DeletedUser(
                id=user_id, email=f"{name}@example.com", username=name, is_service_account=False,
                email_verified=False, attributes={}, created_at=deleted_at, last_login_at=None,
                suspended_at=None, suspension_reason=None, deleted_at=deleted_at, deleted_by=None,
                reason=None,
            )
        )
        await uow.consents.add(Consent(new_id(), user_id, "newsletter", "v1", deleted_at, None, None))
        await uow.commit()
    return user_id
