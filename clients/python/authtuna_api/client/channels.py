"""How clients connect: TLS or plaintext, the bearer token, and retries for reads.

gRPC refuses call credentials on a plaintext channel, so there the token travels as
`authorization` metadata added by an interceptor; over TLS it is an access-token call
credential composed into the channel credentials.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import grpc

# The idempotent read RPCs, retried with backoff while the server is UNAVAILABLE
# (restarting, or not reachable yet). Add every new read RPC here; never a write.
READ_METHODS: dict[str, tuple[str, ...]] = {
    "authtuna_api.user.v1.UserService": (
        "GetUser", "ListUsers", "GetDeletedUser", "SearchUsers", "BasicSearchUsers", "ListAuditEvents",
    ),
    "authtuna_api.user.v1.RoleService": ("ListRoles", "ListRoleAssignments"),
    "authtuna_api.user.v1.ApiTokenService": ("ListApiTokens",),
    "authtuna_api.user.v1.SessionService": ("ListSessions", "GetSecondFactor"),
    "authtuna_api.user.v1.ComplianceService": ("ListConsents",),
}

RETRY_POLICY: dict[str, Any] = {
    "maxAttempts": 5,
    "initialBackoff": "0.1s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}

ChannelOptions = Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class TlsConfig:
    """TLS settings; all None means the system roots and no client certificate.

    Give `private_key` and `certificate_chain` (PEM) together for mutual TLS.
    """

    root_certificates: bytes | None = None
    private_key: bytes | None = None
    certificate_chain: bytes | None = None

    def channel_credentials(self, token: str | None) -> grpc.ChannelCredentials:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=self.root_certificates,
            private_key=self.private_key,
            certificate_chain=self.certificate_chain,
        )
        if token is None:
            return credentials
        return grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token)
        )


def service_config() -> str:
    """The gRPC service config: retry policy for the read RPCs."""
    names = [
        {"service": service, "method": method}
        for service, methods in READ_METHODS.items()
        for method in methods
    ]
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": RETRY_POLICY}]})


def channel_options(extra: ChannelOptions = ()) -> list[tuple[str, Any]]:
    return [("grpc.enable_retries", 1), ("grpc.service_config", service_config()), *extra]


def with_bearer(metadata: Any, token: str) -> list[tuple[str, str | bytes]]:
    return [*(metadata or ()), ("authorization", f"Bearer {token}")]


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


class _SyncCallDetails(_CallDetails, grpc.ClientCallDetails):  # type: ignore[misc]
    pass


class BearerInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds `authorization: Bearer <token>` to every call of a (plaintext) sync channel."""

    def __init__(self, token: str) -> None:
        self._token = token

    def _details(self, details: Any) -> _SyncCallDetails:
        return _SyncCallDetails(
            details.method,
            details.timeout,
            with_bearer(details.metadata, self._token),
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


class _AsyncBearer:
    def __init__(self, token: str) -> None:
        self._token = token

    def _details(self, details: Any) -> Any:
        metadata = grpc.aio.Metadata(*with_bearer(details.metadata, self._token))
        return details._replace(metadata=metadata)


class AsyncUnaryBearer(_AsyncBearer, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._details(details), request)


class AsyncStreamBearer(_AsyncBearer, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._details(details), request)


class AsyncClientStreamBearer(_AsyncBearer, grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_unary(
        self, continuation: Callable[..., Any], details: Any, requests: Any
    ) -> Any:
        return await continuation(self._details(details), requests)


class AsyncBidiBearer(_AsyncBearer, grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_stream(
        self, continuation: Callable[..., Any], details: Any, requests: Any
    ) -> Any:
        return await continuation(self._details(details), requests)


def sync_channel(
    address: str, token: str | None, tls: TlsConfig | None, options: ChannelOptions
) -> grpc.Channel:
    if tls is not None:
        return grpc.secure_channel(address, tls.channel_credentials(token), options=channel_options(options))
    channel = grpc.insecure_channel(address, options=channel_options(options))
    return channel if token is None else grpc.intercept_channel(channel, BearerInterceptor(token))


def async_channel(
    address: str, token: str | None, tls: TlsConfig | None, options: ChannelOptions
) -> grpc.aio.Channel:
    if tls is not None:
        return grpc.aio.secure_channel(address, tls.channel_credentials(token), options=channel_options(options))
    interceptors = (
        []
        if token is None
        else [
            AsyncUnaryBearer(token),
            AsyncStreamBearer(token),
            AsyncClientStreamBearer(token),
            AsyncBidiBearer(token),
        ]
    )
    return grpc.aio.insecure_channel(address, options=channel_options(options), interceptors=interceptors)
