"""PostgreSQL stopped under load and started again, in a cluster of the test's own.

While the database is down, health turns NOT_SERVING and calls fail UNAVAILABLE with
reason DATABASE_UNAVAILABLE and a retry delay — never INTERNAL or UNKNOWN. When it is
back, health turns SERVING and calls succeed, without restarting the server. Afterwards
no user is half created or half deleted.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from authtuna_grpc.config import Settings
from authtuna_grpc.server import RunningServer, start_server
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from bench.workload import MixedWorkload
from tests.callers import ADMIN_TOKEN, bearer
from tests.conftest import TEST_ARGON2
from tests.invariants import lifecycle_violations
from tests.rich_status import rich_error
from tests.sign_ins import retry_delay_seconds
from tests.stoppable_postgres import StoppablePostgres

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
PROBE_INTERVAL = 0.25
LOAD_PHASE = 1.5
WORKERS = 4
NEVER = {"INTERNAL", "UNKNOWN"}


@pytest.fixture(scope="module")
def stoppable_postgres() -> Iterator[StoppablePostgres]:
    cluster = StoppablePostgres()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
async def outage_server(stoppable_postgres: StoppablePostgres) -> AsyncIterator[RunningServer]:
    name = f"authtuna_outage_{uuid.uuid4().hex[:8]}"
    admin = make_url(stoppable_postgres.url).set(drivername="postgresql")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    settings = Settings(
        database_url=make_url(stoppable_postgres.url).set(database=name).render_as_string(hide_password=False),
        listen="127.0.0.1:0",
        bootstrap_token=ADMIN_TOKEN,
        health_probe_interval_seconds=PROBE_INTERVAL,
        health_probe_timeout_seconds=1,
        **TEST_ARGON2,
    )
    running = await start_server(settings)
    yield running
    await running.stop(grace=1)


async def _health(stub: health_pb2_grpc.HealthStub) -> int:
    return (await stub.Check(health_pb2.HealthCheckRequest(), timeout=5)).status


async def _until_health(stub: health_pb2_grpc.HealthStub, status: int, timeout: float) -> float:
    """Seconds until health reports `status`."""
    started = time.monotonic()
    while await _health(stub) != status:
        assert time.monotonic() - started < timeout, f"health never became {status}"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _get_admin(channel: grpc.aio.Channel) -> grpc.aio.AioRpcError:
    users = user_service_pb2_grpc.UserServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetUser(pb.GetUserRequest(username="admin"), metadata=bearer(ADMIN_TOKEN), timeout=5)
    return caught.value


async def test_postgres_outage_is_unavailable_then_recovers_without_restart(
    outage_server: RunningServer, stoppable_postgres: StoppablePostgres
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{outage_server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        load = MixedWorkload(channel, bearer(ADMIN_TOKEN), "outage")
        stop = asyncio.Event()
        running = asyncio.create_task(load.run(stop, WORKERS))
        await asyncio.sleep(LOAD_PHASE)

        stopped_at = time.monotonic()
        await asyncio.to_thread(stoppable_postgres.stop)
        to_not_serving = await _until_health(health, NOT_SERVING, timeout=10)
        refused = await _get_admin(channel)
        await asyncio.sleep(LOAD_PHASE)

        await asyncio.to_thread(stoppable_postgres.start)
        restarted_at = time.monotonic()
        to_serving = await _until_health(health, SERVING, timeout=15)
        serving_again_at = time.monotonic()
        await asyncio.sleep(LOAD_PHASE)
        stop.set()
        await running

    before = load.codes(until=stopped_at)
    during = load.codes(since=stopped_at, until=restarted_at)
    after = load.codes(since=serving_again_at)
    every = load.codes()
    print(f"\noutage: before {dict(before)}, during {dict(during)}, after {dict(after)}; "
          f"NOT_SERVING after {to_not_serving:.2f}s, SERVING {to_serving:.2f}s after restart")
    assert NEVER.isdisjoint(every), every
    assert before["OK"] > 0 and set(before) == {"OK"}, before
    assert during["UNAVAILABLE"] > 0, during
    assert set(after) == {"OK"} and after["OK"] > 0, after
    assert refused.code() == grpc.StatusCode.UNAVAILABLE
    assert rich_error(refused).reason == "DATABASE_UNAVAILABLE"
    assert retry_delay_seconds(refused) == 1
    reasons = {o.reason for o in load.outcomes if o.code == "UNAVAILABLE"}
    assert reasons == {"DATABASE_UNAVAILABLE"}, reasons
    units = UnitOfWorkFactory(outage_server.engine)
    assert await lifecycle_violations(units) == {}
    assert outage_server.engine.pool.checkedout() == 0
