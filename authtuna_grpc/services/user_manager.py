"""Registration, lookup and listing of users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.exc import IntegrityError

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import (
    EmailAlreadyRegistered,
    FieldViolation,
    InvalidInput,
    UsernameAlreadyTaken,
    UserNotFound,
)
from authtuna_grpc.domain.paging import encode_page_token, page_request
from authtuna_grpc.domain.roles import RoleAssignment
from authtuna_grpc.domain.user import NewUser, User
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.services.passwords import PasswordHasher
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

LookupKind = Literal["id", "email", "username"]


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_page_token: str


class UserManager:
    def __init__(
        self,
        units: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        new_id: IdFactory,
    ) -> None:
        self._units = units
        self._hasher = hasher
        self._clock = clock
        self._new_id = new_id

    async def create(self, caller: Caller, new: NewUser) -> User:
        """Register a user and write USER_CREATED in the same transaction."""
        async with self._units() as uow:
            await _ensure_unique(uow, new.email, new.username)
        # Hash outside any transaction: it takes tens of milliseconds.
        password_hash = await self._hasher.hash(new.password) if new.password else None
        user_id = self._new_id()
        now = self._clock()
        try:
            async with self._units() as uow:
                user = await uow.users.add(user_id, new, password_hash, now)
                await uow.audit_events.append(
                    AuditEvent.by(
                        caller,
                        EventType.USER_CREATED,
                        user.id,
                        now,
                        {"email": user.email, "username": user.username},
                    )
                )
                await uow.commit()
        except IntegrityError:
            # Lost a race with a concurrent registration: report which key collided.
            async with self._units() as uow:
                await _ensure_unique(uow, new.email, new.username)
            raise
        return user

    async def get(self, kind: LookupKind, key: str) -> User:
        async with self._units() as uow:
            if kind == "id":
                user = await uow.users.by_id(parse_user_id(key, "id"))
            elif kind == "email":
                user = await uow.users.by_email(key)
            else:
                user = await uow.users.by_username(key)
        if user is None:
            raise UserNotFound(f"no user with {kind} {key!r}", metadata={kind: key})
        return user

    async def get_with_relations(
        self, kind: LookupKind, key: str
    ) -> tuple[User, list[RoleAssignment]]:
        """The user and its role assignments at every scope."""
        user = await self.get(kind, key)
        async with self._units() as uow:
            assignments = await uow.roles.assignments_page(user_id=user.id)
        return user, assignments

    async def list(self, *, skip: int, limit: int, page_token: str) -> UserPage:
        page = page_request(skip=skip, limit=limit, page_token=page_token)
        async with self._units() as uow:
            users = await uow.users.page(after=page.after, skip=page.skip, limit=page.limit + 1)
        more = len(users) > page.limit
        users = users[: page.limit]
        token = encode_page_token(users[-1].id) if more else ""
        return UserPage(users=users, next_page_token=token)


def parse_user_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.of([FieldViolation(field, "must be a user id (UUID)")]) from None


async def _ensure_unique(uow: UnitOfWork, email: str, username: str) -> None:
    if await uow.users.email_taken(email):
        raise EmailAlreadyRegistered(
            "a user with this email is already registered", metadata={"field": "email"}
        )
    if await uow.users.username_taken(username):
        raise UsernameAlreadyTaken("this username is already taken", metadata={"field": "username"})
