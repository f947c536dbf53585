"""The edge interceptor around server streams: status before the first message, after
some messages, and cancellation — with a servicer that fails on purpose."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from authtuna_api.user.v1 import user_pb2, user_service_pb2_grpc
from authtuna_api.user.v1 import user_service_pb2 as pb

from authtuna_grpc.api.interceptors import EdgeInterceptor, current_caller
from authtuna_grpc.domain.errors import InvalidPageToken, UserNotFound
from authtuna_grpc.services.api_tokens import Authenticator
from authtuna_grpc.services.clock import new_id, utc_now
from tests.callers import Callers
from tests.rich_status import rich_error


class ScriptedSearch(user_service_pb2_grpc.UserServiceServicer):
    """SearchUsers sends `request.limit` one-user messages, then fails as `identity` says."""

    def __init__(self) -> None:
        self.finished = asyncio.Event()

    async def SearchUsers(self, request, context) -> AsyncIterator[pb.SearchUsersResponse]:
        try:
            caller = current_caller()
            for n in range(request.limit):
                yield pb.SearchUsersResponse(users=[user_pb2.User(id=str(caller.user_id), username=f"u{n}")])
            if request.identity == "not-found":
                raise UserNotFound("no such user", metadata={"id": "x"})
            if request.identity == "bad-token":
                raise InvalidPageToken.field("page_token", "is not a token returned by this service")
            if request.identity == "crash":
                raise RuntimeError("secret internals")
            if request.identity == "forever":
                await asyncio.sleep(3600)
        finally:
            self.finished.set()


@pytest.fixture
async def scripted(units) -> AsyncIterator[tuple[user_service_pb2_grpc.UserServiceStub, ScriptedSearch]]:
    servicer = ScriptedSearch()
    server = grpc.aio.server(interceptors=[EdgeInterceptor(Authenticator(units, utc_now, new_id))])
    user_service_pb2_grpc.add_UserServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield user_service_pb2_grpc.UserServiceStub(channel), servicer
    await server.stop(0)


async def _drain(call) -> list[pb.SearchUsersResponse]:
    received = []
    while (message := await call.read()) is not grpc.aio.EOF:
        received.append(message)
    return received


@pytest.mark.parametrize("sent", [0, 3])
@pytest.mark.parametrize(
    ("identity", "code", "reason", "fields"),
    [
        ("not-found", grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND", []),
        ("bad-token", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", ["page_token"]),
        ("crash", grpc.StatusCode.INTERNAL, "INTERNAL", []),
    ],
)
async def test_errors_carry_the_rich_status_before_or_after_messages(
    scripted, callers: Callers, sent, identity, code, reason, fields
) -> None:
    stub, _ = scripted
    call = stub.SearchUsers(pb.SearchUsersRequest(identity=identity, limit=sent), metadata=callers.admin)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _drain(call)
    error = rich_error(caught.value)
    assert (error.code, error.reason, error.fields) == (code, reason, fields)
    assert "secret" not in error.message


async def test_messages_before_a_failure_arrive(scripted, callers: Callers) -> None:
    stub, _ = scripted
    call = stub.SearchUsers(pb.SearchUsersRequest(identity="not-found", limit=3), metadata=callers.admin)
    got = [await call.read() for _ in range(3)]
    assert [m.users[0].username for m in got] == ["u0", "u1", "u2"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert rich_error(caught.value).reason == "USER_NOT_FOUND"


async def test_no_message_reaches_a_caller_without_permission(scripted, callers: Callers) -> None:
    stub, servicer = scripted
    call = stub.SearchUsers(pb.SearchUsersRequest(limit=3), metadata=callers.member)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _drain(call)
    assert rich_error(caught.value).reason == "PERMISSION_DENIED"
    assert not servicer.finished.is_set(), "the handler never ran"


async def test_cancelling_ends_the_handler(scripted, callers: Callers, caplog) -> None:
    stub, servicer = scripted
    call = stub.SearchUsers(pb.SearchUsersRequest(identity="forever", limit=1), metadata=callers.admin)
    await call.read()
    call.cancel()
    await asyncio.wait_for(servicer.finished.wait(), 5)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
