"""Bulk import of users, with their existing password hashes, row by row.

A request's valid rows are written in one transaction, with one multi-row INSERT and a
USER_IMPORTED audit event per row, so an import runs at thousands of users a second
while every row still gets its own result. Nothing is hashed: the hashes come ready.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import (
    DomainError,
    EmailAlreadyRegistered,
    InvalidInput,
    UsernameAlreadyTaken,
)
from authtuna_grpc.domain.imports import ImportRow, RawImportRow, batch_size_problem, import_row
from authtuna_grpc.domain.user import identity_key
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory
from authtuna_grpc.storage.users import NewUserRow

# A concurrent registration can take a key between the duplicate check and the insert;
# then the batch is checked again and retried.
INSERT_ATTEMPTS = 3


class Outcome(enum.Enum):
    IMPORTED = "imported"
    VALID = "valid"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RowResult:
    row: int
    outcome: Outcome
    user_id: uuid.UUID | None = None
    error: DomainError | None = None


@dataclass(frozen=True)
class _Candidate:
    row: int
    data: ImportRow
    email_key: str
    username_key: str


@dataclass
class _Keys:
    """Emails and usernames already used: by registered users, and by earlier rows
    (key → row)."""

    registered_emails: set[str]
    registered_usernames: set[str]
    earlier_emails: dict[str, int] = field(default_factory=dict)
    earlier_usernames: dict[str, int] = field(default_factory=dict)

    def duplicate(self, candidate: _Candidate) -> DomainError | None:
        """The error for a row whose email or username is used already, or None (and
        the row's keys are used from now on)."""
        if candidate.email_key in self.registered_emails:
            return EmailAlreadyRegistered("a user with this email is already registered", metadata={"field": "email"})
        if (row := self.earlier_emails.get(candidate.email_key)) is not None:
            return EmailAlreadyRegistered(
                f"row {row} of this import has this email", metadata={"field": "email", "row": str(row)}
            )
        if candidate.username_key in self.registered_usernames:
            return UsernameAlreadyTaken("this username is already taken", metadata={"field": "username"})
        if (row := self.earlier_usernames.get(candidate.username_key)) is not None:
            return UsernameAlreadyTaken(
                f"row {row} of this import has this username", metadata={"field": "username", "row": str(row)}
            )
        self.earlier_emails[candidate.email_key] = candidate.row
        self.earlier_usernames[candidate.username_key] = candidate.row
        return None


class UserImporter:
    def __init__(self, units: UnitOfWorkFactory, clock: Clock, new_id: IdFactory) -> None:
        self.units = units
        self.clock = clock
        self.new_id = new_id

    def start(self, caller: Caller) -> ImportRun:
        return ImportRun(self, caller)


@dataclass(frozen=True)
class _Prepared:
    """A request's rows after validation, before the database is asked."""

    first_row: int
    count: int
    validate_only: bool
    rejected: list[RowResult]
    candidates: list[_Candidate]


class ImportRun:
    """One import stream: row numbers and `validate_only` span all its requests. A dry
    run remembers the keys of the rows it found valid (about 200 bytes a row), to report
    duplicates between requests; a real import finds them in the database."""

    def __init__(self, importer: UserImporter, caller: Caller) -> None:
        self._importer = importer
        self._caller = caller
        self._next_row = 0
        self._validate_only: bool | None = None
        self._dry_run_emails: dict[str, int] = {}
        self._dry_run_usernames: dict[str, int] = {}

    async def import_batches(
        self, batches: AsyncIterator[tuple[list[RawImportRow], bool]]
    ) -> AsyncIterator[list[RowResult]]:
        """For each (rows, validate_only) request, one result per row, in order.

        Pipelined: the next request is validated (CPU) while the previous one is being
        written (the database's time), but only one is written at a time, so every
        request sees the rows of the ones before it.
        """
        writing: asyncio.Task[list[RowResult]] | None = None
        try:
            async for rows, validate_only in batches:
                try:
                    prepared = self._prepare(rows, validate_only)
                except InvalidInput:
                    if writing is not None:  # report what was written before failing
                        yield await writing
                        writing = None
                    raise
                if writing is not None:
                    yield await writing
                writing = asyncio.create_task(self._finish(prepared))
            if writing is not None:
                yield await writing
        finally:
            if writing is not None and not writing.done():
                writing.cancel()

    def _prepare(self, rows: list[RawImportRow], validate_only: bool) -> _Prepared:
        self._check_request(len(rows), validate_only)
        first, self._next_row = self._next_row, self._next_row + len(rows)
        now = self._importer.clock()
        rejected, candidates = [], []
        for row, raw in enumerate(rows, start=first):
            try:
                data = import_row(raw, now)
            except InvalidInput as error:
                rejected.append(RowResult(row, Outcome.REJECTED, error=error))
                continue
            keys = identity_key(data.registration.email), identity_key(data.registration.username)
            candidates.append(_Candidate(row, data, *keys))
        return _Prepared(first, len(rows), validate_only, rejected, candidates)

    async def _finish(self, prepared: _Prepared) -> list[RowResult]:
        if prepared.validate_only:
            outcomes = await self._validate(prepared.candidates)
        else:
            outcomes = await self._insert(prepared.candidates)
        by_row = {result.row: result for result in [*prepared.rejected, *outcomes]}
        return [by_row[row] for row in range(prepared.first_row, prepared.first_row + prepared.count)]

    def _check_request(self, count: int, validate_only: bool) -> None:
        if problem := batch_size_problem(count):
            raise InvalidInput.field("users", problem)
        if self._validate_only is None:
            self._validate_only = validate_only
        elif validate_only != self._validate_only:
            raise InvalidInput.field(
                "validate_only",
                f"must be the same on every request of an import (the first said {self._validate_only})",
            )

    async def _validate(self, candidates: list[_Candidate]) -> list[RowResult]:
        async with self._importer.units() as uow:
            keys = await _registered(uow, candidates)
        keys.earlier_emails, keys.earlier_usernames = self._dry_run_emails, self._dry_run_usernames
        return [
            RowResult(c.row, Outcome.REJECTED, error=error)
            if (error := keys.duplicate(c)) is not None
            else RowResult(c.row, Outcome.VALID)
            for c in candidates
        ]

    async def _insert(self, candidates: list[_Candidate]) -> list[RowResult]:
        """Check for duplicates and write, in one transaction; again if a concurrent
        registration took a key in between (the insert then fails as a whole)."""
        for attempt in range(1, INSERT_ATTEMPTS + 1):
            try:
                async with self._importer.units() as uow:
                    keys = await _registered(uow, candidates)
                    results, kept = [], []
                    for candidate in candidates:
                        if (error := keys.duplicate(candidate)) is not None:
                            results.append(RowResult(candidate.row, Outcome.REJECTED, error=error))
                        else:
                            kept.append(candidate)
                    results += await self._write(uow, kept)
                    await uow.commit()
                return results
            except IntegrityError:
                if attempt == INSERT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _write(self, uow: UnitOfWork, kept: list[_Candidate]) -> list[RowResult]:
        if not kept:
            return []
        now = self._importer.clock()
        ids = [self._importer.new_id() for _ in kept]
        await uow.users.add_many(
            [
                NewUserRow(user_id, c.data.registration, c.data.password_hash, c.data.created_at or now)
                for user_id, c in zip(ids, kept, strict=True)
            ],
            now,
        )
        for user_id, candidate in zip(ids, kept, strict=True):
            await uow.audit_events.append(self._imported(user_id, candidate, now))
        return [RowResult(c.row, Outcome.IMPORTED, user_id=i) for i, c in zip(ids, kept, strict=True)]

    def _imported(self, user_id: uuid.UUID, candidate: _Candidate, now: datetime) -> AuditEvent:
        registration = candidate.data.registration
        scheme = candidate.data.scheme.value if candidate.data.scheme else "none"
        details = {"email": registration.email, "username": registration.username, "password_hash_scheme": scheme}
        return AuditEvent.by(self._caller, EventType.USER_IMPORTED, user_id, now, details)


async def _registered(uow: UnitOfWork, candidates: list[_Candidate]) -> _Keys:
    emails, usernames = await uow.users.taken(
        [c.email_key for c in candidates], [c.username_key for c in candidates]
    )
    return _Keys(emails, usernames)
