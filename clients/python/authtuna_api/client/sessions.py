"""SessionService methods: sign-in for end users, sessions, lockouts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from authtuna_api.client import messages
from authtuna_api.client.calls import AsyncCalls, SyncCalls
from authtuna_api.client.streams import aflatten, apages, flatten, pages
from authtuna_api.client.timeouts import DEFAULT, Timeout
from authtuna_api.user.v1 import session_service_pb2 as sessions_pb


class SessionMethods(SyncCalls):
    """SessionService, blocking."""

    def sign_in(self, identity: str, password: str, *, timeout: Timeout = DEFAULT) -> sessions_pb.SignInResponse:
        """Signs an end user in by email or username: `.user` and `.session` (with its token)."""
        request = sessions_pb.SignInRequest(identity=identity, password=password)
        return self._unary(self.sessions.SignIn, request, timeout)

    def sign_out(self, session_token: str, *, timeout: Timeout = DEFAULT) -> bool:
        """Ends the session; False if it had ended already."""
        request = sessions_pb.SignOutRequest(session_token=session_token)
        return bool(self._unary(self.sessions.SignOut, request, timeout).revoked)

    def validate_session(
        self, session_token: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.ValidateSessionResponse:
        """The session's user, session, roles and permissions; raises InvalidSession."""
        request = sessions_pb.ValidateSessionRequest(session_token=session_token)
        return self._unary(self.sessions.ValidateSession, request, timeout)

    def revoke_session(self, id: str, *, timeout: Timeout = DEFAULT) -> sessions_pb.Session:
        request = sessions_pb.RevokeSessionRequest(id=id)
        return self._unary(self.sessions.RevokeSession, request, timeout).session

    def revoke_all_sessions(self, user_id: str, *, timeout: Timeout = DEFAULT) -> int:
        """Ends every session of the user; returns how many were active."""
        request = sessions_pb.RevokeAllSessionsRequest(user_id=user_id)
        return int(self._unary(self.sessions.RevokeAllSessions, request, timeout).revoked_count)

    def list_sessions(
        self, user_id: str, *, limit: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> sessions_pb.ListSessionsResponse:
        """One page of the user's sessions, with `next_page_token`."""
        request = sessions_pb.ListSessionsRequest(user_id=user_id, limit=limit, page_token=page_token)
        return self._unary(self.sessions.ListSessions, request, timeout)

    def iter_sessions(
        self, user_id: str, *, page_size: int = 0, timeout: Timeout = DEFAULT
    ) -> Iterator[sessions_pb.Session]:
        """Every session of the user, following page tokens."""
        fetch = lambda token: self.list_sessions(user_id, limit=page_size, page_token=token, timeout=timeout)  # noqa: E731
        return flatten(pages(fetch), messages.sessions_of)

    def clear_sign_in_lock(
        self, *, user_id: str | None = None, ip_address: str | None = None, timeout: Timeout = DEFAULT
    ) -> bool:
        """Lifts the sign-in lockout of a user or an IP address (exactly one); True if it was locked."""
        request = messages.clear_sign_in_lock(user_id=user_id, ip_address=ip_address)
        return bool(self._unary(self.sessions.ClearSignInLock, request, timeout).was_locked)


class AsyncSessionMethods(AsyncCalls):
    """SessionService, asyncio."""

    async def sign_in(self, identity: str, password: str, *, timeout: Timeout = DEFAULT) -> sessions_pb.SignInResponse:
        """Signs an end user in by email or username: `.user` and `.session` (with its token)."""
        request = sessions_pb.SignInRequest(identity=identity, password=password)
        return await self._unary(self.sessions.SignIn, request, timeout)

    async def sign_out(self, session_token: str, *, timeout: Timeout = DEFAULT) -> bool:
        """Ends the session; False if it had ended already."""
        request = sessions_pb.SignOutRequest(session_token=session_token)
        return bool((await self._unary(self.sessions.SignOut, request, timeout)).revoked)

    async def validate_session(
        self, session_token: str, *, timeout: Timeout = DEFAULT
    ) -> sessions_pb.ValidateSessionResponse:
        """The session's user, session, roles and permissions; raises InvalidSession."""
        request = sessions_pb.ValidateSessionRequest(session_token=session_token)
        return await self._unary(self.sessions.ValidateSession, request, timeout)

    async def revoke_session(self, id: str, *, timeout: Timeout = DEFAULT) -> sessions_pb.Session:
        request = sessions_pb.RevokeSessionRequest(id=id)
        return (await self._unary(self.sessions.RevokeSession, request, timeout)).session

    async def revoke_all_sessions(self, user_id: str, *, timeout: Timeout = DEFAULT) -> int:
        """Ends every session of the user; returns how many were active."""
        request = sessions_pb.RevokeAllSessionsRequest(user_id=user_id)
        return int((await self._unary(self.sessions.RevokeAllSessions, request, timeout)).revoked_count)

    async def list_sessions(
        self, user_id: str, *, limit: int = 0, page_token: str = "", timeout: Timeout = DEFAULT
    ) -> sessions_pb.ListSessionsResponse:
        """One page of the user's sessions, with `next_page_token`."""
        request = sessions_pb.ListSessionsRequest(user_id=user_id, limit=limit, page_token=page_token)
        return await self._unary(self.sessions.ListSessions, request, timeout)

    def iter_sessions(
        self, user_id: str, *, page_size: int = 0, timeout: Timeout = DEFAULT
    ) -> AsyncIterator[sessions_pb.Session]:
        """Every session of the user, following page tokens."""
        fetch = lambda token: self.list_sessions(user_id, limit=page_size, page_token=token, timeout=timeout)  # noqa: E731
        return aflatten(apages(fetch), messages.sessions_of)

    async def clear_sign_in_lock(
        self, *, user_id: str | None = None, ip_address: str | None = None, timeout: Timeout = DEFAULT
    ) -> bool:
        """Lifts the sign-in lockout of a user or an IP address (exactly one); True if it was locked."""
        request = messages.clear_sign_in_lock(user_id=user_id, ip_address=ip_address)
        return bool((await self._unary(self.sessions.ClearSignInLock, request, timeout)).was_locked)
