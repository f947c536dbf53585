"""AsyncAuthTunaClient: the asyncio client, on grpc.aio."""

from __future__ import annotations

from types import TracebackType

import grpc

from authtuna_api.client import channels
from authtuna_api.client.access import AsyncApiTokenMethods, AsyncRoleMethods
from authtuna_api.client.compliance import AsyncComplianceMethods
from authtuna_api.client.sessions import AsyncSessionMethods
from authtuna_api.client.two_factor import AsyncTwoFactorMethods
from authtuna_api.client.users import AsyncUserMethods


class AsyncAuthTunaClient(
    AsyncUserMethods,
    AsyncRoleMethods,
    AsyncApiTokenMethods,
    AsyncSessionMethods,
    AsyncTwoFactorMethods,
    AsyncComplianceMethods,
):
    """The asyncio twin of `AuthTunaClient`: the same methods, awaited.

        async with AsyncAuthTunaClient("localhost:50051", token) as client:
            user = await client.get_user(username="ada")
            async for user in client.iter_users():
                ...
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
        self._attach(channels.async_channel(address, token, tls, options), timeout, stream_timeout)

    @classmethod
    def from_channel(
        cls, channel: grpc.aio.Channel, *, timeout: float | None = 10.0, stream_timeout: float | None = None
    ) -> AsyncAuthTunaClient:
        """A client on a grpc.aio channel you built; its security and credentials are yours."""
        client = cls.__new__(cls)
        client._attach(channel, timeout, stream_timeout)
        return client

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncAuthTunaClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()
