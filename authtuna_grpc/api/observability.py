"""The outermost interceptor: concurrency limit, deadline, metrics and the access log.

It wraps every unary and server-streaming RPC (health checks included, but they are
never refused), runs before authentication, and so sees every call: refused ones,
unauthenticated ones and failed ones alike. It logs facts about the call only — never
its messages or metadata other than the request id.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from authtuna_grpc.api.errors import ERROR_DOMAIN
from authtuna_grpc.api.interceptors import established_caller
from authtuna_grpc.api.peers import peer_address
from authtuna_grpc.api.permissions import is_open
from authtuna_grpc.api.request_ids import REQUEST_ID_KEY, request_id_for
from authtuna_grpc.logs import ACCESS_LOGGER
from authtuna_grpc.metrics import ServerMetrics
from authtuna_grpc.storage import deadlines

access_log = logging.getLogger(ACCESS_LOGGER)

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information
OVERLOADED_REASON = "TOO_MANY_CONCURRENT_CALLS"


@dataclass(frozen=True)
class _Rpc:
    path: str
    service: str
    method: str
    kind: str
    limited: bool  # health and reflection are never refused nor counted against the limit


def _rpc(path: str, kind: str) -> _Rpc:
    service, _, method = path.lstrip("/").partition("/")
    return _Rpc(path, service, method, kind, limited=not is_open(path))


def overloaded_status(limit: int) -> status_pb2.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=OVERLOADED_REASON, domain=ERROR_DOMAIN))
    return status_pb2.Status(
        code=code_pb2.RESOURCE_EXHAUSTED,
        message=f"the server is serving its limit of {limit} concurrent calls; retry with backoff",
        details=[info],
    )


def _final_code(context: Context, error: BaseException | None) -> grpc.StatusCode:
    if isinstance(error, asyncio.CancelledError):
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):
        return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
    if error is not None and not isinstance(error, grpc.aio.AbortError):
        return grpc.StatusCode.UNKNOWN
    return grpc.StatusCode.OK


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(
        self, metrics: ServerMetrics | None, *, max_concurrent_rpcs: int, access_log: bool
    ) -> None:
        self._metrics = metrics
        self._limit = max_concurrent_rpcs
        self._log = access_log
        self._active = 0

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(_rpc(details.method, "unary"), handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(_rpc(details.method, "server_stream"), handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        # Client and bidirectional streams: the wrappers hand the request stream on as is.
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(_rpc(details.method, "client_stream"), handler.stream_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._streaming(_rpc(details.method, "bidi_stream"), handler.stream_stream),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _streaming(self, rpc: _Rpc, behavior: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isasyncgenfunction(behavior):
            return self._stream(rpc, behavior)
        # A coroutine writing with context.write (the health service's Watch).
        return self._unary(rpc, behavior)

    def _unary(self, rpc: _Rpc, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def call(request: Any, context: Context) -> Any:
            started = self._begin(rpc, context)
            error: BaseException | None = None
            try:
                await self._admit(rpc, context)
                return await behavior(request, context)
            except BaseException as raised:
                error = raised
                raise
            finally:
                self._end(rpc, context, started, error)

        return call

    def _stream(self, rpc: _Rpc, behavior: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
        async def call(request: Any, context: Context) -> AsyncIterator[Any]:
            started = self._begin(rpc, context)
            error: BaseException | None = None
            try:
                await self._admit(rpc, context)
                async for response in behavior(request, context):
                    yield response
            except BaseException as raised:
                error = raised
                raise
            finally:
                self._end(rpc, context, started, error)

        return call

    def _begin(self, rpc: _Rpc, context: Context) -> float:
        request_id_for(context)
        deadlines.set_remaining(context.time_remaining())
        if rpc.limited:
            self._active += 1
        if self._metrics is not None:
            labels = (rpc.service, rpc.method, rpc.kind)
            self._metrics.started.labels(*labels).inc()
            self._metrics.in_flight.labels(*labels).inc()
        return time.perf_counter()

    async def _admit(self, rpc: _Rpc, context: Context) -> None:
        if rpc.limited and self._limit and self._active > self._limit:
            rich = rpc_status.to_status(overloaded_status(self._limit))
            trailing = (*rich.trailing_metadata, (REQUEST_ID_KEY, request_id_for(context)))
            await context.abort(rich.code, rich.details, trailing)

    def _end(self, rpc: _Rpc, context: Context, started: float, error: BaseException | None) -> None:
        if rpc.limited:
            self._active -= 1
        seconds = time.perf_counter() - started
        code = _final_code(context, error)
        if self._metrics is not None:
            labels = (rpc.service, rpc.method, rpc.kind)
            self._metrics.in_flight.labels(*labels).dec()
            self._metrics.handled.labels(*labels, code.name).inc()
            self._metrics.handling_seconds.labels(*labels).observe(seconds)
        if self._log and rpc.limited and access_log.isEnabledFor(logging.INFO):
            self._write_access_log(rpc, context, code, seconds)

    def _write_access_log(
        self, rpc: _Rpc, context: Context, code: grpc.StatusCode, seconds: float
    ) -> None:
        caller = established_caller()
        fields = {
            "request_id": request_id_for(context),
            "method": rpc.path,
            "caller_id": str(caller.user_id) if caller and caller.user_id else None,
            "peer": caller.ip_address if caller else peer_address(context.peer()),
            "code": code.name,
            "duration_ms": round(seconds * 1000, 3),
        }
        access_log.info("rpc %s %s", rpc.path, code.name, extra={"rpc": fields})
