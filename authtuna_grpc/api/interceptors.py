"""The edge of every call: errors (outermost) → caller → permission check.

The caller is established once here and handed to the servicer through a context
variable that only the API layer reads; use cases receive it as an argument.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from authtuna_grpc.api.errors import internal_status, to_status
from authtuna_grpc.api.peers import peer_address
from authtuna_grpc.api.permissions import REQUIRED_PERMISSION, is_open
from authtuna_grpc.api.request_ids import metadata_value, request_id_for
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import DomainError, PermissionMissing
from authtuna_grpc.services.api_tokens import Authenticator

log = logging.getLogger("authtuna_grpc.api")

_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar("authtuna_caller")


def current_caller() -> Caller:
    return _caller.get()


def established_caller() -> Caller | None:
    """The caller of the current call, or None before (or without) authentication."""
    return _caller.get(None)


def _bearer(context: grpc.aio.ServicerContext[Any, Any]) -> str | None:
    header = metadata_value(context, "authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class EdgeInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or is_open(details.method):
            return handler
        method = details.method
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        raise NotImplementedError(f"{method}: only unary requests are served")

    async def _establish(self, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> Caller:
        caller = await self._authenticator.authenticate(
            _bearer(context),
            ip_address=peer_address(context.peer()),
            request_id=request_id_for(context),
        )
        permission = REQUIRED_PERMISSION.get(method)
        if permission is None or not caller.has(permission):
            raise PermissionMissing(permission.value if permission else method)
        return caller

    def _unary(self, method: str, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            try:
                _caller.set(await self._establish(method, context))
                return await behavior(request, context)
            except grpc.aio.AbortError:
                raise
            except DomainError as error:
                await context.abort_with_status(rpc_status.to_status(to_status(error)))
            except Exception:
                log.exception("unhandled error in %s", method)
                await context.abort_with_status(rpc_status.to_status(internal_status()))

        return call

    def _stream(self, method: str, behavior: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            try:
                _caller.set(await self._establish(method, context))
                async for response in behavior(request, context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except DomainError as error:
                await context.abort_with_status(rpc_status.to_status(to_status(error)))
            except Exception:
                log.exception("unhandled error in %s", method)
                await context.abort_with_status(rpc_status.to_status(internal_status()))

        return call
