"""AuthTunaClient: the blocking client."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import grpc

from authtuna_api.client import channels, messages
from authtuna_api.client.errors import error_from_rpc
from authtuna_api.client.streams import flatten, pages
from authtuna_api.client.timeouts import DEFAULT, Timeout, resolve
from authtuna_api.user.v1 import (
    api_token_pb2,
    api_token_service_pb2 as tokens_pb,
    api_token_service_pb2_grpc,
    role_pb2,
    role_service_pb2 as roles_pb,
    role_service_pb2_grpc,
    user_pb2,
    user_service_pb2 as users_pb,
    user_service_pb2_grpc,
)

Item = TypeVar("Item")


class AuthTunaClient:
    """A blocking client for authtuna-grpc.

        with AuthTunaClient("localhost:50051", token) as client:
            user = client.get_user(username="ada")

    `tls=TlsConfig(...)` connects over TLS (mutual TLS with a client key and
    certificate); otherwise the connection is plaintext. Unary calls get `timeout`
    seconds unless a call passes its own `timeout=`; streams get `stream_timeout`
    (None: no deadline). Reads are retried with backoff while the server is
    UNAVAILABLE. Failures raise `AuthTunaError` subclasses (see `errors`). Methods
    return the generated messages (`User`, `Role`, ...).
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
        self.roles = role_service_pb2_grpc.RoleServiceStub(channel)  # type: ignore[no-untyped-call]
        self.api_tokens = api_token_service_pb2_grpc.ApiTokenServiceStub(channel)  # type: ignore[no-untyped-call]

    # UserService

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
        return self._unary(self.users.CreateUser, request, timeout).user

    def get_user(
        self,
        *,
        id: str | None = None,
        email: str | None = None,
        username: str | None = None,
        with_relations: bool = False,
        timeout: Timeout = DEFAULT,
    ) -> user_pb2.User:
        """The user with this id, email or username (exactly one); raises UserNotFound."""
        request = messages.get_user(id=id, email=email, username=username, with_relations=with_relations)
        return self._unary(self.users.GetUser, request, timeout).user

    def list_users(
        self, *, limit: int = 0, skip: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> users_pb.ListUsersResponse:
        """One page of users, with `next_page_token` ("" after the last page)."""
        request = users_pb.ListUsersRequest(limit=limit, skip=skip, page_token=page_token)
        return self._unary(self.users.ListUsers, request, timeout)

    def iter_users(self, *, page_size: int = 0, timeout: Timeout = DEFAULT) -> Iterator[user_pb2.User]:
        """Every user in id order, following page tokens; `timeout` applies to each page."""
        fetch = lambda token: self.list_users(limit=page_size, page_token=token, timeout=timeout)  # noqa: E731
        return flatten(pages(fetch), messages.users_of)

    def update_user(self, id: str, *, etag: str, timeout: Timeout = DEFAULT, **changes: Any) -> user_pb2.User:
        """Changes exactly the fields given (`email=`, `username=`, `email_verified=`,
        `attributes=`, `last_login_at=`; None unsets); raises StaleEtag if the user
        changed since `etag` was read."""
        request = messages.update_user(id, etag, changes)
        return self._unary(self.users.UpdateUser, request, timeout).user

    def set_password(self, id: str, password: str, *, timeout: Timeout = DEFAULT) -> user_pb2.User:
        request = users_pb.SetPasswordRequest(id=id, password=password)
        return self._unary(self.users.SetPassword, request, timeout).user

    def suspend_user(self, id: str, reason: str, *, timeout: Timeout = DEFAULT) -> user_pb2.User:
        request = users_pb.SuspendUserRequest(id=id, reason=reason)
        return self._unary(self.users.SuspendUser, request, timeout).user

    def unsuspend_user(self, id: str, reason: str, *, timeout: Timeout = DEFAULT) -> user_pb2.User:
        request = users_pb.UnsuspendUserRequest(id=id, reason=reason)
        return self._unary(self.users.UnsuspendUser, request, timeout).user

    def delete_user(self, id: str, *, reason: str = "", timeout: Timeout = DEFAULT) -> user_pb2.DeletedUser:
        request = users_pb.DeleteUserRequest(id=id, reason=reason)
        return self._unary(self.users.DeleteUser, request, timeout).deleted_user

    def get_deleted_user(self, id: str, *, timeout: Timeout = DEFAULT) -> user_pb2.DeletedUser:
        request = users_pb.GetDeletedUserRequest(id=id)
        return self._unary(self.users.GetDeletedUser, request, timeout).deleted_user

    # RoleService

    def create_role(
        self, name: str, *, description: str = "", permissions: Sequence[str] = (), timeout: Timeout = DEFAULT
    ) -> role_pb2.Role:
        request = roles_pb.CreateRoleRequest(name=name, description=description, permissions=permissions)
        return self._unary(self.roles.CreateRole, request, timeout).role

    def list_roles(self, *, timeout: Timeout = DEFAULT) -> list[role_pb2.Role]:
        return list(self._unary(self.roles.ListRoles, roles_pb.ListRolesRequest(), timeout).roles)

    def delete_role(self, name: str, *, timeout: Timeout = DEFAULT) -> None:
        self._unary(self.roles.DeleteRole, roles_pb.DeleteRoleRequest(name=name), timeout)

    def assign_role(
        self, user_id: str, role: str, *, scope: str = "", timeout: Timeout = DEFAULT
    ) -> role_pb2.RoleAssignment:
        request = roles_pb.AssignRoleRequest(user_id=user_id, role=role, scope=scope)
        return self._unary(self.roles.AssignRole, request, timeout).assignment

    def revoke_role(
        self, user_id: str, role: str, *, scope: str = "", timeout: Timeout = DEFAULT
    ) -> role_pb2.RoleAssignment:
        request = roles_pb.RevokeRoleRequest(user_id=user_id, role=role, scope=scope)
        return self._unary(self.roles.RevokeRole, request, timeout).assignment

    def list_role_assignments(
        self,
        *,
        user_id: str | None = None,
        role: str | None = None,
        scope: str = "",
        limit: int = 0,
        page_token: str = "",
        timeout: Timeout = DEFAULT,
    ) -> roles_pb.ListRoleAssignmentsResponse:
        """One page of the assignments of a user or of a role (exactly one)."""
        request = messages.list_role_assignments(
            user_id=user_id, role=role, scope=scope, limit=limit, page_token=page_token
        )
        return self._unary(self.roles.ListRoleAssignments, request, timeout)

    def iter_role_assignments(
        self, *, user_id: str | None = None, role: str | None = None, scope: str = "", page_size: int = 0,
        timeout: Timeout = DEFAULT,
    ) -> Iterator[role_pb2.RoleAssignment]:
        """Every assignment of a user or of a role, following page tokens."""
        fetch = lambda token: self.list_role_assignments(  # noqa: E731
            user_id=user_id, role=role, scope=scope, limit=page_size, page_token=token, timeout=timeout
        )
        return flatten(pages(fetch), messages.assignments_of)

    # ApiTokenService

    def create_api_token(
        self, user_id: str, name: str, *, expires_at: datetime | None = None, timeout: Timeout = DEFAULT
    ) -> tokens_pb.CreateApiTokenResponse:
        """A new token: `.token` describes it, `.secret` is shown this once."""
        request = messages.create_api_token(user_id, name, expires_at)
        return self._unary(self.api_tokens.CreateApiToken, request, timeout)

    def list_api_tokens(self, user_id: str, *, timeout: Timeout = DEFAULT) -> list[api_token_pb2.ApiToken]:
        request = tokens_pb.ListApiTokensRequest(user_id=user_id)
        return list(self._unary(self.api_tokens.ListApiTokens, request, timeout).tokens)

    def revoke_api_token(self, id: str, *, timeout: Timeout = DEFAULT) -> api_token_pb2.ApiToken:
        request = tokens_pb.RevokeApiTokenRequest(id=id)
        return self._unary(self.api_tokens.RevokeApiToken, request, timeout).token

    # Calls

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
