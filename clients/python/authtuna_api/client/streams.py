"""Batch streams as plain iterators of items.

The server streams batches (`repeated User users` per message) because one message
per item is several times slower; callers want one iterator of items. Both helpers
raise `AuthTunaError` subclasses instead of `grpc.RpcError`, and cancel the call
when the consumer stops early, so an abandoned stream does not run on the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import grpc

from authtuna_api.client.errors import error_from_rpc

Response = TypeVar("Response")
Item = TypeVar("Item")


def _cancel(responses: Any) -> None:
    cancel = getattr(responses, "cancel", None)
    if callable(cancel):
        cancel()  # a no-op once the call has finished


def flatten(responses: Iterable[Response], items: Callable[[Response], Iterable[Item]]) -> Iterator[Item]:
    """Every item of every response, in order: `flatten(call, lambda r: r.users)`."""
    try:
        for response in responses:
            yield from items(response)
    except grpc.RpcError as error:
        raise error_from_rpc(error) from error
    finally:
        _cancel(responses)


async def aflatten(
    responses: AsyncIterable[Response], items: Callable[[Response], Iterable[Item]]
) -> AsyncIterator[Item]:
    """The async form of `flatten`, for grpc.aio calls and async generators of pages."""
    try:
        async for response in responses:
            for item in items(response):
                yield item
    except grpc.RpcError as error:
        raise error_from_rpc(error) from error
    finally:
        _cancel(responses)


def pages(fetch: Callable[[str], Response]) -> Iterator[Response]:
    """Pages of a listing: `fetch(page_token)` from "" until `next_page_token` is empty."""
    page_token = ""
    while True:
        page = fetch(page_token)
        yield page
        page_token = page.next_page_token  # type: ignore[attr-defined]
        if not page_token:
            return


async def apages(fetch: Callable[[str], Awaitable[Response]]) -> AsyncIterator[Response]:
    """The async form of `pages`."""
    page_token = ""
    while True:
        page = await fetch(page_token)
        yield page
        page_token = page.next_page_token  # type: ignore[attr-defined]
        if not page_token:
            return
