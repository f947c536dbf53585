"""SearchUsers and BasicSearchUsers: keyset pages streamed as batches."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from authtuna_grpc.domain.paging import encode_page_token
from authtuna_grpc.domain.search import BasicUser, StreamWindow, UserFilter, UserRecord, UserSearch
from authtuna_grpc.storage.user_search import UserSearchReader

Item = TypeVar("Item")


@dataclass(frozen=True)
class Batch(Generic[Item]):
    items: list[Item]
    # Resumes right after the last item; empty when nothing further matches.
    next_page_token: str


class PageFetch(Protocol[Item]):
    def __call__(
        self, f: UserFilter, *, after: uuid.UUID | None, skip: int, limit: int
    ) -> Coroutine[Any, Any, list[Item]]: ...


async def finish(task: asyncio.Future[Any] | None) -> None:
    """Cancel a read nobody will use and wait until it has given its connection back."""
    if task is None or task.done():
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception:  # noqa: BLE001 - the stream is over; this page is unwanted
        pass


async def keyset_batches(
    fetch: PageFetch[Item],
    position: Callable[[Item], uuid.UUID],
    user_filter: UserFilter,
    window: StreamWindow,
) -> AsyncGenerator[Batch[Item], None]:
    """Read page after page, each on its own short connection, and hand each over.

    The next page is read while the caller converts and sends the current one, so the
    database and the encoding overlap; at most one page waits in memory, and no
    connection is held while the caller waits on a slow client. One row beyond each page
    is read to know whether anything follows. Only the first page may use `skip`
    (OFFSET, bounded); every later page continues after the last id.
    """
    remaining = window.limit

    def read(after: uuid.UUID | None, skip: int) -> asyncio.Task[list[Item]]:
        size = window.batch_size if remaining is None else min(window.batch_size, remaining)
        return asyncio.ensure_future(fetch(user_filter, after=after, skip=skip, limit=size + 1))

    pending: asyncio.Task[list[Item]] | None = read(window.after, window.skip)
    try:
        while pending is not None:
            items = await pending
            size = window.batch_size if remaining is None else min(window.batch_size, remaining)
            more = len(items) > size
            del items[size:]
            if not items:
                return
            after = position(items[-1])
            if remaining is not None:
                remaining -= len(items)
            pending = read(after, 0) if more and remaining != 0 else None
            yield Batch(items, encode_page_token(after) if more else "")
    finally:
        await finish(pending)


def _record_id(record: UserRecord) -> uuid.UUID:
    return uuid.UUID(record[0])


def _basic_user_id(user: BasicUser) -> uuid.UUID:
    return user.id


class UserSearcher:
    def __init__(self, reader: UserSearchReader) -> None:
        self._reader = reader

    def search(self, search: UserSearch) -> AsyncGenerator[Batch[UserRecord], None]:
        return keyset_batches(self._reader.records, _record_id, search.filter, search.window)

    def basic_search(self, search: UserSearch) -> AsyncGenerator[Batch[BasicUser], None]:
        return keyset_batches(self._reader.basic_users, _basic_user_id, search.filter, search.window)
