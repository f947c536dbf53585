"""Retries and deadlines, which only a real channel applies: the clients talk to a
stand-in UserService (a real gRPC server in this process) that fails on cue."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent import futures
from contextlib import aclosing
from typing import Any

import grpc
import pytest
from authtuna_api.client import READ_METHODS, AsyncAuthTunaClient, AuthTunaClient, DeadlineExceeded, Unavailable
from authtuna_api.client.channels import channel_options, service_config
from authtuna_api.client.streams import aflatten, flatten
from authtuna_api.user.v1 import user_pb2, user_service_pb2 as pb, user_service_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

ADA = user_pb2.User(id="u1", username="ada")


class StandInUsers(user_service_pb2_grpc.UserServiceServicer):  # type: ignore[misc]
    """Fails the first `failures[method]` calls of each method with UNAVAILABLE."""

    def __init__(self) -> None:
        self.failures: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.time_remaining: dict[str, float | None] = {}

    def _answer(self, method: str, context: grpc.ServicerContext, response: Any) -> Any:
        self.attempts[method] += 1
        self.time_remaining[method] = context.time_remaining()
        if self.attempts[method] <= self.failures[method]:
            context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
        return response

    def GetUser(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        if request.username == "slow":
            time.sleep(0.5)
        return self._answer("GetUser", context, pb.GetUserResponse(user=ADA))

    def ListUsers(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        return self._answer("ListUsers", context, pb.ListUsersResponse(users=[ADA]))

    def CreateUser(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        return self._answer("CreateUser", context, pb.CreateUserResponse(user=ADA))


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[str, StandInUsers]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    users = StandInUsers()
    user_service_pb2_grpc.add_UserServiceServicer_to_server(users, server)
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", users
    server.stop(grace=None)


@pytest.fixture
def users(stand_in: tuple[str, StandInUsers]) -> StandInUsers:
    stand_in[1].failures.clear()
    stand_in[1].attempts.clear()
    return stand_in[1]


@pytest.fixture
def address(stand_in: tuple[str, StandInUsers]) -> str:
    return stand_in[0]


def test_the_service_config_retries_exactly_the_read_methods_on_unavailable() -> None:
    config = json.loads(service_config())
    (method_config,) = config["methodConfig"]
    names = {(n["service"], n["method"]) for n in method_config["name"]}
    assert names == {("authtuna_api.user.v1.UserService", "GetUser"), ("authtuna_api.user.v1.UserService", "ListUsers")}
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert method_config["retryPolicy"]["maxAttempts"] > 1
    assert ("grpc.enable_retries", 1) in channel_options()


def test_every_retried_method_exists_in_the_contract() -> None:
    for service_name, methods in READ_METHODS.items():
        service = pb.DESCRIPTOR.pool.FindServiceByName(service_name)
        assert set(methods) <= set(service.methods_by_name), service_name


def test_reads_are_retried_while_the_server_is_unavailable(address: str, users: StandInUsers) -> None:
    users.failures.update(GetUser=2, ListUsers=3)
    with AuthTunaClient(address, "atk_t") as client:
        assert client.get_user(username="ada") == ADA
        assert [u.id for u in client.iter_users()] == ["u1"]
    assert users.attempts == Counter(GetUser=3, ListUsers=4)


async def test_the_async_client_retries_reads_too(address: str, users: StandInUsers) -> None:
    users.failures.update(GetUser=2)
    async with AsyncAuthTunaClient(address, "atk_t") as client:
        assert await client.get_user(id="u1") == ADA
    assert users.attempts["GetUser"] == 3


def test_writes_are_never_retried(address: str, users: StandInUsers) -> None:
    users.failures.update(CreateUser=1)
    with AuthTunaClient(address, "atk_t") as client, pytest.raises(Unavailable):
        client.create_user(email="a@example.com", username="ada")
    assert users.attempts["CreateUser"] == 1


def test_retries_give_up_with_unavailable(address: str, users: StandInUsers) -> None:
    users.failures.update(GetUser=100)
    with AuthTunaClient(address, "atk_t") as client, pytest.raises(Unavailable):
        client.get_user(username="ada")
    assert users.attempts["GetUser"] == 5


def test_unary_calls_carry_the_default_deadline_unless_a_call_sets_its_own(
    address: str, users: StandInUsers
) -> None:
    with AuthTunaClient(address, "atk_t", timeout=7) as client:
        client.get_user(username="ada")
        assert 6 < (users.time_remaining["GetUser"] or 0) <= 7.5
        client.get_user(username="ada", timeout=2)
        assert 1 < (users.time_remaining["GetUser"] or 0) <= 2.5
        client.get_user(username="ada", timeout=None)
        assert (users.time_remaining["GetUser"] or 0) > 10**9  # no deadline


def test_an_expired_deadline_raises_deadline_exceeded(address: str, users: StandInUsers) -> None:
    with AuthTunaClient(address, "atk_t") as client, pytest.raises(DeadlineExceeded):
        client.get_user(username="slow", timeout=0.1)


def test_the_stream_helper_flattens_a_live_stream_and_cancels_it_when_left(address: str) -> None:
    """What every batch-streaming method is built on, on the health Watch stream."""
    with AuthTunaClient(address, "atk_t", stream_timeout=30) as client:
        watch = health_pb2_grpc.HealthStub(client._channel).Watch
        call = watch(health_pb2.HealthCheckRequest())
        statuses = flatten(call, lambda r: [r.status, r.status])
        assert next(statuses) == next(statuses) == health_pb2.HealthCheckResponse.SERVING
        statuses.close()  # what leaving a for loop early does
        assert call.cancelled()
        through_client = client._stream(watch, health_pb2.HealthCheckRequest(), lambda r: [r.status], timeout=5)
        assert next(through_client) == health_pb2.HealthCheckResponse.SERVING
        through_client.close()


async def test_the_async_stream_helper_flattens_a_live_stream_and_cancels_it_when_left(address: str) -> None:
    async with AsyncAuthTunaClient(address, "atk_t") as client:
        watch = health_pb2_grpc.HealthStub(client._channel).Watch
        call = watch(health_pb2.HealthCheckRequest())
        async with aclosing(aflatten(call, lambda r: [r.status])) as statuses:
            async for status in statuses:
                break
        assert status == health_pb2.HealthCheckResponse.SERVING
        assert call.cancelled()
        through_client = client._stream(watch, health_pb2.HealthCheckRequest(), lambda r: [r.status], timeout=5)
        async with aclosing(through_client):
            assert await anext(through_client) == health_pb2.HealthCheckResponse.SERVING
