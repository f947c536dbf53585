"""Search and the audit trail through both clients, against a real server (both kinds of
client, SQLite and PostgreSQL): batches arrive as one iterator of items."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from authtuna_api.client import InvalidArgument, PermissionDenied

from tests.clients.conftest import Connect


async def test_search_users_is_one_iterator_across_batches(client) -> None:
    for n in range(5):
        await client.create_user(email=f"finch{n}@example.com", username=f"finch{n}")
    found = await client.collect("search_users", identity="FINCH", batch_size=2)
    assert [u.username for u in found] == [f"finch{n}" for n in range(5)]
    assert [u.username for u in await client.collect("search_users", identity="finch", skip=1, limit=2)] == [
        "finch1",
        "finch2",
    ]
    suspended = await client.suspend_user((await client.get_user(username="finch3")).id, "test")
    assert [u.id for u in await client.collect("search_users", identity="finch", is_active=False)] == [suspended.id]
    with pytest.raises(InvalidArgument):
        await client.collect("search_users", skip=-1)


async def test_basic_search_users_gives_usernames_only(connect: Connect, client, member_token: str) -> None:
    await client.create_user(email="wren@example.com", username="wren-a")
    async with connect(member_token) as member:
        [found] = await member.collect("basic_search_users", "wren")
        assert found.username == "wren-a" and found.user_id
        with pytest.raises(PermissionDenied):
            await member.collect("list_audit_events")


async def test_list_and_watch_audit_events(client) -> None:
    created = await client.create_user(email="heron@example.com", username="heron")
    [event] = await client.collect("list_audit_events", user_id=created.id, ip_address="127.0.0.0/8")
    assert event.event_type == "USER_CREATED" and event.details["username"] == "heron"
    oldest = await client.collect("list_audit_events", oldest_first=True, limit=2)
    assert oldest[0].id < oldest[1].id
    # A watch from just before that event: the first message is the start heartbeat, the
    # replayed event follows.
    watched = await _first(client, 2, after_id=event.id - 1, user_id=created.id)
    assert watched[0].resume_after_id == event.id - 1 and not watched[0].events
    assert [e.id for e in watched[1].events] == [event.id]


async def _first(client: Any, count: int, **watch: Any) -> list[Any]:
    """The first `count` messages of a watch, which is then closed (and so cancelled)."""
    if hasattr(client, "aio"):
        messages = client.aio.watch_audit_events(**watch)
        taken = [message async for message in _take(messages, count)]
        await messages.aclose()
        return taken

    def blocking() -> list[Any]:
        messages = client.sync.watch_audit_events(**watch)
        taken = list(itertools.islice(messages, count))
        messages.close()
        return taken

    return await asyncio.to_thread(blocking)


async def _take(messages: Any, count: int) -> Any:
    async for message in messages:
        yield message
        count -= 1
        if not count:
            return
