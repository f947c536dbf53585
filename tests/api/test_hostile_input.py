"""Hostile input: every RPC of every served service, driven with generated requests.

The services and their methods are read from the running server by reflection, and each
request is generated from its message descriptor (tests/message_strategies.py), so an
RPC added later is covered without touching this file. The server runs in a process of
its own, on SQLite and on PostgreSQL, and every call is made as an Admin so that a
permission check never hides what validation does.

Each call must end in a status other than INTERNAL or UNKNOWN; an INVALID_ARGUMENT must
name at least one field; afterwards the process is alive, its health says SERVING and
its log holds no unhandled error. Hypothesis runs derandomized, without an example
database, so CI runs the same examples every time.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as users_pb
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backends import selected_backends
from tests.callers import ADMIN_TOKEN, bearer
from tests.message_strategies import MessageStrategies
from tests.raw_messages import INVALID_UTF8, invalid_utf8_requests
from tests.rich_status import rich_error
from tests.server_processes import ServerProcess, start_server_process, wait_serving

# Examples per RPC; HOSTILE_EXAMPLES raises it for a longer local run.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "30"))
NOT_OURS = {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"}
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
ADMIN = bearer(ADMIN_TOKEN)
CALL_TIMEOUT = 20.0
STREAM_MESSAGES = 3
# Streams that never end by themselves and may stay silent for minutes (a watch between
# heartbeats): their first message, sent at once, settles how the call went.
LIVE_STREAMS = {"WatchAuditEvents"}
JUNK = (b"\xff\xff\xff\xff", b"\x08", b"\x0a\x05ab", b"\x0f", b"\x0b", b"\x12\xff\xff\xff\xff\x0f")


@dataclass(frozen=True)
class Served:
    server: ServerProcess
    channel: grpc.Channel
    methods: list[MethodDescriptor]
    known_ids: tuple[str, ...]
    # How the calls ended, by status code name: printed at the end (pytest -s) for the
    # numbers in docs/reliability.md.
    outcomes: Counter[str]


@pytest.fixture(scope="module", params=selected_backends())
async def hostile_database(request: pytest.FixtureRequest, databases) -> str:
    return await databases[request.param].fresh()


@pytest.fixture(scope="module")
def served(hostile_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("hostile") / "server.log"
    server = start_server_process(hostile_database, log, bootstrap_token=ADMIN_TOKEN)
    try:
        wait_serving(server)
        with grpc.insecure_channel(server.address) as channel:
            outcomes: Counter[str] = Counter()
            yield Served(server, channel, served_methods(channel), _known_users(channel), outcomes)
            print(f"\nhostile input: {sum(outcomes.values())} calls, {dict(outcomes.most_common())}")
    finally:
        server.stop()


def served_methods(channel: grpc.Channel) -> list[MethodDescriptor]:
    """Every method of every service the server lists, but grpcio's own."""
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    response = next(stub.ServerReflectionInfo(iter([request])))
    pool = descriptor_pool.Default()
    return [
        method
        for listed in response.list_services_response.service
        if listed.name not in NOT_OURS
        for method in pool.FindServiceByName(listed.name).methods
    ]


def _known_users(channel: grpc.Channel) -> tuple[str, ...]:
    """A few users whose ids the generated requests also name, so they reach rows."""
    create = channel.unary_unary(
        "/authtuna_api.user.v1.UserService/CreateUser",
        users_pb.CreateUserRequest.SerializeToString,
        users_pb.CreateUserResponse.FromString,
    )
    ids = []
    for n in range(5):
        request = users_pb.CreateUserRequest(
            email=f"known-{n}@example.com", username=f"known-{n}", password="Correct-Horse-9"
        )
        ids.append(create(request, metadata=ADMIN, timeout=CALL_TIMEOUT).user.id)
    return tuple(ids)


def _path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def call_raw(channel: grpc.Channel, method: MethodDescriptor, requests: list[bytes]) -> grpc.RpcError | None:
    """Send already serialized requests; the error, if the call failed. Streams read a
    few responses and then cancel."""
    path, plain = _path(method), (lambda data: data)
    response_type = message_factory.GetMessageClass(method.output_type)
    try:
        if method.client_streaming and method.server_streaming:
            call = channel.stream_stream(path, plain, response_type.FromString)
            _drain(call(iter(requests), metadata=ADMIN, timeout=CALL_TIMEOUT))
        elif method.client_streaming:
            call = channel.stream_unary(path, plain, response_type.FromString)
            call(iter(requests), metadata=ADMIN, timeout=CALL_TIMEOUT)
        elif method.server_streaming:
            call = channel.unary_stream(path, plain, response_type.FromString)
            wanted = 1 if method.name in LIVE_STREAMS else STREAM_MESSAGES
            _drain(call(requests[0], metadata=ADMIN, timeout=CALL_TIMEOUT), wanted)
        else:
            call = channel.unary_unary(path, plain, response_type.FromString)
            call(requests[0], metadata=ADMIN, timeout=CALL_TIMEOUT)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.CANCELLED:
            return None
        return error
    return None


def _drain(responses, wanted: int = STREAM_MESSAGES) -> None:  # type: ignore[no-untyped-def]
    for count, _ in enumerate(responses, start=1):
        if count >= wanted:
            responses.cancel()
            return


def problem_with(error: grpc.RpcError | None) -> str | None:
    """What is wrong with how a call ended, or None."""
    if error is None:
        return None
    code = error.code()
    if code in FORBIDDEN:
        return f"{code.name}: {error.details()}"
    if code == grpc.StatusCode.INVALID_ARGUMENT and not rich_error(error).fields:
        return f"INVALID_ARGUMENT naming no field: {error.details()}"
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and "metadata size" in (error.details() or ""):
        return f"an answer too large for the client to read: {error.details()}"
    return None


def _requests(strategies: MessageStrategies, method: MethodDescriptor) -> st.SearchStrategy[list[Message]]:
    one = strategies.message(method.input_type)
    if method.client_streaming:
        return st.lists(one, min_size=1, max_size=3)
    return one.map(lambda request: [request])


def _drive(served: Served, method: MethodDescriptor) -> None:
    strategies = MessageStrategies(served.known_ids)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(_requests(strategies, method))
    def run(requests: list[Message]) -> None:
        error = call_raw(served.channel, method, [r.SerializeToString() for r in requests])
        served.outcomes[error.code().name if error is not None else "OK"] += 1
        problem = problem_with(error)
        assert problem is None, f"{_path(method)}: {problem}\nrequests: {requests!r:.2000}"

    run()


def _assert_healthy(served: Served, wrong: dict[str, str]) -> None:
    """No wrong outcome, and the server alive, SERVING, with no unhandled error logged."""
    assert served.server.alive, served.server.log()
    stub = health_pb2_grpc.HealthStub(served.channel)
    status = stub.Check(health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT).status
    assert (wrong, served.server.unhandled_errors()) == ({}, [])
    assert status == health_pb2.HealthCheckResponse.SERVING


def test_generated_requests_to_every_rpc_never_get_internal_or_unknown(served: Served) -> None:
    assert len(served.methods) >= 20, [m.full_name for m in served.methods]
    failures = {}
    for method in served.methods:
        try:
            _drive(served, method)
        except AssertionError as failure:
            failures[_path(method)] = str(failure)[:3000]
    _assert_healthy(served, failures)


def test_invalid_utf8_in_any_string_field_is_invalid_argument_naming_it(served: Served) -> None:
    wrong = {}
    tried = 0
    for method in served.methods:
        variants = enumerate(invalid_utf8_requests(method.input_type, INVALID_UTF8[0]))
        for index, (path, _) in variants:
            payload = INVALID_UTF8[index % len(INVALID_UTF8)]
            data = dict(invalid_utf8_requests(method.input_type, payload))[path]
            error = call_raw(served.channel, method, [data])
            tried += 1
            named = rich_error(error).fields if error is not None else []
            if error is None or error.code() != grpc.StatusCode.INVALID_ARGUMENT or not any(
                f == path or f.startswith(f"{path}[") for f in named
            ):
                code = error.code().name if error is not None else "OK"
                wrong[f"{_path(method)} {path}"] = f"{code} {named}"
    assert tried > 50
    _assert_healthy(served, wrong)


def test_bytes_that_are_no_message_at_all_are_invalid_argument(served: Served) -> None:
    wrong = {}
    for method in served.methods:
        for junk in JUNK:
            error = call_raw(served.channel, method, [junk])
            if error is None or error.code() != grpc.StatusCode.INVALID_ARGUMENT:
                code = error.code().name if error is not None else "OK"
                wrong[f"{_path(method)} {junk!r}"] = f"{code}: {error.details() if error else ''}"
    _assert_healthy(served, wrong)
