"""flatten / aflatten: batches in, items out, typed errors, early exit cancels the call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from typing import Any

import grpc
import pytest
from authtuna_api.client import AuthTunaError, NotFound, aflatten, flatten
from authtuna_api.client.errors import DETAILS_KEY
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2


class Batch:
    def __init__(self, *items: str) -> None:
        self.items = list(items)


class FailedCall(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """What a stream raises when the server ends it with an error."""

    def __init__(self, code: grpc.StatusCode, reason: str) -> None:
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="authtuna"))
        self._trailers = ((DETAILS_KEY, status_pb2.Status(code=code.value[0], details=[info]).SerializeToString()),)
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return "stream failed"

    def trailing_metadata(self) -> Any:
        return self._trailers

    def initial_metadata(self) -> Any:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float | None:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


class FakeStream:
    """A server stream's responses, then optionally an error; records cancel()."""

    def __init__(self, batches: list[Batch], error: grpc.RpcError | None = None) -> None:
        self.batches, self.error, self.cancelled, self.delivered = batches, error, False, 0

    def __iter__(self) -> Iterator[Batch]:
        for batch in self.batches:
            self.delivered += 1
            yield batch
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[Batch]:
        for batch in self:
            yield batch

    def cancel(self) -> bool:
        self.cancelled = True
        return True


def items_of(batch: Batch) -> list[str]:
    return batch.items


def test_flatten_yields_every_item_in_order_across_batches_including_empty_ones() -> None:
    stream = FakeStream([Batch("a", "b"), Batch(), Batch("c")])
    assert list(flatten(stream, items_of)) == ["a", "b", "c"]


def test_flatten_of_no_batches_is_empty() -> None:
    assert list(flatten(FakeStream([]), items_of)) == []


def test_flatten_is_lazy_and_reads_batches_only_as_items_are_needed() -> None:
    stream = FakeStream([Batch("a"), Batch("b")])
    items = flatten(stream, items_of)
    assert stream.delivered == 0
    assert next(items) == "a" and stream.delivered == 1


def test_a_stream_error_arrives_as_a_typed_error_after_the_items_before_it() -> None:
    stream = FakeStream([Batch("a", "b")], FailedCall(grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND"))
    seen = []
    with pytest.raises(NotFound) as raised:
        for item in flatten(stream, items_of):
            seen.append(item)
    assert seen == ["a", "b"]
    assert raised.value.reason == "USER_NOT_FOUND" and raised.value.message == "stream failed"


def test_leaving_the_loop_early_cancels_the_call() -> None:
    stream = FakeStream([Batch("a", "b"), Batch("c")])
    for item in flatten(stream, items_of):
        if item == "a":
            break
    # CPython closes the abandoned generator at once; closing it cancels the call.
    assert stream.cancelled and stream.delivered == 1


async def test_aflatten_yields_every_item_and_translates_errors() -> None:
    stream = FakeStream([Batch("a"), Batch(), Batch("b", "c")], FailedCall(grpc.StatusCode.UNKNOWN, ""))
    seen = []
    with pytest.raises(AuthTunaError) as raised:
        async for item in aflatten(stream, items_of):
            seen.append(item)
    assert seen == ["a", "b", "c"] and raised.value.code == grpc.StatusCode.UNKNOWN


async def test_aflatten_closed_early_cancels_the_call() -> None:
    stream = FakeStream([Batch("a", "b"), Batch("c")])
    async with aclosing(aflatten(stream, items_of)) as items:
        async for item in items:
            break
    assert item == "a" and stream.cancelled
