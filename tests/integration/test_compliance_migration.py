"""Revision 0006 chains the audit events written before it, and round-trips."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection, inspect

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.services.audit_verification import AuditVerifier
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

OLD_EVENTS = sa.table(
    "audit_event",
    sa.column("id", sa.BigInteger()),
    sa.column("event_type", sa.String()),
    sa.column("user_id", sa.Uuid()),
    sa.column("actor_id", sa.Uuid()),
    sa.column("ip_address", sa.String()),
    sa.column("request_id", sa.String()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("details", sa.JSON()),
)


async def test_events_from_before_0006_are_chained_and_verify(database_url: str) -> None:
    engine = create_engine(database_url)
    config = migrations.alembic_config()

    def downgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")

    def columns(connection: Connection) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns("audit_event")}

    try:
        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            assert "chain_hash" not in await connection.run_sync(columns)
            # Ids with gaps, as a sequence leaves them after rolled-back inserts.
            await connection.execute(
                sa.insert(OLD_EVENTS),
                [
                    {"id": event_id, "event_type": "USER_CREATED", "user_id": None, "actor_id": None,
                     "ip_address": "10.0.0.1", "request_id": f"old-{event_id}",
                     "occurred_at": datetime(2025, 1, event_id, tzinfo=UTC), "details": {"n": str(event_id)}}
                    for event_id in (1, 2, 5)
                ],
            )
        await migrations.upgrade(engine)
        assert await migrations.is_current(engine)
        units = UnitOfWorkFactory(engine)
        report = await AuditVerifier(units).verify()
        assert report.intact and (report.events_verified, report.last.event_id) == (3, 5)
        async with units() as uow:
            assert (await uow.audit_events.head()).event_id == 5
            await uow.audit_events.append(
                AuditEvent(EventType.USER_UPDATED, None, None, None, "new", datetime.now(UTC), {})
            )
            await uow.commit()
        after = await AuditVerifier(units).verify()
        assert after.intact and (after.events_verified, after.last.event_id) == (4, 6)
    finally:
        await engine.dispose()
