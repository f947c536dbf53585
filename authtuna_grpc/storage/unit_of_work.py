"""The unit of work owns the transaction: a change and its audit row commit together."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authtuna_grpc.storage import deadlines
from authtuna_grpc.storage.api_tokens import ApiTokenRepository
from authtuna_grpc.storage.audit_events import AuditEventRepository
from authtuna_grpc.storage.deleted_users import DeletedUserRepository
from authtuna_grpc.storage.role_holders import RoleHolderRepository
from authtuna_grpc.storage.roles import RoleRepository
from authtuna_grpc.storage.sessions import SessionRepository
from authtuna_grpc.storage.service_identities import ServiceIdentityRepository
from authtuna_grpc.storage.users import UserRepository


class UnitOfWork:
    """One connection, one transaction. Leaving without `commit()` rolls back.

    On PostgreSQL, when the current call has a deadline, every statement of the
    transaction is limited to the time the caller has left.
    """

    users: UserRepository
    audit_events: AuditEventRepository
    api_tokens: ApiTokenRepository
    roles: RoleRepository
    role_holders: RoleHolderRepository
    sessions: SessionRepository
    deleted_users: DeletedUserRepository
    service_identities: ServiceIdentityRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._timeouts = engine.dialect.name == "postgresql"

    async def __aenter__(self) -> UnitOfWork:
        self._connection = connection = await self._engine.connect()
        try:
            await connection.begin()
            if self._timeouts and (milliseconds := deadlines.remaining_milliseconds()) is not None:
                await connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds:d}"))
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
        return self

    async def commit(self) -> None:
        assert self._connection is not None
        await self._connection.commit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        try:
            await self._connection.rollback()
        finally:
            await self._connection.close()
            self._connection = None


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.engine)
