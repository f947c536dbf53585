"""AuthTunaClient: the blocking client."""

from __future__ import annotations

from types import TracebackType

import grpc

from authtuna_api.client import channels
from authtuna_api.client.access import ApiTokenMethods, RoleMethods
from authtuna_api.client.compliance import ComplianceMethods
from authtuna_api.client.sessions import SessionMethods
from authtuna_api.client.two_factor import TwoFactorMethods
from authtuna_api.client.users import UserMethods


class AuthTunaClient(
    UserMethods, RoleMethods, ApiTokenMethods, SessionMethods, TwoFactorMethods, ComplianceMethods
):
    """A blocking client for authtuna-grpc: a method per RPC, named in snake case.

        with AuthTunaClient("localhost:50051", token) as client:
            user = client.get_user(username="ada")

    `tls=TlsConfig(...)` connects over TLS (mutual TLS with a client key and
    certificate); otherwise the connection is plaintext. Unary calls get `timeout`
    seconds unless a call passes its own `timeout=`; streams get `stream_timeout`
    (None: no deadline). Reads are retried with backoff while the server is
    UNAVAILABLE. Failures raise `AuthTunaError` subclasses (see `errors`). Methods
    return the generated messages (`User`, `Role`, ...); `users`, `roles`,
    `api_tokens` and `sessions` are the generated stubs on the same channel.
    """

    def __init__(
        self,
        address: str,
        token: str | None,
        *,
        tls: channels.TlsConfig | None = None,
        timeout: float | None = 10.0,
        stream_timeout: float | None = None,
        options: channels.ChannelOptions = (),
    ) -> None:
        self._attach(channels.sync_channel(address, token, tls, options), timeout, stream_timeout)

    @classmethod
    def from_channel(
        cls, channel: grpc.Channel, *, timeout: float | None = 10.0, stream_timeout: float | None = None
    ) -> AuthTunaClient:
        """A client on a channel you built; its security and credentials are yours."""
        client = cls.__new__(cls)
        client._attach(channel, timeout, stream_timeout)
        return client

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> AuthTunaClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
