"""Composition root: engine, hasher, managers, interceptors, servicers, health, reflection."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from authtuna_api.user.v1 import (
    api_token_service_pb2,
    api_token_service_pb2_grpc,
    compliance_service_pb2,
    compliance_service_pb2_grpc,
    role_service_pb2,
    role_service_pb2_grpc,
    session_service_pb2,
    session_service_pb2_grpc,
    user_service_pb2,
    user_service_pb2_grpc,
)
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy.ext.asyncio import AsyncEngine

from authtuna_grpc.api.api_token_servicer import ApiTokenServicer
from authtuna_grpc.api.compliance_servicer import ComplianceServicer
from authtuna_grpc.api.interceptors import EdgeInterceptor
from authtuna_grpc.api.role_servicer import RoleServicer
from authtuna_grpc.api.session_servicer import SessionServicer
from authtuna_grpc.api.user_servicer import UserServicer
from authtuna_grpc.config import Settings
from authtuna_grpc.services import clock as clocks
from authtuna_grpc.services.api_token_manager import ApiTokenManager
from authtuna_grpc.services.api_tokens import Authenticator
from authtuna_grpc.services.audit_verification import AuditVerifier
from authtuna_grpc.services.bootstrap import bootstrap_admin
from authtuna_grpc.services.consents import ConsentManager
from authtuna_grpc.services.deletions import DeletionManager
from authtuna_grpc.services.exports import UserDataExporter
from authtuna_grpc.services.imports import UserImporter
from authtuna_grpc.services.lockout import SignInLockout
from authtuna_grpc.services.passwords import PasswordHasher
from authtuna_grpc.services.retention import Purger, purge_periodically
from authtuna_grpc.services.role_manager import RoleManager
from authtuna_grpc.services.sessions import SessionManager
from authtuna_grpc.services.sign_in import SignInManager, make_dummy_hash
from authtuna_grpc.services.suspensions import SuspensionManager
from authtuna_grpc.services.user_manager import UserManager
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("authtuna_grpc")

USER_SERVICE_NAME = user_service_pb2.DESCRIPTOR.services_by_name["UserService"].full_name
ROLE_SERVICE_NAME = role_service_pb2.DESCRIPTOR.services_by_name["RoleService"].full_name
API_TOKEN_SERVICE_NAME = api_token_service_pb2.DESCRIPTOR.services_by_name["ApiTokenService"].full_name
SESSION_SERVICE_NAME = session_service_pb2.DESCRIPTOR.services_by_name["SessionService"].full_name
COMPLIANCE_SERVICE_NAME = compliance_service_pb2.DESCRIPTOR.services_by_name[
    "ComplianceService"
].full_name
SERVICE_NAMES = (
    USER_SERVICE_NAME,
    ROLE_SERVICE_NAME,
    API_TOKEN_SERVICE_NAME,
    SESSION_SERVICE_NAME,
    COMPLIANCE_SERVICE_NAME,
)


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    engine: AsyncEngine
    hasher: PasswordHasher
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, let in-flight calls finish within `grace`, release resources."""
        await self.health.enter_graceful_shutdown()
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.server.stop(grace)
        self.hasher.close()
        await self.engine.dispose()


async def prepare_database(engine: AsyncEngine) -> None:
    """Migrate an empty database; refuse to serve an outdated one."""
    if await migrations.is_current(engine):
        return
    async with engine.connect() as connection:
        has_schema = await connection.run_sync(
            lambda sync: sync.dialect.has_table(sync, "alembic_version")
        )
    if has_schema:
        raise SystemExit("the database schema is outdated: run `authtuna-grpc migrate` first")
    await migrations.upgrade(engine)


async def start_server(
    settings: Settings,
    *,
    clock: clocks.Clock = clocks.utc_now,
    new_id: clocks.IdFactory = clocks.new_id,
) -> RunningServer:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    await prepare_database(engine)
    units = UnitOfWorkFactory(engine)
    configured = settings.bootstrap_token.get_secret_value() if settings.bootstrap_token else None
    boot = await bootstrap_admin(units, clock, new_id, configured)
    if boot is not None and boot.generated:
        print(f"authtuna-grpc: admin service account token (shown once): {boot.token}", file=sys.stderr)

    hasher = PasswordHasher(settings.argon2, workers=settings.hash_workers or None)
    edge = EdgeInterceptor(
        Authenticator(units, clock, new_id),
        trusted_proxies=settings.trusted_proxy_networks,
        client_certificates=settings.tls_client_ca is not None,
    )
    server = grpc.aio.server(interceptors=[edge])
    await _add_services(server, settings, units, hasher, clock, new_id)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = _listen(server, settings)
    await server.start()
    for service in ("", *SERVICE_NAMES):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    running = RunningServer(server, port, health_servicer, engine, hasher)
    running.background.extend(_background_tasks(settings, units, clock))
    return running


def _background_tasks(
    settings: Settings, units: UnitOfWorkFactory, clock: clocks.Clock
) -> list[asyncio.Task[None]]:
    """The periodic retention purge, when configured."""
    if not settings.purge_interval_seconds:
        return []
    purger = Purger(units, settings.retention, clock)
    return [asyncio.create_task(purge_periodically(purger, settings.purge_interval_seconds))]


async def _add_services(
    server: grpc.aio.Server,
    settings: Settings,
    units: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: clocks.Clock,
    new_id: clocks.IdFactory,
) -> None:
    """The servicers of SERVICE_NAMES, each over its manager."""
    user_servicer = UserServicer(
        UserManager(units, hasher, clock, new_id),
        SuspensionManager(units, clock),
        DeletionManager(units, clock),
    )
    user_service_pb2_grpc.add_UserServiceServicer_to_server(  # type: ignore[no-untyped-call]
        user_servicer, server
    )
    role_service_pb2_grpc.add_RoleServiceServicer_to_server(  # type: ignore[no-untyped-call]
        RoleServicer(RoleManager(units, clock, new_id)), server
    )
    session_service_pb2_grpc.add_SessionServiceServicer_to_server(  # type: ignore[no-untyped-call]
        await session_servicer(settings, units, hasher, clock, new_id), server
    )
    api_token_service_pb2_grpc.add_ApiTokenServiceServicer_to_server(  # type: ignore[no-untyped-call]
        ApiTokenServicer(ApiTokenManager(units, clock, new_id)), server
    )
    compliance_service_pb2_grpc.add_ComplianceServiceServicer_to_server(  # type: ignore[no-untyped-call]
        compliance_servicer(units, clock, new_id), server
    )


def _listen(server: grpc.aio.Server, settings: Settings) -> int:
    """Bind plaintext, TLS, or TLS requiring client certificates, as configured."""
    port: int
    if settings.tls_cert is None or settings.tls_key is None:
        port = server.add_insecure_port(settings.listen)
    else:
        client_ca = _read(settings.tls_client_ca) if settings.tls_client_ca else None
        credentials = grpc.ssl_server_credentials(
            [(_read(settings.tls_key), _read(settings.tls_cert))],
            root_certificates=client_ca,
            require_client_auth=client_ca is not None,
        )
        port = server.add_secure_port(settings.listen, credentials)
    if port == 0:
        raise SystemExit(f"cannot listen on {settings.listen}")
    return port


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SystemExit(f"cannot read {path}: {error.strerror}") from None


async def session_servicer(
    settings: Settings,
    units: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: clocks.Clock,
    new_id: clocks.IdFactory,
) -> SessionServicer:
    # Unknown users are verified against this, so they cost what a real user costs.
    dummy_hash = await make_dummy_hash(hasher)
    lockout = SignInLockout(settings.lockout)
    sign_ins = SignInManager(units, hasher, lockout, settings.sessions, clock, new_id, dummy_hash)
    return SessionServicer(sign_ins, SessionManager(units, settings.sessions, clock))


def compliance_servicer(
    units: UnitOfWorkFactory, clock: clocks.Clock, new_id: clocks.IdFactory
) -> ComplianceServicer:
    return ComplianceServicer(
        UserDataExporter(units, clock),
        ConsentManager(units, clock, new_id),
        AuditVerifier(units),
        UserImporter(units, clock, new_id),
    )


async def serve(settings: Settings) -> None:
    running = await start_server(settings)
    host = settings.listen.rpartition(":")[0]
    log.info("authtuna-grpc serving on %s:%d", host, running.port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("shutting down: finishing in-flight calls (grace %.1fs)", settings.shutdown_grace_seconds)
    await running.stop(settings.shutdown_grace_seconds)
