"""Metrics, access log and limits, seen from outside through real calls."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from authtuna_grpc.config import Settings
from authtuna_grpc.logs import ACCESS_LOGGER, JsonFormatter
from authtuna_grpc.server import RunningServer, start_server
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import make_callers
from tests.rich_status import rich_error

USER_SERVICE = "authtuna_api.user.v1.UserService"


@asynccontextmanager
async def serving(settings: Settings, **changes: Any) -> AsyncIterator[tuple[RunningServer, Any]]:
    running = await start_server(settings.model_copy(update=changes))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield running, channel
    finally:
        await running.stop(grace=1)


def _scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _sample(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _rpc(method: str, service: str = USER_SERVICE, kind: str = "unary") -> dict[str, str]:
    return {"grpc_service": service, "grpc_method": method, "grpc_type": kind}


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


@contextmanager
def access_records() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


async def test_metrics_endpoint_counts_each_rpc_by_status_code(settings: Settings) -> None:
    async with serving(settings, metrics_listen="127.0.0.1:0") as (running, channel):
        assert running.metrics_endpoint is not None
        callers = await make_callers(UnitOfWorkFactory(running.engine))
        users = user_service_pb2_grpc.UserServiceStub(channel)
        await users.CreateUser(
            pb.CreateUserRequest(email="m@example.com", username="metered", password="Metered-pass-1"),
            metadata=callers.admin,
        )
        for _ in range(2):
            await users.GetUser(pb.GetUserRequest(username="metered"), metadata=callers.admin)
        with pytest.raises(grpc.aio.AioRpcError):
            await users.GetUser(pb.GetUserRequest(username="nobody"), metadata=callers.admin)
        with pytest.raises(grpc.aio.AioRpcError):
            await users.ListUsers(pb.ListUsersRequest(), metadata=callers.anonymous)
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        await watch.read()

        samples = await asyncio.to_thread(_scrape, running.metrics_endpoint.port)
        watch.cancel()

    handled = "grpc_server_handled_total"
    assert _sample(samples, handled, **_rpc("GetUser"), grpc_code="OK") == 2
    assert _sample(samples, handled, **_rpc("GetUser"), grpc_code="NOT_FOUND") == 1
    assert _sample(samples, handled, **_rpc("CreateUser"), grpc_code="OK") == 1
    assert _sample(samples, handled, **_rpc("ListUsers"), grpc_code="UNAUTHENTICATED") == 1
    assert _sample(samples, "grpc_server_started_total", **_rpc("GetUser")) == 3
    assert _sample(samples, "grpc_server_handling_seconds_count", **_rpc("GetUser")) == 3
    assert _sample(samples, "grpc_server_handling_seconds_sum", **_rpc("CreateUser")) > 0
    watching = _rpc("Watch", "grpc.health.v1.Health", "server_stream")
    assert _sample(samples, "grpc_server_in_flight", **watching) == 1
    assert _sample(samples, "grpc_server_in_flight", **_rpc("GetUser")) == 0
    assert _sample(samples, "authtuna_db_pool_connections", state="open") >= 1
    assert _sample(samples, "authtuna_db_pool_connections", state="in_use") == 0
    assert ("authtuna_password_hash_jobs", frozenset({("state", "queued")})) in samples
    assert _sample(samples, "authtuna_password_hash_jobs", state="running") == 0
    assert _sample(samples, "process_cpu_seconds_total") > 0


async def test_access_log_has_one_structured_line_per_rpc(server, users, callers) -> None:
    admin = (await users.GetUser(pb.GetUserRequest(username="admin"), metadata=callers.admin)).user
    with access_records() as records:
        await users.GetUser(
            pb.GetUserRequest(username="admin"),
            metadata=(*callers.admin, ("x-request-id", "req-42")),
        )
        with pytest.raises(grpc.aio.AioRpcError):
            await users.GetUser(pb.GetUserRequest(username="admin"), metadata=callers.anonymous)
        # An aborted call's status reaches the client just before the server logs it.
        await _until(lambda: len(records) >= 2)
    lines = [json.loads(JsonFormatter().format(record)) for record in records]
    assert len(lines) == 2
    ok, refused = lines
    assert ok["request_id"] == "req-42"
    assert ok["method"] == f"/{USER_SERVICE}/GetUser"
    assert ok["caller_id"] == admin.id
    assert ok["peer"] == "127.0.0.1"
    assert ok["code"] == "OK"
    assert ok["duration_ms"] > 0
    assert refused["code"] == "UNAUTHENTICATED"
    assert refused["caller_id"] is None
    assert len(refused["request_id"]) == 32


async def test_calls_beyond_the_concurrency_limit_fail_at_once_with_resource_exhausted(
    settings: Settings,
) -> None:
    # Slow hashes on one thread keep the first calls in flight while the rest arrive.
    slow = {"argon2_time_cost": 3, "argon2_memory_kib": 32 * 1024, "hash_workers": 1}
    async with serving(settings, max_concurrent_rpcs=2, **slow) as (running, channel):
        callers = await make_callers(UnitOfWorkFactory(running.engine))
        users = user_service_pb2_grpc.UserServiceStub(channel)

        async def create(n: int) -> tuple[grpc.StatusCode, float, str]:
            started = time.perf_counter()
            request = pb.CreateUserRequest(
                email=f"busy{n}@example.com", username=f"busy{n}", password="Busy-password-1"
            )
            try:
                await users.CreateUser(request, metadata=callers.admin, timeout=30)
                return grpc.StatusCode.OK, time.perf_counter() - started, ""
            except grpc.aio.AioRpcError as error:
                return error.code(), time.perf_counter() - started, rich_error(error).reason

        results = await asyncio.gather(*(create(n) for n in range(10)))
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    done = [seconds for code, seconds, _ in results if code == grpc.StatusCode.OK]
    refused = [
        (seconds, reason) for code, seconds, reason in results if code == grpc.StatusCode.RESOURCE_EXHAUSTED
    ]
    assert len(done) + len(refused) == 10
    assert 1 <= len(done) <= 4 and len(refused) >= 6
    assert {reason for _, reason in refused} == {"TOO_MANY_CONCURRENT_CALLS"}
    assert max(seconds for seconds, _ in refused) < min(done)
    assert health.status == health_pb2.HealthCheckResponse.SERVING


async def test_a_request_larger_than_the_message_limit_is_resource_exhausted(settings: Settings) -> None:
    async with serving(settings, max_message_bytes=2048) as (running, channel):
        callers = await make_callers(UnitOfWorkFactory(running.engine))
        users = user_service_pb2_grpc.UserServiceStub(channel)
        request = pb.CreateUserRequest(
            email="big@example.com", username="big", attributes={"blob": "x" * 4096}
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await users.CreateUser(request, metadata=callers.admin)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        small = pb.CreateUserRequest(email="small@example.com", username="small")
        assert (await users.CreateUser(small, metadata=callers.admin)).user.username == "small"



async def test_client_and_bidirectional_streams_are_counted_by_their_kind(settings: Settings) -> None:
    from authtuna_api.user.v1 import compliance_pb2, compliance_service_pb2, compliance_service_pb2_grpc

    async with serving(settings, metrics_listen="127.0.0.1:0") as (running, channel):
        assert running.metrics_endpoint is not None
        callers = await make_callers(UnitOfWorkFactory(running.engine))
        compliance = compliance_service_pb2_grpc.ComplianceServiceStub(channel)
        request = compliance_service_pb2.ImportUsersRequest(
            users=[compliance_pb2.ImportedUser(email="s@example.com", username="streamed")]
        )
        async for _ in compliance.ImportUsers(iter([request]), metadata=callers.admin):
            pass
        samples = await asyncio.to_thread(_scrape, running.metrics_endpoint.port)
    imports = _rpc("ImportUsers", "authtuna_api.user.v1.ComplianceService", "bidi_stream")
    assert _sample(samples, "grpc_server_handled_total", **imports, grpc_code="OK") == 1
    assert _sample(samples, "grpc_server_in_flight", **imports) == 0
