"""The unit of work owns the transaction: a change and its audit row commit together."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authtuna_grpc.storage import deadlines
from authtuna_grpc.storage.api_tokens import ApiTokenRepository
from authtuna_grpc.storage.audit_events import AuditEventRepository
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


class UnitOfWork:
    """One connection, one transaction. Leaving without `commit()` rolls back.

    On PostgreSQL, when the current call has a deadline, every statement of the
    transaction is limited to the time the caller has left. A read unit (one statement,
    autocommit, no transaction to hold a SET LOCAL) relies on cancellation instead: when
    the call ends, asyncpg cancels its statement on the server.
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

    def __init__(self, engine: AsyncEngine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: AsyncConnection | None = None
        self._timeouts = engine.dialect.name == "postgresql"

    async def __aenter__(self) -> UnitOfWork:
        self._connection = connection = await self._engine.connect()
        try:
            if not self._read_only:
                await connection.begin()
                await self._limit_to_deadline(connection)
        except BaseException:
            await connection.close()
            raise
        self.users = UserRepository(self._connection)
        self.audit_events = AuditEventRepository(self._connection)
        self.api_tokens = ApiTokenRepository(self._connection)
        self.roles = RoleRepository(self._connection)
        self.role_holders = RoleHolderRepository(self._connection)
        self.sessions = SessionRepository(self._connection)
        self.deleted_users = DeletedUserRepository(self._connection)
        self.service_identities = ServiceIdentityRepository(self._connection)
        self.credentials = CredentialRepository(self._connection)
        self.sign_in_throttle = SignInThrottleRepository(self._connection)
        self.second_factors = SecondFactorRepository(self._connection)
        self.sign_in_challenges = SignInChallengeRepository(self._connection)
        return self

    async def _limit_to_deadline(self, connection: AsyncConnection) -> None:
        if self._timeouts and (milliseconds := deadlines.remaining_milliseconds()) is not None:
            await connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds:d}"))

    async def commit(self) -> None:
        assert self._connection is not None and not self._read_only, "a read unit cannot commit"
        await self._connection.commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        try:
            if not self._read_only:
                await self._connection.rollback()
        finally:
            await self._connection.close()
            self._connection = None


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Reads of one statement need no transaction: autocommit saves the BEGIN and
        # ROLLBACK round trips on every lookup.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def read(self) -> UnitOfWork:
        """A unit for reads that need no single snapshot (one statement); it cannot commit."""
        return UnitOfWork(self._autocommit, read_only=True)
