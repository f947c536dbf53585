"""Retries and deadlines, which only a real channel applies: the clients talk to a
stand-in UserService (a real gRPC server in this process) that fails on cue."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent import futures
from contextlib import aclosing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import grpc
import pytest
from authtuna_api.client import (
    READ_METHODS,
    AsyncAuthTunaClient,
    AuthTunaClient,
    DeadlineExceeded,
    TlsConfig,
    Unavailable,
)
from authtuna_api.client.channels import channel_options, service_config
from authtuna_api.client.streams import aflatten, flatten
from authtuna_api.user.v1 import user_pb2, user_service_pb2 as pb, user_service_pb2_grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

ADA = user_pb2.User(id="u1", username="ada")


class StandInUsers(user_service_pb2_grpc.UserServiceServicer):  # type: ignore[misc]
    """Fails the first `failures[method]` calls of each method with UNAVAILABLE."""

    def __init__(self) -> None:
        self.failures: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.time_remaining: dict[str, float | None] = {}
        self.authorization: dict[str, list[str]] = {}

    def _answer(self, method: str, context: grpc.ServicerContext, response: Any) -> Any:
        self.attempts[method] += 1
        self.time_remaining[method] = context.time_remaining()
        self.authorization[method] = [v for k, v in context.invocation_metadata() if k == "authorization"]
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


def serve_stand_in(credentials: grpc.ServerCredentials | None = None) -> tuple[grpc.Server, int, StandInUsers]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    users = StandInUsers()
    user_service_pb2_grpc.add_UserServiceServicer_to_server(users, server)
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    return server, port, users


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[str, StandInUsers]]:
    server, port, users = serve_stand_in()
    yield f"127.0.0.1:{port}", users
    server.stop(grace=None)


@dataclass(frozen=True)
class Pki:
    ca: bytes
    server_key: bytes
    server_chain: bytes
    client_key: bytes
    client_chain: bytes


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA with a certificate for localhost and one for a client (openssl)."""
    folder = tmp_path_factory.mktemp("pki")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    new_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    openssl("req", "-x509", *new_key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=test-ca")
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name in ("server", "client"):
        openssl("req", *new_key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "1", "-extfile", "san.ext",
        )
    read = lambda name: (folder / name).read_bytes()  # noqa: E731
    return Pki(read("ca.pem"), read("server.key"), read("server.pem"), read("client.key"), read("client.pem"))


@pytest.fixture
def users(stand_in: tuple[str, StandInUsers]) -> StandInUsers:
    stand_in[1].failures.clear()
    stand_in[1].attempts.clear()
    return stand_in[1]


@pytest.fixture
def address(stand_in: tuple[str, StandInUsers]) -> str:
    return stand_in[0]


def test_the_service_config_retries_the_read_methods_on_unavailable() -> None:
    config = json.loads(service_config())
    (method_config,) = config["methodConfig"]
    names = {(n["service"], n["method"]) for n in method_config["name"]}
    assert names == {(service, method) for service, methods in READ_METHODS.items() for method in methods}
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert method_config["retryPolicy"]["maxAttempts"] > 1
    assert ("grpc.enable_retries", 1) in channel_options()


def contract_methods() -> dict[str, list[str]]:
    data = resources.files("authtuna_api").joinpath("descriptor_set.binpb").read_bytes()
    return {
        f"{file.package}.{service.name}": [method.name for method in service.method]
        for file in descriptor_pb2.FileDescriptorSet.FromString(data).file
        if file.package.startswith("authtuna_api.")
        for service in file.service
    }


def test_every_get_and_list_rpc_is_retried_and_nothing_else() -> None:
    """Reads are named Get…/List…/Search…/Watch…; a write is never retried."""
    for service, methods in contract_methods().items():
        reads = {m for m in methods if m.startswith(("Get", "List"))}
        retried = set(READ_METHODS.get(service, ()))
        assert reads <= retried, f"add to READ_METHODS (and Go's ReadMethods): {service} {reads - retried}"
        assert retried <= set(methods), f"READ_METHODS names what {service} lacks: {retried - set(methods)}"
        assert all(m.startswith(("Get", "List", "Search", "BasicSearch", "Watch")) for m in retried), retried


def test_go_retries_the_same_methods() -> None:
    source = (Path(__file__).parents[2] / "clients" / "go" / "authtuna" / "client.go").read_text()
    for methods in READ_METHODS.values():
        quoted = ", ".join(f'"{m}"' for m in methods)
        assert "{" + quoted + "}" in source, f"clients/go/authtuna/client.go ReadMethods lacks {{{quoted}}}"


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


def test_plaintext_sends_the_token_as_bearer_metadata(address: str, users: StandInUsers) -> None:
    with AuthTunaClient(address, "atk_plain") as client:
        client.get_user(username="ada")
    assert users.authorization["GetUser"] == ["Bearer atk_plain"]


async def test_mutual_tls_sends_the_token_as_a_call_credential(pki: Pki) -> None:
    credentials = grpc.ssl_server_credentials(
        [(pki.server_key, pki.server_chain)], root_certificates=pki.ca, require_client_auth=True
    )
    server, port, users = serve_stand_in(credentials)
    tls = TlsConfig(root_certificates=pki.ca, private_key=pki.client_key, certificate_chain=pki.client_chain)
    try:
        with AuthTunaClient(f"localhost:{port}", "atk_tls", tls=tls) as client:
            assert client.get_user(username="ada") == ADA
        assert users.authorization["GetUser"] == ["Bearer atk_tls"]
        async with AsyncAuthTunaClient(f"localhost:{port}", "atk_tls_async", tls=tls) as aio_client:
            assert (await aio_client.create_user(email="a@example.com", username="ada")) == ADA
        assert users.authorization["CreateUser"] == ["Bearer atk_tls_async"]
        without_client_certificate = TlsConfig(root_certificates=pki.ca)
        with AuthTunaClient(f"localhost:{port}", "atk_tls", tls=without_client_certificate) as client:
            with pytest.raises(Unavailable):
                client.create_user(email="a@example.com", username="ada", timeout=5)
    finally:
        server.stop(grace=None)
