"""UserService methods: registration, lookup, listing, updates, suspension, deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from authtuna_api.client import messages
from authtuna_api.client.calls import AsyncCalls, SyncCalls
from authtuna_api.client.streams import aflatten, apages, flatten, pages
from authtuna_api.client.timeouts import DEFAULT, Timeout
from authtuna_api.user.v1 import audit_pb2, user_pb2, user_service_pb2 as users_pb

Message = TypeVar("Message")


def _itself(response: Message) -> list[Message]:
    """A live stream's messages, heartbeats included, one by one."""
    return [response]


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

    def search_users(
        self,
        *,
        identity: str = "",
        role: str = "",
        scope: str = "",
        is_active: bool | None = None,
        email_verified: bool | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        skip: int = 0,
        limit: int = 0,
        page_token: str = "",
        batch_size: int = 0,
        timeout: Timeout = DEFAULT,
    ) -> Iterator[user_pb2.User]:
        """Every user matching all the filters given, in id order (the server streams
        batches; this is one iterator). `limit` 0 means all; stop early to cancel."""
        request = messages.search_users(
            identity=identity, role=role, scope=scope, is_active=is_active, email_verified=email_verified,
            created_after=created_after, created_before=created_before, skip=skip, limit=limit,
            page_token=page_token, batch_size=batch_size,
        )  # fmt: skip
        return self._stream(self.users.SearchUsers, request, messages.users_of, timeout)

    def basic_search_users(
        self, username: str, *, skip: int = 0, limit: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> Iterator[user_pb2.BasicUser]:
        """Active people whose username contains `username` (3+ characters): id and
        username only, at most 100 per call."""
        request = users_pb.BasicSearchUsersRequest(username=username, skip=skip, limit=limit, page_token=page_token)
        return self._stream(self.users.BasicSearchUsers, request, messages.users_of, timeout)

    def list_audit_events(
        self,
        *,
        user_id: str = "",
        actor_id: str = "",
        event_types: Iterable[str] = (),
        ip_address: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 0,
        oldest_first: bool = False,
        after_id: int = 0,
        batch_size: int = 0,
        timeout: Timeout = DEFAULT,
    ) -> Iterator[audit_pb2.AuditEvent]:
        """The audit events matching all the filters given, newest (or oldest) first;
        `ip_address` may be a CIDR network; `after_id` resumes after that event."""
        request = messages.list_audit_events(
            user_id=user_id, actor_id=actor_id, event_types=event_types, ip_address=ip_address, since=since,
            until=until, limit=limit, oldest_first=oldest_first, after_id=after_id, batch_size=batch_size,
        )  # fmt: skip
        return self._stream(self.users.ListAuditEvents, request, messages.events_of, timeout)

    def watch_audit_events(
        self,
        *,
        user_id: str = "",
        actor_id: str = "",
        event_types: Iterable[str] = (),
        ip_address: str = "",
        after_id: int | None = None,
        heartbeat_seconds: float | None = None,
        timeout: Timeout = None,
    ) -> Iterator[users_pb.WatchAuditEventsResponse]:
        """The watch's messages as they come — events, and heartbeats (no events) — each
        with the `resume_after_id` to restart from. No deadline unless `timeout` is given;
        closing the iterator cancels the watch."""
        request = messages.watch_audit_events(
            user_id=user_id, actor_id=actor_id, event_types=event_types, ip_address=ip_address,
            after_id=after_id, heartbeat_seconds=heartbeat_seconds,
        )  # fmt: skip
        return self._stream(self.users.WatchAuditEvents, request, _itself, timeout)


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

    def search_users(
        self,
        *,
        identity: str = "",
        role: str = "",
        scope: str = "",
        is_active: bool | None = None,
        email_verified: bool | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        skip: int = 0,
        limit: int = 0,
        page_token: str = "",
        batch_size: int = 0,
        timeout: Timeout = DEFAULT,
    ) -> AsyncIterator[user_pb2.User]:
        """Every user matching all the filters given, in id order (the server streams
        batches; this is one iterator). `limit` 0 means all; stop early to cancel."""
        request = messages.search_users(
            identity=identity, role=role, scope=scope, is_active=is_active, email_verified=email_verified,
            created_after=created_after, created_before=created_before, skip=skip, limit=limit,
            page_token=page_token, batch_size=batch_size,
        )  # fmt: skip
        return self._stream(self.users.SearchUsers, request, messages.users_of, timeout)

    def basic_search_users(
        self, username: str, *, skip: int = 0, limit: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> AsyncIterator[user_pb2.BasicUser]:
        """Active people whose username contains `username` (3+ characters): id and
        username only, at most 100 per call."""
        request = users_pb.BasicSearchUsersRequest(username=username, skip=skip, limit=limit, page_token=page_token)
        return self._stream(self.users.BasicSearchUsers, request, messages.users_of, timeout)

    def list_audit_events(
        self,
        *,
        user_id: str = "",
        actor_id: str = "",
        event_types: Iterable[str] = (),
        ip_address: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 0,
        oldest_first: bool = False,
        after_id: int = 0,
        batch_size: int = 0,
        timeout: Timeout = DEFAULT,
    ) -> AsyncIterator[audit_pb2.AuditEvent]:
        """The audit events matching all the filters given, newest (or oldest) first;
        `ip_address` may be a CIDR network; `after_id` resumes after that event."""
        request = messages.list_audit_events(
            user_id=user_id, actor_id=actor_id, event_types=event_types, ip_address=ip_address, since=since,
            until=until, limit=limit, oldest_first=oldest_first, after_id=after_id, batch_size=batch_size,
        )  # fmt: skip
        return self._stream(self.users.ListAuditEvents, request, messages.events_of, timeout)

    def watch_audit_events(
        self,
        *,
        user_id: str = "",
        actor_id: str = "",
        event_types: Iterable[str] = (),
        ip_address: str = "",
        after_id: int | None = None,
        heartbeat_seconds: float | None = None,
        timeout: Timeout = None,
    ) -> AsyncIterator[users_pb.WatchAuditEventsResponse]:
        """The watch's messages as they come — events, and heartbeats (no events) — each
        with the `resume_after_id` to restart from. No deadline unless `timeout` is given;
        closing the iterator cancels the watch."""
        request = messages.watch_audit_events(
            user_id=user_id, actor_id=actor_id, event_types=event_types, ip_address=ip_address,
            after_id=after_id, heartbeat_seconds=heartbeat_seconds,
        )  # fmt: skip
        return self._stream(self.users.WatchAuditEvents, request, _itself, timeout)
