"""Shared fixtures: a real server on a real port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from authtuna_api.user.v1 import (
    compliance_service_pb2_grpc,
    session_service_pb2_grpc,
    user_service_pb2_grpc,
)

from authtuna_grpc.config import Settings
from authtuna_grpc.server import RunningServer, start_server
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.backends import PostgresDatabases, SqliteDatabases, selected_backends
from tests.callers import ADMIN_TOKEN, Callers, make_callers
from tests.two_factor import TEST_MFA_KEYS

# Cheap argon2 in tests; the production defaults are measured in bench/.
TEST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 64, "argon2_parallelism": 1}


@pytest.fixture(scope="session")
async def databases(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, SqliteDatabases | PostgresDatabases]]:
    """Every selected backend, each migrated once into a template."""
    prepared: dict[str, SqliteDatabases | PostgresDatabases] = {}
    for name in selected_backends():
        backend = (
            SqliteDatabases(tmp_path_factory.mktemp("sqlite"))
            if name == "sqlite"
            else PostgresDatabases()
        )
        await backend.prepare()
        prepared[name] = backend
    yield prepared
    for backend in prepared.values():
        await backend.close()


@pytest.fixture(params=selected_backends())
async def database_url(
    request: pytest.FixtureRequest, databases: dict[str, SqliteDatabases | PostgresDatabases]
) -> str:
    """A fresh, migrated, empty database on each backend in turn."""
    return await databases[request.param].fresh()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        listen="127.0.0.1:0",
        bootstrap_token=ADMIN_TOKEN,
        shutdown_grace_seconds=5,
        mfa_encryption_keys=TEST_MFA_KEYS,
        **TEST_ARGON2,
    )


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    running = await start_server(settings)
    yield running
    await running.stop(grace=1)


@pytest.fixture
def units(server: RunningServer) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(server.engine)


@pytest.fixture
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield channel


@pytest.fixture
def users(channel: grpc.aio.Channel) -> user_service_pb2_grpc.UserServiceStub:
    return user_service_pb2_grpc.UserServiceStub(channel)


@pytest.fixture
def sessions(channel: grpc.aio.Channel) -> session_service_pb2_grpc.SessionServiceStub:
    return session_service_pb2_grpc.SessionServiceStub(channel)


@pytest.fixture
def compliance(channel: grpc.aio.Channel) -> compliance_service_pb2_grpc.ComplianceServiceStub:
    return compliance_service_pb2_grpc.ComplianceServiceStub(channel)


@pytest.fixture
async def callers(units: UnitOfWorkFactory) -> Callers:
    """Call metadata for each kind of caller: admin, member, anonymous."""
    return await make_callers(units)
