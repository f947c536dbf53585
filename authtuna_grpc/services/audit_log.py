"""ListAuditEvents: the audit trail in id order, filtered, in batches."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from authtuna_grpc.domain.audit_query import AuditQuery, RecordedAuditEvent
from authtuna_grpc.storage.audit_reader import AuditEventReader


class AuditLog:
    def __init__(self, reader: AuditEventReader) -> None:
        self._reader = reader

    async def events(self, query: AuditQuery) -> AsyncGenerator[list[RecordedAuditEvent], None]:
        """Page after page, each read in its own short transaction, resumable by id."""
        after, remaining = query.after_id, query.limit
        while remaining is None or remaining > 0:
            size = query.batch_size if remaining is None else min(query.batch_size, remaining)
            events = await self._reader.page(
                query.filter, order=query.order, after_id=after, limit=size
            )
            if not events:
                return
            yield events
            if len(events) < size:
                return
            after = events[-1].id
            if remaining is not None:
                remaining -= len(events)
