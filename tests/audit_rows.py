"""Reading audit rows straight from the database, to check what a call recorded."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class AuditRow:
    event_type: str
    user_id: str | None
    actor_id: str | None
    ip_address: str | None
    request_id: str
    details: dict[str, str]


async def audit_rows(units: UnitOfWorkFactory, *event_types: str) -> list[AuditRow]:
    """Audit rows in order, only of the given types when any are given."""
    t = tables.audit_event
    query = select(t).order_by(t.c.id)
    if event_types:
        query = query.where(t.c.event_type.in_(event_types))
    async with units() as uow:
        rows = (await uow.users._connection.execute(query)).all()
    return [
        AuditRow(
            event_type=row.event_type,
            user_id=str(row.user_id) if row.user_id else None,
            actor_id=str(row.actor_id) if row.actor_id else None,
            ip_address=row.ip_address,
            request_id=row.request_id,
            details=dict(row.details),
        )
        for row in rows
    ]
