"""The edge of every call: errors (outermost) → caller → permission check.

The caller (from a bearer token or a client certificate, with the client's IP and the
request id) is established once here and handed to the servicer through a context
variable that only the API layer reads; use cases receive it as an argument. The request
id is echoed to the client in trailing metadata, on success and on errors.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.rpc import status_pb2
from grpc_status import rpc_status

from authtuna_grpc.api.errors import internal_status, to_status
from authtuna_grpc.api.peers import Network, certificate_identities, client_address
from authtuna_grpc.api.permissions import REQUIRED_PERMISSION, is_open
from authtuna_grpc.api.request_decoding import decoded, tolerant
from authtuna_grpc.api.request_ids import REQUEST_ID_KEY, request_id_for
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import DomainError, PermissionMissing
from authtuna_grpc.services.api_tokens import Authenticator

log = logging.getLogger("authtuna_grpc.api")

_caller: contextvars.ContextVar[Caller] = contextvars.ContextVar("authtuna_caller")

FORWARDED_FOR_KEY = "x-forwarded-for"


def current_caller() -> Caller:
    return _caller.get()


def established_caller() -> Caller | None:
    """The caller of the current call, or None before (or without) authentication."""
    return _caller.get(None)


def _metadata_values(context: grpc.aio.ServicerContext[Any, Any], key: str) -> list[str]:
    return [
        item.value
        for item in context.invocation_metadata() or ()
        if item.key == key and isinstance(item.value, str)
    ]


def _metadata(context: grpc.aio.ServicerContext[Any, Any], key: str) -> str | None:
    values = _metadata_values(context, key)
    return values[0] if values else None


def _bearer(context: grpc.aio.ServicerContext[Any, Any]) -> str | None:
    header = _metadata(context, "authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def _abort(
    context: grpc.aio.ServicerContext[Any, Any], status: status_pb2.Status, request_id: str
) -> None:
    rich = rpc_status.to_status(status)
    await context.abort(
        rich.code, rich.details, (*rich.trailing_metadata, (REQUEST_ID_KEY, request_id))
    )


class EdgeInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates, authorizes and maps errors for every call but health and reflection.

    `trusted_proxies`: peers whose x-forwarded-for is believed. `client_certificates`:
    the server verifies client certificates, so their identities may authenticate a call.
    """

    def __init__(
        self,
        authenticator: Authenticator,
        *,
        trusted_proxies: Sequence[Network] = (),
        client_certificates: bool = False,
    ) -> None:
        self._authenticator = authenticator
        self._trusted_proxies = tuple(trusted_proxies)
        self._client_certificates = client_certificates

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or is_open(details.method):
            return handler
        method = details.method
        deserializer = tolerant(handler.request_deserializer, method)
        # The wrappers hand the request on untouched, whether it is one message or the
        # stream of them (client and bidirectional streaming).
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._one_response(method, handler.unary_unary),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._response_stream(method, handler.unary_stream),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._one_response(method, handler.stream_unary),
                request_deserializer=deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._response_stream(method, handler.stream_stream),
            request_deserializer=deserializer,
            response_serializer=handler.response_serializer,
        )

    async def _establish(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any], request_id: str
    ) -> Caller:
        identities = (
            certificate_identities(context.auth_context()) if self._client_certificates else ()
        )
        caller = await self._authenticator.authenticate(
            _bearer(context),
            identities=identities,
            ip_address=client_address(
                context.peer(), _metadata_values(context, FORWARDED_FOR_KEY), self._trusted_proxies
            ),
            request_id=request_id,
        )
        permission = REQUIRED_PERMISSION.get(method)
        if permission is None or not caller.has(permission):
            raise PermissionMissing(permission.value if permission else method)
        return caller

    def _one_response(self, method: str, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            request_id = request_id_for(context)
            context.set_trailing_metadata(((REQUEST_ID_KEY, request_id),))
            try:
                _caller.set(await self._establish(method, context, request_id))
                return await behavior(decoded(request), context)
            except grpc.aio.AbortError:
                raise
            except DomainError as error:
                await _abort(context, to_status(error), request_id)
            except Exception:
                log.exception("unhandled error in %s (request %s)", method, request_id)
                await _abort(context, internal_status(), request_id)

        return call

    def _response_stream(
        self, method: str, behavior: Callable[..., AsyncIterator[Any]]
    ) -> Callable[..., Any]:
        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            request_id = request_id_for(context)
            context.set_trailing_metadata(((REQUEST_ID_KEY, request_id),))
            try:
                _caller.set(await self._establish(method, context, request_id))
                async for response in behavior(decoded(request), context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except DomainError as error:
                await _abort(context, to_status(error), request_id)
            except Exception:
                log.exception("unhandled error in %s (request %s)", method, request_id)
                await _abort(context, internal_status(), request_id)

        return call
