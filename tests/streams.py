"""Reading server streams in tests."""

from __future__ import annotations

from typing import Any


async def messages(call: Any) -> list[Any]:
    return [message async for message in call]


async def users_of(call: Any) -> list[Any]:
    return [user for message in await messages(call) for user in message.users]


async def usernames(call: Any) -> list[str]:
    return [user.username for user in await users_of(call)]


async def read_until(call: Any, done: Any, timeout: float = 10.0) -> list[Any]:
    """Read messages from a live stream until `done(message)` holds."""
    import asyncio

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
