"""The blocking client's request building, metadata and error translation, on
grpcio-testing's scripted channel: each test answers the call it sees by hand.
(grpcio-testing cannot drive grpc.aio; the async client shares this code and is
tested against real servers.)"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import grpc
import grpc_testing
import pytest
from authtuna_api.client import (
    AlreadyExists,
    AuthTunaClient,
    AuthTunaError,
    EmailAlreadyRegistered,
    FieldViolation,
    Internal,
    InvalidArgument,
    NotFound,
    UserNotFound,
    WeakPassword,
)
from authtuna_api.client.channels import BearerInterceptor
from authtuna_api.user.v1 import user_pb2, user_service_pb2 as pb
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

SERVICE = pb.DESCRIPTOR.services_by_name["UserService"]


@pytest.fixture
def scripted() -> Iterator[grpc_testing.Channel]:
    yield grpc_testing.channel([SERVICE], grpc_testing.strict_real_time())


@pytest.fixture
def client(scripted: grpc_testing.Channel) -> Iterator[AuthTunaClient]:
    # The scripted channel cannot be wrapped by grpc.intercept_channel (its callables
    # lack wait_for_ready=), so the bearer interceptor is tested on its own below.
    with AuthTunaClient.from_channel(scripted) as client:
        yield client


@pytest.fixture
def background() -> Iterator[Callable[[Callable[[], Any]], Future[Any]]]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield lambda call: pool.submit(call)


def take(scripted: grpc_testing.Channel, method: str, pending: Future[Any]) -> Any:
    """The next call of `method` — or the client's own failure, instead of waiting forever."""
    taken: queue.Queue[Any] = queue.Queue()
    threading.Thread(
        target=lambda: taken.put(scripted.take_unary_unary(SERVICE.methods_by_name[method])), daemon=True
    ).start()
    for _ in range(50):
        try:
            return taken.get(timeout=0.1)
        except queue.Empty:
            if pending.done():
                pending.result()
    raise AssertionError(f"the client never called {method}")


def rich_trailers(code: grpc.StatusCode, reason: str, **extra: Any) -> tuple[tuple[str, bytes], ...]:
    details = []
    info, bad = any_pb2.Any(), any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="authtuna", metadata=extra.get("metadata", {})))
    details.append(info)
    if "fields" in extra:
        violations = [
            error_details_pb2.BadRequest.FieldViolation(field=f, description=f"bad {f}") for f in extra["fields"]
        ]
        bad.Pack(error_details_pb2.BadRequest(field_violations=violations))
        details.append(bad)
    status = status_pb2.Status(code=code.value[0], message="scripted", details=details)
    return (("grpc-status-details-bin", status.SerializeToString()),)


def fail_get_user(scripted: grpc_testing.Channel, pending: Future[Any], code: grpc.StatusCode, trailers: Any) -> None:
    _, _, rpc = take(scripted, "GetUser", pending)
    rpc.terminate(None, trailers, code, "scripted failure")


def test_the_bearer_interceptor_adds_the_token_to_unary_and_stream_calls() -> None:
    seen = []
    interceptor = BearerInterceptor("atk_scripted")
    details = call_details("/authtuna_api.user.v1.UserService/GetUser", [("x-request-id", "r1")])
    for intercept in (interceptor.intercept_unary_unary, interceptor.intercept_unary_stream):
        intercept(lambda d, r: seen.append((d, r)), details, "request")
    for sent, request in seen:
        assert request == "request" and sent.method == details.method and sent.timeout == 3.0
        assert list(sent.metadata) == [("x-request-id", "r1"), ("authorization", "Bearer atk_scripted")]


def call_details(method: str, metadata: list[tuple[str, str]]) -> Any:
    class Details(grpc.ClientCallDetails):  # type: ignore[misc]
        def __init__(self) -> None:
            self.method, self.timeout, self.metadata, self.credentials = method, 3.0, metadata, None

    return Details()


def test_get_user_sends_the_lookup_key(client, scripted, background) -> None:
    pending = background(lambda: client.get_user(email="ada@example.com"))
    _, request, rpc = take(scripted, "GetUser", pending)
    assert request == pb.GetUserRequest(email="ada@example.com")
    user = user_pb2.User(id="u1", email="ada@example.com", username="ada")
    rpc.terminate(pb.GetUserResponse(user=user), (), grpc.StatusCode.OK, "")
    assert pending.result(timeout=5) == user


def test_create_user_sends_only_the_fields_given(client, scripted, background) -> None:
    pending = background(lambda: client.create_user(email="a@example.com", username="ada"))
    _, request, rpc = take(scripted, "CreateUser", pending)
    assert not request.HasField("password") and not request.email_verified
    rpc.terminate(pb.CreateUserResponse(user=user_pb2.User(id="u1")), (), grpc.StatusCode.OK, "")
    assert pending.result(timeout=5).id == "u1"


@pytest.mark.parametrize(
    ("code", "reason", "expected", "code_class"),
    [
        (grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND", UserNotFound, NotFound),
        (grpc.StatusCode.ALREADY_EXISTS, "EMAIL_ALREADY_REGISTERED", EmailAlreadyRegistered, AlreadyExists),
        (grpc.StatusCode.INVALID_ARGUMENT, "WEAK_PASSWORD", WeakPassword, InvalidArgument),
        (grpc.StatusCode.INTERNAL, "INTERNAL", Internal, Internal),
    ],
)
def test_the_reason_chooses_the_exception_class(
    client, scripted, background, code, reason, expected, code_class
) -> None:
    pending = background(lambda: client.get_user(username="ada"))
    fail_get_user(scripted, pending, code, rich_trailers(code, reason, metadata={"k": "v"}))
    with pytest.raises(expected) as raised:
        pending.result(timeout=5)
    error = raised.value
    assert isinstance(error, code_class) and type(error) is expected
    assert (error.code, error.reason, error.domain, error.metadata) == (code, reason, "authtuna", {"k": "v"})
    assert error.message == "scripted failure"
    assert isinstance(error.__cause__, grpc.RpcError)


def test_field_violations_are_carried_in_order(client, scripted, background) -> None:
    pending = background(lambda: client.get_user(username="ada"))
    code = grpc.StatusCode.INVALID_ARGUMENT
    fail_get_user(scripted, pending, code, rich_trailers(code, "INVALID_ARGUMENT", fields=["email", "attributes['x']"]))
    with pytest.raises(InvalidArgument) as raised:
        pending.result(timeout=5)
    assert raised.value.field_violations == (
        FieldViolation("email", "bad email"),
        FieldViolation("attributes['x']", "bad attributes['x']"),
    )


def test_an_unknown_reason_falls_back_to_the_class_of_its_code(client, scripted, background) -> None:
    pending = background(lambda: client.get_user(username="ada"))
    code = grpc.StatusCode.NOT_FOUND
    fail_get_user(scripted, pending, code, rich_trailers(code, "ROLE_NOT_FOUND_IN_A_NEWER_SERVER"))
    with pytest.raises(NotFound) as raised:
        pending.result(timeout=5)
    assert type(raised.value) is NotFound and raised.value.reason == "ROLE_NOT_FOUND_IN_A_NEWER_SERVER"


def test_a_known_reason_with_an_unexpected_code_follows_the_code(client, scripted, background) -> None:
    pending = background(lambda: client.get_user(username="ada"))
    code = grpc.StatusCode.FAILED_PRECONDITION
    fail_get_user(scripted, pending, code, rich_trailers(code, "USER_NOT_FOUND"))
    with pytest.raises(AuthTunaError) as raised:
        pending.result(timeout=5)
    assert not isinstance(raised.value, NotFound) and raised.value.code == code


def test_a_status_without_details_maps_by_code_alone(client, scripted, background) -> None:
    pending = background(lambda: client.get_user(username="ada"))
    fail_get_user(scripted, pending, grpc.StatusCode.UNKNOWN, ())
    with pytest.raises(AuthTunaError) as raised:
        pending.result(timeout=5)
    error = raised.value
    assert type(error) is AuthTunaError
    assert (error.code, error.reason, error.field_violations) == (grpc.StatusCode.UNKNOWN, "", ())


def test_iter_users_follows_next_page_tokens_until_empty(client, scripted, background) -> None:
    pending = background(lambda: [u.id for u in client.iter_users(page_size=2)])
    pages = [(["a", "b"], "after-b"), (["c", "d"], "after-d"), (["e"], "")]
    sent_tokens = []
    for ids, next_token in pages:
        _, request, rpc = take(scripted, "ListUsers", pending)
        sent_tokens.append(request.page_token)
        assert request.limit == 2
        users = [user_pb2.User(id=i) for i in ids]
        rpc.terminate(pb.ListUsersResponse(users=users, next_page_token=next_token), (), grpc.StatusCode.OK, "")
    assert pending.result(timeout=5) == ["a", "b", "c", "d", "e"]
    assert sent_tokens == ["", "after-b", "after-d"]


def test_a_failing_page_raises_after_the_users_already_read(client, scripted, background) -> None:
    seen: list[str] = []

    def read_all() -> None:
        for user in client.iter_users():
            seen.append(user.id)

    pending = background(read_all)
    _, _, rpc = take(scripted, "ListUsers", pending)
    rpc.terminate(pb.ListUsersResponse(users=[user_pb2.User(id="a")], next_page_token="t"), (), grpc.StatusCode.OK, "")
    _, _, rpc = take(scripted, "ListUsers", pending)
    code = grpc.StatusCode.INVALID_ARGUMENT
    rpc.terminate(None, rich_trailers(code, "INVALID_PAGE_TOKEN"), code, "stale token")
    with pytest.raises(InvalidArgument) as raised:
        pending.result(timeout=5)
    assert raised.value.reason == "INVALID_PAGE_TOKEN" and seen == ["a"]
