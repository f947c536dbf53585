"""Audit rows: appended inside the unit of work of the change they record."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.audit import AuditEvent
from authtuna_grpc.domain.network import address_key
from authtuna_grpc.storage import tables


class AuditEventRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def append(self, event: AuditEvent) -> None:
        await self._connection.execute(
            insert(tables.audit_event).values(
                event_type=event.event_type.value,
                user_id=event.user_id,
                actor_id=event.actor_id,
                ip_address=event.ip_address,
                ip_address_key=address_key(event.ip_address),
                request_id=event.request_id,
                occurred_at=event.occurred_at,
                details=event.details,
            )
        )
