"""Client fixtures: the test server's address, tokens, and clients of both kinds.

`connect` and `client` are parametrised over the blocking and the asyncio client, so
each live test runs with both (and, through `server`, on SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from authtuna_api.client import AsyncAuthTunaClient, AuthTunaClient

from authtuna_grpc.server import RunningServer
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import ADMIN_TOKEN, token_for_new_user

STRONG = "Correct-Horse-9"


@pytest.fixture
def address(server: RunningServer) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture
async def member_token(units: UnitOfWorkFactory) -> str:
    """A caller without `users.read` / `users.create`."""
    return await token_for_new_user(units, "member-caller", "Member")


class Blocking:
    """AuthTunaClient's methods, awaitable: each call runs in a worker thread, because
    the server under test shares this thread's event loop."""

    def __init__(self, client: AuthTunaClient) -> None:
        self.sync = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.sync, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call

    async def collect(self, iterate: str, *args: Any, **kwargs: Any) -> list[Any]:
        """Everything an iter_… method yields, as a list."""
        return await asyncio.to_thread(lambda: list(getattr(self.sync, iterate)(*args, **kwargs)))

    async def all_users(self, **kwargs: Any) -> list[Any]:
        return await self.collect("iter_users", **kwargs)


class Awaiting:
    def __init__(self, client: AsyncAuthTunaClient) -> None:
        self.aio = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.aio, name)

    async def collect(self, iterate: str, *args: Any, **kwargs: Any) -> list[Any]:
        return [item async for item in getattr(self.aio, iterate)(*args, **kwargs)]

    async def all_users(self, **kwargs: Any) -> list[Any]:
        return await self.collect("iter_users", **kwargs)


Connect = Callable[[str | None], Any]


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest, address: str) -> Connect:
    """Opens a client of the parametrised kind with a token: `async with connect(token) as c`."""

    @asynccontextmanager
    async def opened(token: str | None) -> AsyncIterator[Any]:
        if request.param == "sync":
            with AuthTunaClient(address, token) as client:
                yield Blocking(client)
        else:
            async with AsyncAuthTunaClient(address, token) as client:
                yield Awaiting(client)

    return opened


@pytest.fixture
async def client(connect: Connect) -> AsyncIterator[Any]:
    async with connect(ADMIN_TOKEN) as client:
        yield client
