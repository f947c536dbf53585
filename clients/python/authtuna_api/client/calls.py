"""What every client method is built on: the stubs, deadlines, typed errors, streams.

`SyncCalls` and `AsyncCalls` hold the channel and a stub per service; the method
classes (users.py, access.py, sessions.py) derive from them, one RPC per method.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

import grpc

from authtuna_api.client.errors import error_from_rpc
from authtuna_api.client.streams import aflatten, flatten
from authtuna_api.client.timeouts import Timeout, resolve
from authtuna_api.user.v1 import (
    api_token_service_pb2_grpc,
    compliance_service_pb2_grpc,
    role_service_pb2_grpc,
    session_service_pb2_grpc,
    user_service_pb2_grpc,
)

Item = TypeVar("Item")


class _Stubs:
    _timeout: float | None
    _stream_timeout: float | None

    def _attach(self, channel: Any, timeout: float | None, stream_timeout: float | None) -> None:
        self._channel = channel
        self._timeout = timeout
        self._stream_timeout = stream_timeout
        # The generated stubs on the same authenticated channel, for RPCs the client
        # has no method for yet.
        self.users = user_service_pb2_grpc.UserServiceStub(channel)  # type: ignore[no-untyped-call]
        self.roles = role_service_pb2_grpc.RoleServiceStub(channel)  # type: ignore[no-untyped-call]
        self.api_tokens = api_token_service_pb2_grpc.ApiTokenServiceStub(channel)  # type: ignore[no-untyped-call]
        self.sessions = session_service_pb2_grpc.SessionServiceStub(channel)  # type: ignore[no-untyped-call]
        self.compliance = compliance_service_pb2_grpc.ComplianceServiceStub(channel)  # type: ignore[no-untyped-call]


class SyncCalls(_Stubs):
    def _unary(self, method: Callable[..., Any], request: Any, timeout: Timeout) -> Any:
        try:
            return method(request, timeout=resolve(timeout, self._timeout))
        except grpc.RpcError as error:
            raise error_from_rpc(error) from error

    def _stream(
        self, method: Callable[..., Any], request: Any, items: Callable[[Any], Iterable[Item]], timeout: Timeout
    ) -> Iterator[Item]:
        """A server-streaming RPC's batches as one iterator of items (see streams.flatten)."""
        return flatten(method(request, timeout=resolve(timeout, self._stream_timeout)), items)


class AsyncCalls(_Stubs):
    async def _unary(self, method: Callable[..., Any], request: Any, timeout: Timeout) -> Any:
        try:
            return await method(request, timeout=resolve(timeout, self._timeout))
        except grpc.RpcError as error:
            raise error_from_rpc(error) from error

    def _stream(
        self, method: Callable[..., Any], request: Any, items: Callable[[Any], Iterable[Item]], timeout: Timeout
    ) -> AsyncIterator[Item]:
        """A server-streaming RPC's batches as one async iterator of items (see streams.aflatten)."""
        return aflatten(method(request, timeout=resolve(timeout, self._stream_timeout)), items)
