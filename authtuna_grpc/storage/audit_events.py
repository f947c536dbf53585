"""Audit rows: appended inside the unit of work of the change they record, on the chain.

`append` only collects; the unit of work calls `flush` right before it commits, which
takes the next ids by updating the chain head (locking it until the commit), links the
events to the head's hash and writes them. So every writer, in every process, appends to
one chain in commit order, and the lock is held only for the commit's tail.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.audit import AuditEvent
from authtuna_grpc.domain.audit_chain import ChainedEvent, ChainPosition, link_all
from authtuna_grpc.domain.network import address_key
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.bulk import insert_rows
from authtuna_grpc.storage.rows import aware_required

_e = tables.audit_event
_head = tables.audit_chain_head
HEAD_ROW = 1


class AuditEventRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._pending: list[AuditEvent] = []

    async def append(self, event: AuditEvent) -> None:
        """Record `event`; it is written, on the chain, when the unit of work commits."""
        self._pending.append(event)

    async def flush(self) -> None:
        """Write the collected events after the chain head, and move the head."""
        if not self._pending:
            return
        events, self._pending = self._pending, []
        # The UPDATE takes the ids and locks the head row until the transaction ends.
        taken = await self._connection.execute(
            update(_head)
            .where(_head.c.id == HEAD_ROW)
            .values(event_id=_head.c.event_id + len(events))
            .returning(_head.c.event_id, _head.c.chain_hash)
        )
        row = taken.one()
        chained, head = link_all(events, ChainPosition(row.event_id - len(events), row.chain_hash))
        await insert_rows(self._connection, _e, [_values(event) for event in chained])
        await self._connection.execute(
            update(_head).where(_head.c.id == HEAD_ROW).values(chain_hash=head.chain_hash)
        )

    async def head(self) -> ChainPosition:
        row = (await self._connection.execute(select(_head).where(_head.c.id == HEAD_ROW))).one()
        return ChainPosition(row.event_id, row.chain_hash)

    async def chain_page(self, *, after: int, until: int, limit: int) -> list[ChainedEvent]:
        """Events with after < id <= until, in id order."""
        return await self._page(_e.c.id <= until, after=after, limit=limit)

    async def last_before(self, event_id: int, *, after: int) -> ChainPosition | None:
        """The newest event with after < id < event_id."""
        query = (
            select(_e.c.id, _e.c.chain_hash)
            .where(_e.c.id < event_id, _e.c.id > after)
            .order_by(_e.c.id.desc())
            .limit(1)
        )
        row = (await self._connection.execute(query)).first()
        return ChainPosition(row.id, row.chain_hash) if row is not None else None

    async def about_user_page(self, user_id: uuid.UUID, *, after: int, limit: int) -> list[ChainedEvent]:
        """Events whose subject is the user, in id order."""
        return await self._page(_e.c.user_id == user_id, after=after, limit=limit)

    async def by_actor_page(self, actor_id: uuid.UUID, *, after: int, limit: int) -> list[ChainedEvent]:
        """Events the user caused about someone or something else, in id order."""
        condition = (_e.c.actor_id == actor_id) & or_(_e.c.user_id.is_(None), _e.c.user_id != actor_id)
        return await self._page(condition, after=after, limit=limit)

    async def _page(self, condition: ColumnElement[bool], *, after: int, limit: int) -> list[ChainedEvent]:
        query = select(_e).where(condition, _e.c.id > after).order_by(_e.c.id).limit(limit)
        return [to_chained_event(row) for row in (await self._connection.execute(query)).all()]


def _values(event: ChainedEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "event_type": event.event_type,
        "user_id": event.user_id,
        "actor_id": event.actor_id,
        "ip_address": event.ip_address,
        "ip_address_key": address_key(event.ip_address),
        "request_id": event.request_id,
        # SQLite keeps the wall time only: store UTC, which is what is read back.
        "occurred_at": _utc(event.occurred_at),
        "details": dict(event.details),
        "previous_hash": event.previous_hash,
        "chain_hash": event.chain_hash,
    }


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_chained_event(row: Row[Any]) -> ChainedEvent:
    m = row._mapping
    return ChainedEvent(
        id=m["id"],
        event_type=m["event_type"],
        user_id=m["user_id"],
        actor_id=m["actor_id"],
        ip_address=m["ip_address"],
        request_id=m["request_id"],
        occurred_at=aware_required(m["occurred_at"]),
        details=dict(m["details"] or {}),
        previous_hash=m["previous_hash"],
        chain_hash=m["chain_hash"],
    )
