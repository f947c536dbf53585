"""Exporting everything held about one user, page by page, in constant memory.

Each page is read in its own short transaction, so an export of a user with millions
of audit events holds one page at a time and never a long transaction. The export is
therefore not one snapshot: a change made while it runs may or may not be in it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.audit_chain import ChainedEvent
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.exports import (
    EXPORT_PAGE_SIZE,
    ApiTokenBatch,
    AuditEventBatch,
    AuditRelation,
    ConsentBatch,
    ExportPart,
    ExportSummary,
    RoleAssignmentBatch,
    SessionBatch,
)
from authtuna_grpc.domain.user import User
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.services.user_manager import existing_user
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

Item = TypeVar("Item")
Key = TypeVar("Key")
Reader = Callable[[UnitOfWork, Key | None], Awaitable[list[Item]]]


class UserDataExporter:
    def __init__(self, units: UnitOfWorkFactory, clock: Clock) -> None:
        self._units = units
        self._clock = clock

    async def export(self, caller: Caller, user_id: uuid.UUID) -> AsyncIterator[ExportPart]:
        """The profile, then each section in batches, then the summary. Records
        USER_DATA_EXPORTED before yielding anything."""
        exported_at = self._clock()
        yield await self._record_export(caller, user_id, exported_at)
        counts: Counter[str] = Counter()
        async for part in self._sections(user_id):
            counts[_section_name(part)] += len(part.items)
            yield part
        yield ExportSummary(
            user_id=user_id,
            exported_at=exported_at,
            role_assignments=counts["role_assignments"],
            sessions=counts["sessions"],
            api_tokens=counts["api_tokens"],
            consents=counts["consents"],
            subject_audit_events=counts[AuditRelation.SUBJECT.value],
            actor_audit_events=counts[AuditRelation.ACTOR.value],
        )

    async def _record_export(self, caller: Caller, user_id: uuid.UUID, now: datetime) -> User:
        async with self._units() as uow:
            user = await existing_user(uow, user_id)
            await uow.audit_events.append(AuditEvent.by(caller, EventType.USER_DATA_EXPORTED, user_id, now))
            await uow.commit()
        return user

    async def _sections(
        self, user_id: uuid.UUID
    ) -> AsyncIterator[RoleAssignmentBatch | SessionBatch | ApiTokenBatch | ConsentBatch | AuditEventBatch]:
        limit = EXPORT_PAGE_SIZE
        async for assignments in self._pages(
            lambda uow, after: uow.roles.assignments_page(user_id=user_id, after=after, limit=limit),
            lambda item: item.id,
        ):
            yield RoleAssignmentBatch(assignments)
        async for sessions in self._pages(
            lambda uow, after: uow.sessions.records_page(user_id, after=after, limit=limit),
            lambda item: item.session.id,
        ):
            yield SessionBatch(sessions)
        async for tokens in self._pages(
            lambda uow, after: uow.api_tokens.page_of(user_id, after=after, limit=limit),
            lambda item: item.id,
        ):
            yield ApiTokenBatch(tokens)
        async for consents in self._pages(
            lambda uow, after: uow.consents.page(user_id, after=after, limit=limit),
            lambda item: item.id,
        ):
            yield ConsentBatch(consents)
        async for events in self._pages(
            lambda uow, after: uow.audit_events.about_user_page(user_id, after=after or 0, limit=limit),
            _event_id,
        ):
            yield AuditEventBatch(AuditRelation.SUBJECT, events)
        async for events in self._pages(
            lambda uow, after: uow.audit_events.by_actor_page(user_id, after=after or 0, limit=limit),
            _event_id,
        ):
            yield AuditEventBatch(AuditRelation.ACTOR, events)

    async def _pages(
        self, read: Reader[Key, Item], key: Callable[[Item], Key]
    ) -> AsyncIterator[list[Item]]:
        """Keyset pages of EXPORT_PAGE_SIZE, each read in its own unit of work."""
        after: Key | None = None
        while True:
            async with self._units() as uow:
                page = await read(uow, after)
            if page:
                yield page
            if len(page) < EXPORT_PAGE_SIZE:
                return
            after = key(page[-1])


def _event_id(event: ChainedEvent) -> int:
    return event.id


def _section_name(
    part: RoleAssignmentBatch | SessionBatch | ApiTokenBatch | ConsentBatch | AuditEventBatch,
) -> str:
    if isinstance(part, AuditEventBatch):
        return part.relation.value
    return {
        RoleAssignmentBatch: "role_assignments",
        SessionBatch: "sessions",
        ApiTokenBatch: "api_tokens",
        ConsentBatch: "consents",
    }[type(part)]
