"""AuthTunaClient: the blocking client."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import grpc

from authtuna_api.client import channels, messages
from authtuna_api.client.errors import error_from_rpc
from authtuna_api.client.streams import flatten
from authtuna_api.client.timeouts import DEFAULT, Timeout, resolve
from authtuna_api.user.v1 import user_pb2, user_service_pb2 as users_pb, user_service_pb2_grpc

Item = TypeVar("Item")


class AuthTunaClient:
    """A blocking client for authtuna-grpc.

        with AuthTunaClient("localhost:50051", token) as client:
            user = client.get_user(username="ada")

    `tls=TlsConfig(...)` connects over TLS (mutual TLS with a client key and
    certificate); otherwise the connection is plaintext. Unary calls get `timeout`
    seconds unless a call passes its own `timeout=`; streams get `stream_timeout`
    (None: no deadline). Reads are retried with backoff while the server is
    UNAVAILABLE. Failures raise `AuthTunaError` subclasses (see `errors`).
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
        channel = channels.sync_channel(address, token, tls, options)
        self._attach(channel, timeout, stream_timeout)

    @classmethod
    def from_channel(
        cls, channel: grpc.Channel, *, timeout: float | None = 10.0, stream_timeout: float | None = None
    ) -> AuthTunaClient:
        """A client on a channel you built; its security and credentials are yours."""
        client = cls.__new__(cls)
        client._attach(channel, timeout, stream_timeout)
        return client

    def _attach(self, channel: grpc.Channel, timeout: float | None, stream_timeout: float | None) -> None:
        self._channel = channel
        self._timeout = timeout
        self._stream_timeout = stream_timeout
        # The generated stubs on the same authenticated channel, for RPCs this
        # client has no method for yet.
        self.users = user_service_pb2_grpc.UserServiceStub(channel)  # type: ignore[no-untyped-call]

    def create_user(
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
        return self._unary(self.users.CreateUser, request, timeout).user  # type: ignore[no-any-return]

    def get_user(
        self, *, id: str | None = None, email: str | None = None, username: str | None = None, timeout: Timeout = DEFAULT
    ) -> user_pb2.User:
        """The user with this id, email or username (exactly one); raises UserNotFound."""
        request = messages.get_user(id=id, email=email, username=username)
        return self._unary(self.users.GetUser, request, timeout).user  # type: ignore[no-any-return]

    def list_users(
        self, *, limit: int = 0, skip: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> users_pb.ListUsersResponse:
        """One page of users, with `next_page_token` ("" after the last page)."""
        request = messages.list_users(limit=limit, skip=skip, page_token=page_token)
        return self._unary(self.users.ListUsers, request, timeout)  # type: ignore[no-any-return]

    def iter_users(self, *, page_size: int = 0, timeout: Timeout = DEFAULT) -> Iterator[user_pb2.User]:
        """Every user in id order, following page tokens; `timeout` applies to each page."""
        return flatten(self._user_pages(page_size, timeout), messages.users_of)

    def _user_pages(self, page_size: int, timeout: Timeout) -> Iterator[users_pb.ListUsersResponse]:
        page_token = ""
        while True:
            page = self.list_users(limit=page_size, page_token=page_token, timeout=timeout)
            yield page
            page_token = page.next_page_token
            if not page_token:
                return

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

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> AuthTunaClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
