"""The unit of work owns the transaction: a change and its audit row commit together."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authtuna_grpc.storage.api_tokens import ApiTokenRepository
from authtuna_grpc.storage.audit_anchor import AuditAnchorRepository
from authtuna_grpc.storage.audit_events import AuditEventRepository
from authtuna_grpc.storage.consents import ConsentRepository
from authtuna_grpc.storage.credentials import CredentialRepository
from authtuna_grpc.storage.deleted_users import DeletedUserRepository
from authtuna_grpc.storage.role_holders import RoleHolderRepository
from authtuna_grpc.storage.roles import RoleRepository
from authtuna_grpc.storage.sessions import SessionRepository
from authtuna_grpc.storage.service_identities import ServiceIdentityRepository
from authtuna_grpc.storage.sign_in_throttle import SignInThrottleRepository
from authtuna_grpc.storage.users import UserRepository


class UnitOfWork:
    """One connection, one transaction. Leaving without `commit()` rolls back.

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
    consents: ConsentRepository
    audit_anchor: AuditAnchorRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> UnitOfWork:
        self._connection = await self._engine.connect()
        await self._connection.begin()
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
        self.consents = ConsentRepository(self._connection)
        self.audit_anchor = AuditAnchorRepository(self._connection)
        return self

    async def commit(self) -> None:
        assert self._connection is not None
        await self.audit_events.flush()
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
