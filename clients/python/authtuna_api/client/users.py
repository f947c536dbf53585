"""UserService methods: registration, lookup, listing, updates, suspension, deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from authtuna_api.client import messages
from authtuna_api.client.calls import AsyncCalls, SyncCalls
from authtuna_api.client.streams import aflatten, apages, flatten, pages
from authtuna_api.client.timeouts import DEFAULT, Timeout
from authtuna_api.user.v1 import user_pb2, user_service_pb2 as users_pb


class UserMethods(SyncCalls):
    """UserService, blocking."""

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


class AsyncUserMethods(AsyncCalls):
    """UserService, asyncio: the same methods as UserMethods, awaited."""

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
        return (await self._unary(self.users.CreateUser, request, timeout)).user

    async def get_user(
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
        return (await self._unary(self.users.GetUser, request, timeout)).user

    async def list_users(
        self, *, limit: int = 0, skip: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> users_pb.ListUsersResponse:
        """One page of users, with `next_page_token` ("" after the last page)."""
        request = users_pb.ListUsersRequest(limit=limit, skip=skip, page_token=page_token)
        return await self._unary(self.users.ListUsers, request, timeout)

    def iter_users(self, *, page_size: int = 0, timeout: Timeout = DEFAULT) -> AsyncIterator[user_pb2.User]:
        """Every user in id order, following page tokens; `timeout` applies to each page."""
        fetch = lambda token: self.list_users(limit=page_size, page_token=token, timeout=timeout)  # noqa: E731
        return aflatten(apages(fetch), messages.users_of)

    async def update_user(self, id: str, *, etag: str, timeout: Timeout = DEFAULT, **changes: Any) -> user_pb2.User:
        """Changes exactly the fields given (`email=`, `username=`, `email_verified=`,
        `attributes=`, `last_login_at=`; None unsets); raises StaleEtag if the user
        changed since `etag` was read."""
        request = messages.update_user(id, etag, changes)
        return (await self._unary(self.users.UpdateUser, request, timeout)).user

    async def set_password(self, id: str, password: str, *, timeout: Timeout = DEFAULT) -> user_pb2.User:
        request = users_pb.SetPasswordRequest(id=id, password=password)
        return (await self._unary(self.users.SetPassword, request, timeout)).user

    async def suspend_user(self, id: str, reason: str, *, timeout: Timeout = DEFAULT) -> user_pb2.User:
        request = users_pb.SuspendUserRequest(id=id, reason=reason)
        return (await self._unary(self.users.SuspendUser, request, timeout)).user

    async def unsuspend_user(self, id: str, reason: str, *, timeout: Timeout = DEFAULT) -> user_pb2.User:
        request = users_pb.UnsuspendUserRequest(id=id, reason=reason)
        return (await self._unary(self.users.UnsuspendUser, request, timeout)).user

    async def delete_user(self, id: str, *, reason: str = "", timeout: Timeout = DEFAULT) -> user_pb2.DeletedUser:
        request = users_pb.DeleteUserRequest(id=id, reason=reason)
        return (await self._unary(self.users.DeleteUser, request, timeout)).deleted_user

    async def get_deleted_user(self, id: str, *, timeout: Timeout = DEFAULT) -> user_pb2.DeletedUser:
        request = users_pb.GetDeletedUserRequest(id=id)
        return (await self._unary(self.users.GetDeletedUser, request, timeout)).deleted_user
