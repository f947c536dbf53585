"""Reading the audit trail: filtered pages in id order, and what is new since a point."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from authtuna_grpc.domain.audit_query import AuditEventFilter, AuditOrder, RecordedAuditEvent
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.reads import page_connection
from authtuna_grpc.storage.rows import aware_required

_e = tables.audit_event

_COLUMNS = (
    _e.c.id,
    _e.c.event_type,
    _e.c.user_id,
    _e.c.actor_id,
    _e.c.ip_address,
    _e.c.request_id,
    _e.c.occurred_at,
    _e.c.details,
)


def _conditions(f: AuditEventFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if f.user_id is not None:
        found.append(_e.c.user_id == f.user_id)
    if f.actor_id is not None:
        found.append(_e.c.actor_id == f.actor_id)
    if f.event_types:
        found.append(_e.c.event_type.in_(sorted(f.event_types)))
    if f.addresses is not None:
        first, last = f.addresses.first, f.addresses.last
        found.append(
            _e.c.ip_address_key == first if first == last else _e.c.ip_address_key.between(first, last)
        )
    if f.since is not None:
        found.append(_e.c.occurred_at >= f.since)
    if f.until is not None:
        found.append(_e.c.occurred_at < f.until)
    return found


def page_query(
    f: AuditEventFilter, *, order: AuditOrder, after_id: int | None, upto_id: int | None, limit: int
) -> Select[Any]:
    """Matching events in id order, continuing after `after_id`, never beyond `upto_id`.

    The page's ids are chosen first, from the indexes alone, and only those rows are
    read: for a filter whose index does not run in id order (a CIDR range, a time
    window) this reads 1000 rows instead of every match (at 5M events, a /24 page
    took 107 ms directly and 9 ms this way)."""
    conditions = _conditions(f)
    newest_first = order is AuditOrder.NEWEST_FIRST
    if after_id is not None:
        conditions.append(_e.c.id < after_id if newest_first else _e.c.id > after_id)
    if upto_id is not None:
        conditions.append(_e.c.id <= upto_id)
    ordering = _e.c.id.desc() if newest_first else _e.c.id
    page = select(_e.c.id).where(and_(true(), *conditions)).order_by(ordering).limit(limit).subquery()
    return select(*_COLUMNS).join_from(_e, page, _e.c.id == page.c.id).order_by(ordering)


def _details(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}


def _event(row: Any) -> RecordedAuditEvent:
    return RecordedAuditEvent(
        id=row.id,
        event_type=row.event_type,
        user_id=row.user_id,
        actor_id=row.actor_id,
        ip_address=row.ip_address,
        request_id=row.request_id,
        occurred_at=aware_required(row.occurred_at),
        details=_details(row.details),
    )


class AuditEventReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def page(
        self,
        f: AuditEventFilter,
        *,
        order: AuditOrder,
        after_id: int | None,
        limit: int,
        upto_id: int | None = None,
    ) -> list[RecordedAuditEvent]:
        query = page_query(f, order=order, after_id=after_id, upto_id=upto_id, limit=limit)
        async with page_connection(self._engine) as connection:
            rows = (await connection.execute(query)).all()
        return [_event(row) for row in rows]

    async def latest_ids(self, window: int) -> list[int]:
        """The ids among the last `window` sequence numbers, ascending, in one snapshot."""
        newest = select(func.max(_e.c.id)).scalar_subquery()
        query = select(_e.c.id).where(_e.c.id > newest - window).order_by(_e.c.id)
        async with page_connection(self._engine) as connection:
            return list((await connection.execute(query)).scalars().all())

    async def recorded_since(
        self, frontier: int, missing: Collection[int], limit: int
    ) -> list[RecordedAuditEvent]:
        """Unfiltered: the first `limit` events after `frontier`, and any `missing` ids now present."""
        newer: ColumnElement[bool] = _e.c.id > frontier
        if missing:
            newer = or_(newer, _e.c.id.in_(sorted(missing)))
        query = select(*_COLUMNS).where(newer).order_by(_e.c.id).limit(limit + len(missing))
        async with page_connection(self._engine) as connection:
            rows = (await connection.execute(query)).all()
        return [_event(row) for row in rows]
