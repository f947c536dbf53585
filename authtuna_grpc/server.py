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
from authtuna_grpc.api.user_servicer import UserServicer
from authtuna_grpc.config import Settings
from authtuna_grpc.services import clock as clocks
from authtuna_grpc.services.api_tokens import Authenticator
from authtuna_grpc.services.audit_log import AuditLog
from authtuna_grpc.services.audit_watch import AuditWatcher
from authtuna_grpc.services.bootstrap import bootstrap_admin
from authtuna_grpc.services.passwords import PasswordHasher
from authtuna_grpc.services.user_manager import UserManager
from authtuna_grpc.services.user_search import UserSearcher
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.audit_reader import AuditEventReader
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.reads import create_read_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from authtuna_grpc.storage.user_search import UserSearchReader

log = logging.getLogger("authtuna_grpc")

USER_SERVICE_NAME = user_service_pb2.DESCRIPTOR.services_by_name["UserService"].full_name


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    engine: AsyncEngine
    read_engine: AsyncEngine
    hasher: PasswordHasher

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, let in-flight calls finish within `grace`, release resources."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        self.hasher.close()
        await self.read_engine.dispose()
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
    server = grpc.aio.server(interceptors=[EdgeInterceptor(Authenticator(units, clock, new_id))])
    read_engine = create_read_engine(settings.database_url, pool_size=settings.db_pool_size)
    audit_reader = AuditEventReader(read_engine)
    servicer = UserServicer(
        UserManager(units, hasher, clock, new_id),
        searcher=UserSearcher(UserSearchReader(read_engine)),
        audit_log=AuditLog(audit_reader),
        audit_watcher=AuditWatcher(audit_reader, clock, settings.audit_watch_poll_seconds),
    )
    user_service_pb2_grpc.add_UserServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (USER_SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = server.add_insecure_port(settings.listen)
    if port == 0:
        raise SystemExit(f"cannot listen on {settings.listen}")
    await server.start()
    for service in ("", USER_SERVICE_NAME):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, port, health_servicer, engine, read_engine, hasher)


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
