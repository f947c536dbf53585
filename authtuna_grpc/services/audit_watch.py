"""WatchAuditEvents: a live tail of the audit trail that never skips a late commit.

Event ids come from a sequence, and a sequence hands out numbers in the order the
inserts ran, not the order their transactions committed: event 101 can become visible
before event 100. A tail that only asked for "ids above the highest seen" would skip
100 for good. So the watch keeps the ids it jumped over ("missing") and asks for them
again on every poll until they appear or are given up (a rolled-back insert never
appears). Polling the primary key every fraction of a second is cheap, and sees what
any server process on the same database committed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.audit_query import AuditOrder, AuditWatch, RecordedAuditEvent
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.storage.audit_reader import AuditEventReader

# How far back a new watch looks for ids still being committed.
START_WINDOW = 1000
# Missing ids are given up after this long, or beyond this many (the oldest first).
MISSING_MAX_AGE_SECONDS = 120.0
MISSING_MAX_COUNT = 1000
LIVE_PAGE = 1000
REPLAY_PAGE = 1000

Monotonic = Callable[[], float]


@dataclass(frozen=True)
class WatchBatch:
    events: list[RecordedAuditEvent]
    heartbeat_at: datetime | None
    resume_after_id: int


class SequenceGaps:
    """The highest id seen, and the ids below it not seen yet, with when they went missing."""

    def __init__(self, frontier: int, missing: Iterable[int], now: float) -> None:
        self.frontier = frontier
        self._missing: dict[int, float] = dict.fromkeys(sorted(missing), now)

    @classmethod
    def starting(cls, latest: list[int], after_id: int | None, now: float) -> SequenceGaps:
        """Start at the newest id, or at `after_id` when it is newer; only ids above
        `after_id` (when given) and within START_WINDOW of the newest can be missing."""
        newest = latest[-1] if latest else 0
        floor = max(newest - START_WINDOW, after_id or 0)
        present = set(latest)
        missing = [i for i in range(floor + 1, newest + 1) if i not in present]
        return cls(max(newest, after_id or 0), missing, now)

    @property
    def missing(self) -> list[int]:
        return list(self._missing)

    @property
    def resume_after_id(self) -> int:
        """Every id at or below this has been seen or given up."""
        return min(self._missing) - 1 if self._missing else self.frontier

    def note(self, ids: Iterable[int], now: float) -> set[int]:
        """Record ids read in ascending order; return those not seen before."""
        fresh = set()
        for event_id in ids:
            if event_id > self.frontier:
                skipped = range(max(self.frontier + 1, event_id - MISSING_MAX_COUNT), event_id)
                self._missing.update(dict.fromkeys(skipped, now))
                self.frontier = event_id
                fresh.add(event_id)
            elif self._missing.pop(event_id, None) is not None:
                fresh.add(event_id)
        self._forget(now)
        return fresh

    def _forget(self, now: float) -> None:
        expired = [i for i, since in self._missing.items() if now - since > MISSING_MAX_AGE_SECONDS]
        for event_id in expired:
            del self._missing[event_id]
        if len(self._missing) > MISSING_MAX_COUNT:
            for event_id in sorted(self._missing)[: len(self._missing) - MISSING_MAX_COUNT]:
                del self._missing[event_id]


class AuditWatcher:
    def __init__(
        self,
        reader: AuditEventReader,
        clock: Clock,
        poll_seconds: float,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._reader = reader
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._monotonic = monotonic

    async def watch(self, watch: AuditWatch) -> AsyncGenerator[WatchBatch, None]:
        latest = await self._reader.latest_ids(START_WINDOW)
        gaps = SequenceGaps.starting(latest, watch.after_id, self._monotonic())
        # The watch is established: say so at once, with where it starts.
        start = gaps.resume_after_id
        if watch.after_id is not None:
            start = min(start, watch.after_id)
        yield WatchBatch([], self._clock(), start)
        if watch.after_id is not None and watch.after_id < gaps.frontier:
            async for batch in self._replay(watch, gaps):
                yield batch
        async for batch in self._tail(watch, gaps):
            yield batch

    async def _replay(self, watch: AuditWatch, gaps: SequenceGaps) -> AsyncIterator[WatchBatch]:
        """What was already committed after `after_id`, up to where the tail starts."""
        cursor = watch.after_id
        while True:
            events = await self._reader.page(
                watch.filter,
                order=AuditOrder.OLDEST_FIRST,
                after_id=cursor,
                upto_id=gaps.frontier,
                limit=REPLAY_PAGE,
            )
            if not events:
                return
            gaps.note((e.id for e in events), self._monotonic())
            cursor = events[-1].id
            yield WatchBatch(events, None, min(cursor, gaps.resume_after_id))
            if len(events) < REPLAY_PAGE:
                return

    async def _tail(self, watch: AuditWatch, gaps: SequenceGaps) -> AsyncIterator[WatchBatch]:
        last_sent = self._monotonic()
        while True:
            frontier = gaps.frontier
            events = await self._reader.recorded_since(frontier, gaps.missing, LIVE_PAGE)
            caught_up = sum(1 for e in events if e.id > frontier) < LIVE_PAGE
            now = self._monotonic()
            fresh = gaps.note((e.id for e in events), now)
            matching = [e for e in events if e.id in fresh and watch.filter.matches(e)]
            if matching:
                yield WatchBatch(matching, None, gaps.resume_after_id)
                last_sent = self._monotonic()
            elif now - last_sent >= watch.heartbeat_seconds:
                yield WatchBatch([], self._clock(), gaps.resume_after_id)
                last_sent = self._monotonic()
            if caught_up:
                until_heartbeat = last_sent + watch.heartbeat_seconds - self._monotonic()
                await asyncio.sleep(max(0.0, min(self._poll_seconds, until_heartbeat)))
