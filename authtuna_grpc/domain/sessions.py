"""Sign-in sessions and the rules of their expiry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from authtuna_grpc.domain.user import User


@dataclass(frozen=True)
class Session:
    """A session as stored, without its token (only the token's digest is kept)."""

    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    idle_expires_at: datetime | None
    ip_address: str | None

    def is_live(self, now: datetime) -> bool:
        idle_ok = self.idle_expires_at is None or now < self.idle_expires_at
        return now < self.expires_at and idle_ok


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last.

    `lifetime` is absolute: no amount of use extends a session past it. `idle_timeout`
    slides: each validation moves the idle expiry to `idle_timeout` after it. Writing
    that on every validation would turn every read into a write, so the new idle expiry
    is stored only once `refresh_interval` has passed since the last one (or half the
    idle timeout, if that is shorter, so a short timeout still slides).
    """

    lifetime: timedelta
    idle_timeout: timedelta
    refresh_interval: timedelta

    def start(self, now: datetime) -> tuple[datetime, datetime]:
        """(expires_at, idle_expires_at) of a session starting now."""
        expires_at = now + self.lifetime
        return expires_at, min(now + self.idle_timeout, expires_at)

    def needs_refresh(self, session: Session, now: datetime) -> bool:
        interval = min(self.refresh_interval, self.idle_timeout / 2)
        return now - session.last_seen_at >= interval

    def refreshed(self, session: Session, now: datetime) -> Session:
        idle = min(now + self.idle_timeout, session.expires_at)
        return replace(session, last_seen_at=now, idle_expires_at=idle)


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the token is returned to the caller once, never stored."""

    user: User
    session: Session
    token: str


@dataclass(frozen=True)
class ValidSession:
    """A validated session, its user, and what the user may do (global scope)."""

    user: User
    session: Session
    roles: list[str]
    permissions: list[str]
