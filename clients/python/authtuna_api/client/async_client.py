"""AsyncAuthTunaClient: the asyncio client, on grpc.aio."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import grpc

from authtuna_api.client import channels, messages
from authtuna_api.client.errors import error_from_rpc
from authtuna_api.client.streams import aflatten
from authtuna_api.client.timeouts import DEFAULT, Timeout, resolve
from authtuna_api.user.v1 import user_pb2, user_service_pb2 as users_pb, user_service_pb2_grpc

Item = TypeVar("Item")


class AsyncAuthTunaClient:
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
        channel = channels.async_channel(address, token, tls, options)
        self._attach(channel, timeout, stream_timeout)

    @classmethod
    def from_channel(
        cls, channel: grpc.aio.Channel, *, timeout: float | None = 10.0, stream_timeout: float | None = None
    ) -> AsyncAuthTunaClient:
        """A client on a grpc.aio channel you built; its security and credentials are yours."""
        client = cls.__new__(cls)
        client._attach(channel, timeout, stream_timeout)
        return client

    def _attach(self, channel: grpc.aio.Channel, timeout: float | None, stream_timeout: float | None) -> None:
        self._channel = channel
        self._timeout = timeout
        self._stream_timeout = stream_timeout
        # The generated stubs on the same authenticated channel, for RPCs this
        # client has no method for yet.
        self.users = user_service_pb2_grpc.UserServiceStub(channel)  # type: ignore[no-untyped-call]

    async def create_user(
        self,
        *,
        email: str,
        username: str,
        password: str | None = None,
        attributes: Mapping[str, str] | None = None,
        email_verified: bool = False,
        timeout: Timeout = DEFAULT,
    ) -> user_pb2.User:
        request = messages.create_user(
            email=email, username=username, password=password, attributes=attributes, email_verified=email_verified
        )
        return (await self._unary(self.users.CreateUser, request, timeout)).user  # type: ignore[no-any-return]

    async def get_user(
        self, *, id: str | None = None, email: str | None = None, username: str | None = None, timeout: Timeout = DEFAULT
    ) -> user_pb2.User:
        """The user with this id, email or username (exactly one); raises UserNotFound."""
        request = messages.get_user(id=id, email=email, username=username)
        return (await self._unary(self.users.GetUser, request, timeout)).user  # type: ignore[no-any-return]

    async def list_users(
        self, *, limit: int = 0, skip: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> users_pb.ListUsersResponse:
        """One page of users, with `next_page_token` ("" after the last page)."""
        request = messages.list_users(limit=limit, skip=skip, page_token=page_token)
        return await self._unary(self.users.ListUsers, request, timeout)  # type: ignore[no-any-return]

    def iter_users(self, *, page_size: int = 0, timeout: Timeout = DEFAULT) -> AsyncIterator[user_pb2.User]:
        """Every user in id order, following page tokens; `timeout` applies to each page."""
        return aflatten(self._user_pages(page_size, timeout), messages.users_of)

    async def _user_pages(self, page_size: int, timeout: Timeout) -> AsyncIterator[users_pb.ListUsersResponse]:
        page_token = ""
        while True:
            page = await self.list_users(limit=page_size, page_token=page_token, timeout=timeout)
            yield page
            page_token = page.next_page_token
            if not page_token:
                return

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

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncAuthTunaClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()
