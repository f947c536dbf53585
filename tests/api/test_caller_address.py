"""The IP recorded for a caller: the peer, or x-forwarded-for only from trusted proxies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc

from authtuna_grpc.config import Settings
from authtuna_grpc.server import start_server
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.audit_rows import audit_rows
from tests.callers import Callers
from tests.rich_status import rich_error


@pytest.fixture
async def proxied(
    settings: Settings,
) -> AsyncIterator[tuple[user_service_pb2_grpc.UserServiceStub, UnitOfWorkFactory]]:
    """A server behind trusted proxies: this machine (the test client) and 10.0.0.0/8."""
    trusted = Settings(**{**settings.model_dump(), "trusted_proxies": "127.0.0.1/32, 10.0.0.0/8"})
    running = await start_server(trusted)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield user_service_pb2_grpc.UserServiceStub(channel), UnitOfWorkFactory(running.engine)
    await running.stop(grace=1)


async def _recorded_ip(users, units, callers: Callers, name: str, *headers: tuple[str, str]) -> str | None:
    request = pb.CreateUserRequest(email=f"{name}@example.com", username=name)
    await users.CreateUser(request, metadata=(*callers.admin, *headers))
    [row] = [r for r in await audit_rows(units, "USER_CREATED") if r.details.get("username") == name]
    return row.ip_address


@pytest.mark.parametrize("forwarded", ["203.0.113.9", "10.0.0.1, 203.0.113.9"])
async def test_spoofed_forwarded_for_from_an_untrusted_peer_is_not_recorded(
    users, units, callers: Callers, forwarded: str
) -> None:
    ip = await _recorded_ip(users, units, callers, "spoofer", ("x-forwarded-for", forwarded))
    assert ip == "127.0.0.1"


async def test_without_a_proxy_the_peer_address_is_recorded(proxied, callers: Callers) -> None:
    users, units = proxied
    assert await _recorded_ip(users, units, callers, "direct") == "127.0.0.1"


@pytest.mark.parametrize(
    ("headers", "recorded"),
    [
        ((("x-forwarded-for", "203.0.113.9"),), "203.0.113.9"),
        # The client wrote 198.51.100.7 itself; our proxy 10.1.2.3 saw 203.0.113.9.
        ((("x-forwarded-for", "198.51.100.7, 203.0.113.9, 10.1.2.3"),), "203.0.113.9"),
        ((("x-forwarded-for", "198.51.100.7"), ("x-forwarded-for", "203.0.113.9")), "203.0.113.9"),
        ((("x-forwarded-for", "2001:db8::1, 10.0.0.2"),), "2001:db8::1"),
        ((("x-forwarded-for", "10.0.0.3, 10.0.0.2"),), "10.0.0.3"),
    ],
    ids=["one-hop", "right-most-untrusted", "repeated-header", "ipv6", "all-trusted"],
)
async def test_forwarded_for_from_a_trusted_proxy_records_the_right_most_untrusted_hop(
    proxied, callers: Callers, headers, recorded: str
) -> None:
    users, units = proxied
    assert await _recorded_ip(users, units, callers, "proxied", *headers) == recorded


@pytest.mark.parametrize(
    "forwarded",
    ["unknown", "203.0.113.9, not-an-ip", "203.0.113.9:443", "203.0.113.9,,10.0.0.1", ", ".join(["10.0.0.1"] * 40), "1" * 3000],
    ids=["unknown", "garbage-hop", "with-port", "empty-hop", "too-many-hops", "too-long"],
)
async def test_malformed_forwarded_for_is_ignored_even_from_a_trusted_proxy(
    proxied, callers: Callers, forwarded: str
) -> None:
    users, units = proxied
    assert await _recorded_ip(users, units, callers, "malformed", ("x-forwarded-for", forwarded)) == "127.0.0.1"


async def test_request_id_is_recorded_and_echoed_in_trailing_metadata(users, units, callers: Callers) -> None:
    call = users.CreateUser(
        pb.CreateUserRequest(email="echo@example.com", username="echo"),
        metadata=(*callers.admin, ("x-request-id", "req-echo-7")),
    )
    await call
    assert ("x-request-id", "req-echo-7") in tuple(await call.trailing_metadata())
    [row] = [
        r for r in await audit_rows(units, "USER_CREATED") if r.details.get("username") == "echo"
    ]
    assert row.request_id == "req-echo-7"


async def test_a_request_id_is_generated_and_echoed_on_errors_too(users) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await users.GetUser(pb.GetUserRequest(username="admin"))
    echoed = dict(tuple(caught.value.trailing_metadata()))["x-request-id"]
    assert len(echoed) == 32 and int(echoed, 16) >= 0
    assert rich_error(caught.value).reason == "MISSING_CREDENTIALS"
