"""Retention: removing audit events and archived users past their configured age.

Rows go in batches, each in its own short transaction with its own audit event
(AUDIT_EVENTS_PURGED, DELETED_USERS_PURGED), so a purge never holds long locks and an
interrupted one keeps what it did. Audit events go oldest first, up to the first event
still within retention — the chain is cut at one point, and the anchor keeps the hash of
the newest purged event, so the oldest retained one still verifies. (An expired event
behind a younger one, which two servers with disagreeing clocks can write, waits for a
later purge.) Several processes may purge at once: the anchor moves by compare-and-set.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from itertools import takewhile

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller, system_caller
from authtuna_grpc.domain.retention import RetentionPolicy
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("authtuna_grpc.retention")


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed, or with `dry_run`, what it would remove."""

    dry_run: bool
    audit_events: int
    deleted_users: int
    consents: int
    audit_cutoff: datetime | None
    deleted_user_cutoff: datetime | None


class Purger:
    def __init__(
        self,
        units: UnitOfWorkFactory,
        policy: RetentionPolicy,
        clock: Clock,
        caller: Caller | None = None,
    ) -> None:
        self._units = units
        self._policy = policy
        self._clock = clock
        self._caller = caller or system_caller()

    async def purge(self, *, dry_run: bool = False) -> PurgeReport:
        now = self._clock()
        audit_cutoff = self._policy.audit_cutoff(now)
        user_cutoff = self._policy.deleted_user_cutoff(now)
        if dry_run:
            return await self._count(audit_cutoff, user_cutoff)
        events = await self._purge_audit_events(audit_cutoff) if audit_cutoff else 0
        users, consents = await self._purge_deleted_users(user_cutoff) if user_cutoff else (0, 0)
        return PurgeReport(False, events, users, consents, audit_cutoff, user_cutoff)

    async def _count(self, audit_cutoff: datetime | None, user_cutoff: datetime | None) -> PurgeReport:
        async with self._units() as uow:
            events = users = consents = 0
            if audit_cutoff is not None:
                anchor = await uow.audit_anchor.anchor()
                events = await uow.audit_anchor.count_expired(anchor.event_id, audit_cutoff)
            if user_cutoff is not None:
                users = await uow.deleted_users.count_deleted_before(user_cutoff)
                consents = await uow.consents.count_of_archived_before(user_cutoff)
        return PurgeReport(True, events, users, consents, audit_cutoff, user_cutoff)

    async def _purge_audit_events(self, cutoff: datetime) -> int:
        total = 0
        while True:
            async with self._units() as uow:
                anchor = await uow.audit_anchor.anchor()
                oldest = await uow.audit_anchor.oldest(anchor.event_id, self._policy.batch_size)
                expired = list(takewhile(lambda event: event.occurred_at < cutoff, oldest))
                if not expired:
                    return total
                through = expired[-1].position
                removed = await uow.audit_anchor.advance(anchor, through, self._clock())
                if removed is None:
                    continue  # another purge moved the anchor: read it again
                details = {
                    "events_removed": str(removed),
                    "through_event_id": str(through.event_id),
                    "older_than": cutoff.isoformat(),
                }
                await uow.audit_events.append(
                    AuditEvent.by(self._caller, EventType.AUDIT_EVENTS_PURGED, None, self._clock(), details)
                )
                await uow.commit()
            total += removed
            if len(expired) < len(oldest) or len(oldest) < self._policy.batch_size:
                return total

    async def _purge_deleted_users(self, cutoff: datetime) -> tuple[int, int]:
        users = consents = 0
        while True:
            async with self._units() as uow:
                ids = await uow.deleted_users.deleted_before(cutoff, self._policy.batch_size)
                if not ids:
                    return users, consents
                removed_users = await uow.deleted_users.remove(ids)
                removed_consents = await uow.consents.remove_of(ids)
                details = {
                    "deleted_users_removed": str(removed_users),
                    "consents_removed": str(removed_consents),
                    "older_than": cutoff.isoformat(),
                }
                await uow.audit_events.append(
                    AuditEvent.by(self._caller, EventType.DELETED_USERS_PURGED, None, self._clock(), details)
                )
                await uow.commit()
            users += removed_users
            consents += removed_consents
            if len(ids) < self._policy.batch_size:
                return users, consents


async def purge_periodically(purger: Purger, interval_seconds: float) -> None:
    """Purge every `interval_seconds` until cancelled; a failed purge is logged and
    tried again at the next interval."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            report = await purger.purge()
        except Exception:
            log.exception("retention purge failed; retrying in %.0fs", interval_seconds)
            continue
        if report.audit_events or report.deleted_users:
            log.info(
                "retention purge removed %d audit events, %d archived users, %d consent records",
                report.audit_events, report.deleted_users, report.consents,
            )
