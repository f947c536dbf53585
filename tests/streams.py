"""Reading server streams in tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from authtuna_grpc.server import RunningServer


async def messages(call: Any) -> list[Any]:
    return [message async for message in call]


async def users_of(call: Any) -> list[Any]:
    return [user for message in await messages(call) for user in message.users]


async def usernames(call: Any) -> list[str]:
    return [user.username for user in await users_of(call)]


async def read_until(call: Any, done: Any, timeout: float = 10.0) -> list[Any]:
    """Read messages from a live stream until `done(message)` holds."""
    import grpc

    seen = []
    async with asyncio.timeout(timeout):
        while True:
            message = await call.read()
            assert message is not grpc.aio.EOF, "the stream ended"
            seen.append(message)
            if done(message):
                return seen


def is_heartbeat(message: Any) -> bool:
    return not message.events and message.HasField("heartbeat_at")


def event_ids(found: list[Any]) -> list[int]:
    return [event.id for message in found for event in message.events]


@contextmanager
def checkouts(server: RunningServer) -> Iterator[list[int]]:
    """Counts checkouts of the stream pool: one per page read."""
    counter = [0]

    def count(*_args: object) -> None:
        counter[0] += 1

    pool = server.read_engine.sync_engine.pool
    event.listen(pool, "checkout", count)
    try:
        yield counter
    finally:
        event.remove(pool, "checkout", count)


async def settled(counter: list[int], quiet: float = 0.4, timeout: float = 10.0) -> int:
    """Wait until the server stops reading: no checkout for `quiet` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            before = counter[0]
            await asyncio.sleep(quiet)
            if counter[0] == before:
                return before
