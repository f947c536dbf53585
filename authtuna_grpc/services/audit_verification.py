"""Walking the audit chain over a range of event ids to find the first broken link."""

from __future__ import annotations

from dataclasses import dataclass

from authtuna_grpc.domain.audit_chain import ChainBreak, ChainPosition, ChainWalk
from authtuna_grpc.domain.errors import FieldViolation, InvalidInput
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

VERIFY_PAGE_SIZE = 1000


@dataclass(frozen=True)
class ChainReport:
    first_break: ChainBreak | None
    events_verified: int
    first_event_id: int
    last: ChainPosition
    anchor: ChainPosition

    @property
    def intact(self) -> bool:
        return self.first_break is None


def check_range(from_event_id: int, to_event_id: int) -> None:
    violations = [
        FieldViolation(name, "must not be negative")
        for name, value in (("from_event_id", from_event_id), ("to_event_id", to_event_id))
        if value < 0
    ]
    if not violations and to_event_id and from_event_id > to_event_id:
        violations.append(FieldViolation("to_event_id", "must not be before from_event_id"))
    if violations:
        raise InvalidInput.of(violations)


class AuditVerifier:
    def __init__(self, units: UnitOfWorkFactory) -> None:
        self._units = units

    async def verify(self, from_event_id: int = 0, to_event_id: int = 0) -> ChainReport:
        """Verify events from_event_id..to_event_id (0: from the oldest retained, to the
        head as it is now), each page in its own short transaction."""
        check_range(from_event_id, to_event_id)
        async with self._units() as uow:
            head = await uow.audit_events.head()
            anchor = await uow.audit_anchor.anchor()
        end = min(to_event_id, head.event_id) if to_event_id else head.event_id
        walk = ChainWalk(await self._start(anchor, from_event_id))
        first_event_id = 0
        while True:
            async with self._units() as uow:
                page = await uow.audit_events.chain_page(
                    after=walk.last.event_id, until=end, limit=VERIFY_PAGE_SIZE
                )
            first_event_id = first_event_id or (page[0].id if page else 0)
            for event in page:
                if (found := walk.step(event)) is not None:
                    return await self._broken(found, walk, first_event_id, anchor, from_event_id, to_event_id)
            if len(page) < VERIFY_PAGE_SIZE:
                break
        found = walk.finish(end, head)
        if found is not None:
            return await self._broken(found, walk, first_event_id, anchor, from_event_id, to_event_id)
        return ChainReport(None, walk.verified, first_event_id, walk.last, anchor)

    async def _start(self, anchor: ChainPosition, from_event_id: int) -> ChainPosition:
        """The link the range starts after: the anchor, or the newest event before
        from_event_id (whose own content is outside the range)."""
        if from_event_id <= anchor.event_id + 1:
            return anchor
        async with self._units() as uow:
            before = await uow.audit_events.last_before(from_event_id, after=anchor.event_id)
        return before or anchor

    async def _broken(
        self,
        found: ChainBreak,
        walk: ChainWalk,
        first_event_id: int,
        anchor: ChainPosition,
        from_event_id: int,
        to_event_id: int,
    ) -> ChainReport:
        # A purge running meanwhile removes events the walk was about to read: if the
        # anchor moved past where the walk stood, that was retention, not tampering.
        async with self._units() as uow:
            now_anchor = await uow.audit_anchor.anchor()
        if now_anchor.event_id > anchor.event_id and now_anchor.event_id >= walk.last.event_id:
            restart = max(from_event_id, now_anchor.event_id + 1)
            if to_event_id and restart > to_event_id:
                return ChainReport(None, 0, 0, now_anchor, now_anchor)  # all purged meanwhile
            return await self.verify(restart, to_event_id)
        return ChainReport(found, walk.verified, first_event_id, walk.last, anchor)
