"""The unit of work owns the transaction: a change and its audit row commit together.

It is also where storage meets the use cases, so it is where a database out of reach
becomes the domain's `StorageUnavailable` (see storage/availability.py).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authtuna_grpc.domain.errors import DomainError, StorageUnavailable
from authtuna_grpc.storage import deadlines
from authtuna_grpc.storage.api_tokens import ApiTokenRepository
from authtuna_grpc.storage.audit_anchor import AuditAnchorRepository
from authtuna_grpc.storage.audit_events import AuditEventRepository
from authtuna_grpc.storage.availability import is_unavailable
from authtuna_grpc.storage.consents import ConsentRepository
from authtuna_grpc.storage.credentials import CredentialRepository
from authtuna_grpc.storage.deleted_users import DeletedUserRepository
from authtuna_grpc.storage.role_holders import RoleHolderRepository
from authtuna_grpc.storage.roles import RoleRepository
from authtuna_grpc.storage.second_factors import SecondFactorRepository
from authtuna_grpc.storage.sessions import SessionRepository
from authtuna_grpc.storage.service_identities import ServiceIdentityRepository
from authtuna_grpc.storage.sign_in_challenges import SignInChallengeRepository
from authtuna_grpc.storage.sign_in_throttle import SignInThrottleRepository
from authtuna_grpc.storage.users import UserRepository


UNAVAILABLE_MESSAGE = "the database is unavailable; retry later"
# The delay a client is told to wait before retrying (google.rpc.RetryInfo).
UNAVAILABLE_RETRY_DELAY = timedelta(seconds=1)


def storage_unavailable(cause: BaseException) -> StorageUnavailable:
    error = StorageUnavailable(UNAVAILABLE_MESSAGE, retry_delay=UNAVAILABLE_RETRY_DELAY)
    error.__cause__ = cause
    return error


class UnitOfWork:
    """One connection, one transaction. Leaving without `commit()` rolls back.

    On PostgreSQL, when the current call has a deadline, every statement of the
    transaction is limited to the time the caller has left. A read unit (one statement,
    autocommit, no transaction to hold a SET LOCAL) relies on cancellation instead: when
    the call ends, asyncpg cancels its statement on the server.

    `commit()` writes the audit events collected during the unit of work last, right
    before COMMIT, so the audit chain's head is locked only for that tail.
    """

    users: UserRepository
    audit_events: AuditEventRepository
    api_tokens: ApiTokenRepository
    roles: RoleRepository
    role_holders: RoleHolderRepository
    sessions: SessionRepository
    deleted_users: DeletedUserRepository
    service_identities: ServiceIdentityRepository
    credentials: CredentialRepository
    sign_in_throttle: SignInThrottleRepository
    second_factors: SecondFactorRepository
    sign_in_challenges: SignInChallengeRepository
    consents: ConsentRepository
    audit_anchor: AuditAnchorRepository

    def __init__(self, engine: AsyncEngine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: AsyncConnection | None = None
        self._timeouts = engine.dialect.name == "postgresql"

    async def __aenter__(self) -> UnitOfWork:
        try:
            self._connection = connection = await self._engine.connect()
            if not self._read_only:
                await connection.begin()
                await self._limit_to_deadline(connection)
        except BaseException as error:  # a cancellation too: the connection goes back
            await self._release()
            if isinstance(error, Exception) and is_unavailable(error):
                raise storage_unavailable(error) from error
            raise
        self.users = UserRepository(connection)
        self.audit_events = AuditEventRepository(connection)
        self.api_tokens = ApiTokenRepository(connection)
        self.roles = RoleRepository(connection)
        self.role_holders = RoleHolderRepository(connection)
        self.sessions = SessionRepository(connection)
        self.deleted_users = DeletedUserRepository(connection)
        self.service_identities = ServiceIdentityRepository(connection)
        self.credentials = CredentialRepository(connection)
        self.sign_in_throttle = SignInThrottleRepository(connection)
        self.second_factors = SecondFactorRepository(connection)
        self.sign_in_challenges = SignInChallengeRepository(connection)
        self.consents = ConsentRepository(connection)
        self.audit_anchor = AuditAnchorRepository(connection)
        return self

    async def _limit_to_deadline(self, connection: AsyncConnection) -> None:
        if self._timeouts and (milliseconds := deadlines.remaining_milliseconds()) is not None:
            await connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds:d}"))

    async def commit(self) -> None:
        assert self._connection is not None and not self._read_only, "a read unit cannot commit"
        await self.audit_events.flush()
        await self._connection.commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._release()
        if isinstance(exc, Exception) and not isinstance(exc, DomainError) and is_unavailable(exc):
            raise storage_unavailable(exc) from exc

    async def _release(self) -> None:
        """Roll back and return the connection to the pool — also when the call is
        cancelled during the rollback: the cancellation arrives once, so the close in
        `finally` still runs, and only then does the cancellation go on."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if not self._read_only:
                await _unless_unavailable(connection.rollback())
        finally:
            await _unless_unavailable(connection.close())


async def _unless_unavailable(step: Awaitable[None]) -> None:
    """Run a release step; a broken connection, which the pool discards by itself,
    cannot fail it."""
    try:
        await step
    except Exception as error:
        if not is_unavailable(error):
            raise


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Reads of one statement need no transaction: autocommit saves the BEGIN and
        # ROLLBACK round trips on every lookup. Not on SQLite, which has no round trips
        # to save: there, setting the isolation level on checkout waits for the
        # driver's thread, and a call cancelled at that moment would leave its pooled
        # connection checked out for good (SQLAlchemy 2.1.9 with aiosqlite).
        self._autocommit = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def read(self) -> UnitOfWork:
        """A unit for reads that need no single snapshot (one statement); it cannot commit."""
        return UnitOfWork(self._autocommit, read_only=True)
