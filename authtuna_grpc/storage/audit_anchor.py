"""The retention anchor, and removing the oldest audit events behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.audit_chain import ChainPosition
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware_required

_e = tables.audit_event
_a = tables.audit_anchor
ANCHOR_ROW = 1


@dataclass(frozen=True)
class OldestEvent:
    position: ChainPosition
    occurred_at: datetime


class AuditAnchorRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def anchor(self) -> ChainPosition:
        row = (await self._connection.execute(select(_a).where(_a.c.id == ANCHOR_ROW))).one()
        return ChainPosition(row.event_id, row.chain_hash)

    async def oldest(self, after: int, limit: int) -> list[OldestEvent]:
        """The oldest events after the anchor, in id order."""
        query = (
            select(_e.c.id, _e.c.chain_hash, _e.c.occurred_at)
            .where(_e.c.id > after)
            .order_by(_e.c.id)
            .limit(limit)
        )
        return [
            OldestEvent(ChainPosition(row.id, row.chain_hash), aware_required(row.occurred_at))
            for row in (await self._connection.execute(query)).all()
        ]

    async def advance(self, old: ChainPosition, new: ChainPosition, now: datetime) -> int | None:
        """Move the anchor from `old` to `new` and delete the events up to it; how many
        were deleted, or None (and nothing done) if another purge moved the anchor since
        `old` was read."""
        moved = await self._connection.execute(
            update(_a)
            .where(_a.c.id == ANCHOR_ROW, _a.c.event_id == old.event_id)
            .values(event_id=new.event_id, chain_hash=new.chain_hash, purged_at=now)
        )
        if moved.rowcount != 1:
            return None
        deleted = await self._connection.execute(
            delete(_e).where(_e.c.id > old.event_id, _e.c.id <= new.event_id)
        )
        return int(deleted.rowcount)

    async def count_expired(self, after: int, cutoff: datetime) -> int:
        """How many events a purge at `cutoff` would remove: those after the anchor and
        before the first event still within retention."""
        first_kept = (
            select(func.min(_e.c.id)).where(_e.c.id > after, _e.c.occurred_at >= cutoff).scalar_subquery()
        )
        query = select(func.count()).select_from(_e).where(
            _e.c.id > after, _e.c.occurred_at < cutoff, (_e.c.id < first_kept) | first_kept.is_(None)
        )
        return int((await self._connection.execute(query)).scalar_one())
