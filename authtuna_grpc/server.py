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
from sqlalchemy.ext.asyncio import AsyncEngine

from authtuna_grpc.api.api_token_servicer import ApiTokenServicer
from authtuna_grpc.api.compliance_servicer import ComplianceServicer
from authtuna_grpc.api.interceptors import EdgeInterceptor
from authtuna_grpc.api.observability import ObservabilityInterceptor
from authtuna_grpc.api.reflection import enable_reflection
from authtuna_grpc.api.role_servicer import RoleServicer
from authtuna_grpc.api.session_servicer import SessionServicer
from authtuna_grpc.api.user_servicer import UserServicer
from authtuna_grpc.config import Settings
from authtuna_grpc.health_watch import watch_database
from authtuna_grpc.metrics import MetricsEndpoint, ServerMetrics, serve_metrics, single_process_registry
from authtuna_grpc.server_options import server_options
from authtuna_grpc.services import clock as clocks
from authtuna_grpc.services.api_token_manager import ApiTokenManager
from authtuna_grpc.services.api_tokens import Authenticator
from authtuna_grpc.services.audit_log import AuditLog
from authtuna_grpc.services.audit_watch import AuditWatcher
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
from authtuna_grpc.services.second_factor import SecondFactorManager
from authtuna_grpc.services.second_step import SecondStepManager
from authtuna_grpc.services.secret_box import SecretBox
from authtuna_grpc.services.sessions import SessionManager
from authtuna_grpc.services.sign_in import SignInManager, make_dummy_hash
from authtuna_grpc.services.suspensions import SuspensionManager
from authtuna_grpc.services.user_manager import UserManager
from authtuna_grpc.services.user_search import UserSearcher
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.audit_reader import AuditEventReader
from authtuna_grpc.storage.availability import is_reachable
from authtuna_grpc.storage.database import create_engine, create_probe_engine
from authtuna_grpc.storage.reads import create_read_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from authtuna_grpc.storage.user_search import UserSearchReader

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
    read_engine: AsyncEngine
    hasher: PasswordHasher
    metrics: ServerMetrics | None = None
    metrics_endpoint: MetricsEndpoint | None = None
    health_watch: asyncio.Task[None] | None = None
    probe_engine: AsyncEngine | None = None
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, let in-flight calls finish within `grace`, release resources."""
        if self.health_watch is not None:
            self.health_watch.cancel()
        await self.health.enter_graceful_shutdown()
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.server.stop(grace)
        self.hasher.close()
        await self.read_engine.dispose()
        await self.engine.dispose()
        if self.probe_engine is not None:
            await self.probe_engine.dispose()
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.close()


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


async def prepare_storage(
    settings: Settings, engine: AsyncEngine, clock: clocks.Clock, new_id: clocks.IdFactory
) -> None:
    """Migrate an empty database and create the admin account: once, before serving."""
    await prepare_database(engine)
    configured = settings.bootstrap_token.get_secret_value() if settings.bootstrap_token else None
    boot = await bootstrap_admin(UnitOfWorkFactory(engine), clock, new_id, configured)
    if boot is not None and boot.generated:
        print(f"authtuna-grpc: admin service account token (shown once): {boot.token}", file=sys.stderr)


def create_database_engine(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.database_url, pool_size=settings.db_pool_size, pgbouncer=settings.db_pgbouncer
    )


async def start_server(
    settings: Settings,
    *,
    clock: clocks.Clock = clocks.utc_now,
    new_id: clocks.IdFactory = clocks.new_id,
    worker: bool = False,
) -> RunningServer:
    """Serve `settings`. A worker shares its port with its siblings and leaves migrations,
    bootstrap and the metrics endpoint to its supervisor (workers.py)."""
    engine = create_database_engine(settings)
    metrics = ServerMetrics() if settings.metrics_listen else None
    if metrics is not None:
        metrics.watch_pool(engine)
    if not worker:
        await prepare_storage(settings, engine, clock, new_id)
    units = UnitOfWorkFactory(engine)
    hasher = PasswordHasher(
        settings.argon2,
        workers=settings.hash_workers or None,
        observer=metrics.observe_hash_load if metrics else None,
    )
    # Outermost first: the limit, deadline, metrics and access log see every call,
    # including those the edge refuses.
    observability = ObservabilityInterceptor(
        metrics, max_concurrent_rpcs=settings.max_concurrent_rpcs, access_log=settings.access_log
    )
    edge = EdgeInterceptor(
        Authenticator(units, clock, new_id),
        trusted_proxies=settings.trusted_proxy_networks,
        client_certificates=settings.tls_client_ca is not None,
    )
    server = grpc.aio.server(
        interceptors=[observability, edge], options=server_options(settings, shared_port=worker)
    )
    read_engine = create_read_engine(
        settings.database_url, db_pool_size=settings.db_pool_size, pgbouncer=settings.db_pgbouncer
    )
    await _add_services(server, settings, units, read_engine, hasher, clock, new_id)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    enable_reflection(server, (*SERVICE_NAMES, health.SERVICE_NAME))
    port = _listen(server, settings)
    endpoint = None
    if metrics is not None and not worker:
        endpoint = serve_metrics(settings.metrics_listen, single_process_registry(metrics))
    await server.start()
    for service in ("", *SERVICE_NAMES):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    probe_engine, watch = _watch_database(settings, health_servicer)
    running = RunningServer(
        server, port, health_servicer, engine, read_engine, hasher, metrics, endpoint, watch,
        probe_engine,
    )
    running.background.extend(_background_tasks(settings, units, clock))
    return running


def _watch_database(
    settings: Settings, health_servicer: health.aio.HealthServicer
) -> tuple[AsyncEngine, asyncio.Task[None]]:
    timeout = settings.health_probe_timeout_seconds
    probe_engine = create_probe_engine(
        settings.database_url, timeout=timeout, pgbouncer=settings.db_pgbouncer
    )
    watch = asyncio.create_task(
        watch_database(
            lambda: is_reachable(probe_engine, timeout),
            health_servicer,
            SERVICE_NAMES,
            settings.health_probe_interval_seconds,
        ),
        name="database health watch",
    )
    return probe_engine, watch


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
    read_engine: AsyncEngine,
    hasher: PasswordHasher,
    clock: clocks.Clock,
    new_id: clocks.IdFactory,
) -> None:
    """The servicers of SERVICE_NAMES, each over its manager."""
    audit_reader = AuditEventReader(read_engine)
    user_servicer = UserServicer(
        UserManager(units, hasher, clock, new_id),
        SuspensionManager(units, clock),
        DeletionManager(units, clock),
        searcher=UserSearcher(UserSearchReader(read_engine)),
        audit_log=AuditLog(audit_reader),
        audit_watcher=AuditWatcher(audit_reader, clock, settings.audit_watch_poll_seconds),
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
    box = SecretBox.from_setting(settings.mfa_keys)
    if box is None:
        log.warning("AUTHTUNA_MFA_ENCRYPTION_KEYS is not set: TOTP enrolment and TOTP codes are refused")
    second_step = SecondStepManager(
        units, lockout, settings.sessions, settings.challenges, box, clock, new_id
    )
    sign_ins = SignInManager(
        units, hasher, lockout, settings.sessions, second_step, clock, new_id, dummy_hash
    )
    return SessionServicer(
        sign_ins,
        SessionManager(units, settings.sessions, clock),
        second_step,
        SecondFactorManager(units, box, settings.mfa_issuer, clock, new_id),
    )


def compliance_servicer(
    units: UnitOfWorkFactory, clock: clocks.Clock, new_id: clocks.IdFactory
) -> ComplianceServicer:
    return ComplianceServicer(
        UserDataExporter(units, clock),
        ConsentManager(units, clock, new_id),
        AuditVerifier(units),
        UserImporter(units, clock, new_id),
    )


async def serve(settings: Settings, *, worker: bool = False) -> None:
    running = await start_server(settings, worker=worker)
    host = settings.listen.rpartition(":")[0]
    log.info(
        "authtuna-grpc serving on %s:%d (event loop: %s)",
        host, running.port, type(asyncio.get_running_loop()).__module__.partition(".")[0],
    )
    if running.metrics_endpoint is not None:
        log.info("metrics at http://%s/metrics", settings.metrics_listen)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("shutting down: finishing in-flight calls (grace %.1fs)", settings.shutdown_grace_seconds)
    await running.stop(settings.shutdown_grace_seconds)
