"""Composition root: engine, hasher, managers, interceptors, servicers, health, reflection."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass

import grpc
from authtuna_api.user.v1 import user_service_pb2, user_service_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy.ext.asyncio import AsyncEngine

from authtuna_grpc.api.interceptors import EdgeInterceptor
from authtuna_grpc.api.observability import ObservabilityInterceptor
from authtuna_grpc.api.user_servicer import UserServicer
from authtuna_grpc.config import Settings
from authtuna_grpc.metrics import MetricsEndpoint, ServerMetrics, serve_metrics, single_process_registry
from authtuna_grpc.services import clock as clocks
from authtuna_grpc.services.api_tokens import Authenticator
from authtuna_grpc.services.bootstrap import bootstrap_admin
from authtuna_grpc.services.deletions import DeletionManager
from authtuna_grpc.services.passwords import PasswordHasher
from authtuna_grpc.services.suspensions import SuspensionManager
from authtuna_grpc.services.user_manager import UserManager
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("authtuna_grpc")

USER_SERVICE_NAME = user_service_pb2.DESCRIPTOR.services_by_name["UserService"].full_name


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    engine: AsyncEngine
    hasher: PasswordHasher
    metrics: ServerMetrics | None = None
    metrics_endpoint: MetricsEndpoint | None = None

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, let in-flight calls finish within `grace`, release resources."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        self.hasher.close()
        await self.engine.dispose()
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


def _milliseconds(seconds: float) -> int:
    return int(seconds * 1000)


def server_options(settings: Settings, *, shared_port: bool) -> list[tuple[str, int]]:
    """Message size, keepalive and connection-age policy as gRPC channel arguments."""
    options = [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.keepalive_time_ms", _milliseconds(settings.keepalive_time_seconds)),
        ("grpc.keepalive_timeout_ms", _milliseconds(settings.keepalive_timeout_seconds)),
        ("grpc.keepalive_permit_without_calls", 1),
        (
            "grpc.http2.min_recv_ping_interval_without_data_ms",
            _milliseconds(settings.keepalive_min_client_interval_seconds),
        ),
        ("grpc.http2.max_ping_strikes", 2),
        # Off for a single process, so a second server on a taken port fails to start
        # instead of silently sharing it.
        ("grpc.so_reuseport", 1 if shared_port else 0),
    ]
    if settings.max_connection_idle_seconds:
        options.append(("grpc.max_connection_idle_ms", _milliseconds(settings.max_connection_idle_seconds)))
    if settings.max_connection_age_seconds:
        options.append(("grpc.max_connection_age_ms", _milliseconds(settings.max_connection_age_seconds)))
        options.append(("grpc.max_connection_age_grace_ms", _milliseconds(settings.shutdown_grace_seconds)))
    return options


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
    """Serve `settings`. A worker shares its port with its siblings, leaves migrations and
    bootstrap to its supervisor, and leaves the metrics endpoint to it too."""
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
    observability = ObservabilityInterceptor(
        metrics, max_concurrent_rpcs=settings.max_concurrent_rpcs, access_log=settings.access_log
    )
    server = grpc.aio.server(
        interceptors=[observability, EdgeInterceptor(Authenticator(units, clock, new_id))],
        options=server_options(settings, shared_port=worker),
    )
    user_servicer = UserServicer(
        UserManager(units, hasher, clock, new_id),
        SuspensionManager(units, clock),
        DeletionManager(units, clock),
    )
    health_servicer = _add_services(server, user_servicer)
    port = server.add_insecure_port(settings.listen)
    if port == 0:
        raise SystemExit(f"cannot listen on {settings.listen}")
    endpoint = None
    if metrics is not None and not worker:
        endpoint = serve_metrics(settings.metrics_listen, single_process_registry(metrics))
    await server.start()
    for service in ("", USER_SERVICE_NAME):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, port, health_servicer, engine, hasher, metrics, endpoint)


def _add_services(server: grpc.aio.Server, users: UserServicer) -> health.aio.HealthServicer:
    user_service_pb2_grpc.add_UserServiceServicer_to_server(  # type: ignore[no-untyped-call]
        users, server
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (USER_SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    return health_servicer


async def serve(settings: Settings, *, worker: bool = False) -> None:
    running = await start_server(settings, worker=worker)
    host = settings.listen.rpartition(":")[0]
    log.info("authtuna-grpc serving on %s:%d", host, running.port)
    if running.metrics_endpoint is not None:
        log.info("metrics at http://%s/metrics", settings.metrics_listen)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("shutting down: finishing in-flight calls (grace %.1fs)", settings.shutdown_grace_seconds)
    await running.stop(settings.shutdown_grace_seconds)
