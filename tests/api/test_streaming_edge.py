"""The edge interceptor on client-streaming and bidirectional RPCs: the same
authentication, permission check, caller and error mapping as on unary calls.

A probe service with one RPC of each kind runs behind the real EdgeInterceptor on the
test database; its permission is put in the table for the test only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from authtuna_grpc.api.interceptors import REQUEST_ID_KEY, EdgeInterceptor, current_caller
from authtuna_grpc.api.permissions import REQUIRED_PERMISSION
from authtuna_grpc.domain.caller import Permission
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.services.api_tokens import Authenticator
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import Callers
from tests.rich_status import rich_error

PROBE = "authtuna_api.user.v1.EdgeProbe"
COLLECT = f"/{PROBE}/Collect"  # client streaming
ECHO = f"/{PROBE}/Echo"  # bidirectional


async def _collect(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
    received = [request async for request in requests]
    _fail_on(received)
    return b"%d from %s" % (len(received), str(current_caller().user_id).encode())


async def _echo(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    async for request in requests:
        _fail_on([request])
        yield request.upper()


def _fail_on(received: list[bytes]) -> None:
    if b"invalid" in received:
        raise InvalidInput.field("items", "holds 'invalid'")
    if b"crash" in received:
        raise RuntimeError("secret detail that must not reach the client")


@pytest.fixture
async def probe(units: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[grpc.aio.Channel]:
    for method in (COLLECT, ECHO):
        monkeypatch.setitem(REQUIRED_PERMISSION, method, Permission.USERS_READ)
    server = grpc.aio.server(interceptors=[EdgeInterceptor(Authenticator(units, utc_now, new_id))])
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                PROBE,
                {
                    "Collect": grpc.stream_unary_rpc_method_handler(_collect),
                    "Echo": grpc.stream_stream_rpc_method_handler(_echo),
                },
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield channel
    await server.stop(grace=1)


async def _collect_call(channel: grpc.aio.Channel, items: list[bytes], metadata) -> tuple[bytes, grpc.aio.Call]:
    call = channel.stream_unary(COLLECT)(iter(items), metadata=metadata)
    return await call, call


async def _echo_call(channel: grpc.aio.Channel, items: list[bytes], metadata) -> list[bytes]:
    return [reply async for reply in channel.stream_stream(ECHO)(iter(items), metadata=metadata)]


async def test_client_streaming_call_sees_the_authenticated_caller(probe, callers: Callers, units) -> None:
    reply, call = await _collect_call(probe, [b"a", b"b", b"c"], callers.admin)
    async with units() as uow:
        admin = await uow.users.by_username("admin")
    assert reply == b"3 from %s" % str(admin.id).encode()
    assert (await call.trailing_metadata()).get(REQUEST_ID_KEY)


async def test_bidirectional_call_streams_replies(probe, callers: Callers) -> None:
    assert await _echo_call(probe, [b"x", b"y"], callers.admin) == [b"X", b"Y"]


@pytest.mark.parametrize("kind", ["collect", "echo"])
async def test_streaming_calls_need_a_token_and_the_permission(probe, callers: Callers, kind: str) -> None:
    call = _collect_call if kind == "collect" else _echo_call
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await call(probe, [b"a"], callers.anonymous)
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as member:
        await call(probe, [b"a"], callers.member)
    assert member.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert rich_error(member.value).metadata == {"permission": "users.read"}


@pytest.mark.parametrize("kind", ["collect", "echo"])
async def test_streaming_calls_map_domain_errors_with_field_violations(probe, callers: Callers, kind: str) -> None:
    call = _collect_call if kind == "collect" else _echo_call
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(probe, [b"ok", b"invalid"], callers.admin)
    details = rich_error(raised.value)
    assert (details.code, details.reason, details.fields) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", ["items"]
    )


@pytest.mark.parametrize("kind", ["collect", "echo"])
async def test_streaming_calls_hide_unexpected_errors_as_internal(probe, callers: Callers, kind: str) -> None:
    call = _collect_call if kind == "collect" else _echo_call
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(probe, [b"crash"], callers.admin)
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in (raised.value.details() or "")
