"""Sessions after sign-in: validating, listing and ending them."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import InvalidInput, InvalidSession, SessionNotFound, UserSuspended
from authtuna_grpc.domain.paging import encode_page_token, page_request
from authtuna_grpc.domain.sessions import Session, SessionPolicy, SignedIn, ValidSession
from authtuna_grpc.domain.sign_in import ThrottleKey
from authtuna_grpc.services.api_tokens import token_digest
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.services.user_manager import existing_user
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

SESSION_TOKEN_PREFIX = "ses_"
MAX_SESSION_TOKEN_LENGTH = 512


def generate_session_token() -> str:
    """256 bits from the OS CSPRNG, recognisable by its prefix."""
    return SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def invalid_session() -> InvalidSession:
    return InvalidSession("the session is not valid: unknown, expired, revoked or suspended")


def parse_session_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.field(field, "must be a session id (UUID)") from None


def session_digest(token: str, field: str = "session_token") -> str | None:
    """The digest a session with this token is stored under; None if the token is too
    long to be one (not worth hashing)."""
    if not token:
        raise InvalidInput.field(field, "is required")
    if len(token) > MAX_SESSION_TOKEN_LENGTH:
        return None
    return token_digest(token)


async def open_session(
    uow: UnitOfWork,
    caller: Caller,
    user_id: uuid.UUID,
    *,
    policy: SessionPolicy,
    session_id: uuid.UUID,
    now: datetime,
    details: dict[str, str],
) -> SignedIn:
    """Start a session inside the caller's transaction: last_login_at, the user's ended
    sessions cleaned up, the session, the account's failure count reset, LOGIN_SUCCESS.

    The one place sessions are made. Its callers are SignIn, for a user found without a
    confirmed second factor in the same transaction, and CompleteSignIn, after the
    second step: no other path leads here.
    """
    if not await uow.credentials.record_login(user_id, now):
        raise UserSuspended("the account is suspended")
    token = generate_session_token()
    expires_at, idle_expires_at = policy.start(now)
    session = Session(session_id, user_id, now, now, expires_at, idle_expires_at, caller.ip_address)
    await uow.sessions.delete_ended_of(user_id, now)
    await uow.sessions.add(
        session_id=session.id,
        user_id=user_id,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=expires_at,
        idle_expires_at=idle_expires_at,
        ip_address=caller.ip_address,
    )
    await uow.sign_in_throttle.clear(ThrottleKey.account(user_id), now)
    details = {"session_id": str(session.id), **details}
    await uow.audit_events.append(AuditEvent.by(caller, EventType.LOGIN_SUCCESS, user_id, now, details))
    return SignedIn(user=await existing_user(uow, user_id), session=session, token=token)


@dataclass(frozen=True)
class SessionPage:
    sessions: list[Session]
    next_page_token: str


class SessionManager:
    def __init__(self, units: UnitOfWorkFactory, policy: SessionPolicy, clock: Clock) -> None:
        self._units = units
        self._policy = policy
        self._clock = clock

    async def validate(self, token: str) -> ValidSession:
        """The live session of an active user, its idle expiry slid forward."""
        digest = session_digest(token)
        if digest is None:
            raise invalid_session()
        now = self._clock()
        async with self._units() as uow:
            session = await uow.sessions.live_by_hash(digest, now)
            user = await uow.users.by_id(session.user_id) if session is not None else None
            if session is None or user is None:
                raise invalid_session()
            roles, permissions = await uow.roles.global_grants(user.id)
            if self._policy.needs_refresh(session, now):
                stale_before = session.last_seen_at
                session = self._policy.refreshed(session, now)
                await uow.sessions.touch(session, stale_before)
                await uow.commit()
        return ValidSession(user=user, session=session, roles=roles, permissions=permissions)

    async def sign_out(self, caller: Caller, token: str) -> bool:
        """End the session the token names; False if it named no live session."""
        digest = session_digest(token)
        if digest is None:
            return False
        async with self._units() as uow:
            now = self._clock()
            session = await uow.sessions.revoke_by_hash(digest, now)
            if session is None:
                return False
            await uow.audit_events.append(_revoked(caller, session, now, "sign_out"))
            await uow.commit()
        return True

    async def revoke(self, caller: Caller, session_id: uuid.UUID) -> Session:
        async with self._units() as uow:
            now = self._clock()
            session = await uow.sessions.revoke(session_id, now)
            if session is None:
                raise SessionNotFound(
                    f"no unrevoked session with id {str(session_id)!r}",
                    metadata={"id": str(session_id)},
                )
            await uow.audit_events.append(_revoked(caller, session, now, "revoke"))
            await uow.commit()
        return session

    async def revoke_all(self, caller: Caller, user_id: uuid.UUID) -> int:
        """Sign the user out everywhere: revoke each session not revoked yet."""
        async with self._units() as uow:
            await existing_user(uow, user_id)
            now = self._clock()
            revoked = await uow.sessions.revoke_all_of(user_id, now)
            await uow.audit_events.append(
                AuditEvent.by(
                    caller, EventType.SESSIONS_REVOKED_ALL, user_id, now, {"revoked": str(revoked)}
                )
            )
            await uow.commit()
        return revoked

    async def list(self, user_id: uuid.UUID, *, limit: int, page_token: str) -> SessionPage:
        page = page_request(skip=0, limit=limit, page_token=page_token)
        async with self._units() as uow:
            await existing_user(uow, user_id)
            sessions = await uow.sessions.live_page(
                user_id, self._clock(), after=page.after, limit=page.limit + 1
            )
        more = len(sessions) > page.limit
        sessions = sessions[: page.limit]
        token = encode_page_token(sessions[-1].id) if more else ""
        return SessionPage(sessions=sessions, next_page_token=token)


def _revoked(caller: Caller, session: Session, now: datetime, how: str) -> AuditEvent:
    return AuditEvent.by(
        caller,
        EventType.SESSION_REVOKED,
        session.user_id,
        now,
        {"session_id": str(session.id), "how": how},
    )
