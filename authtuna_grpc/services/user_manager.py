"""Registration, lookup, listing, profile updates and passwords of users."""

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
    StaleEtag,
    UsernameAlreadyTaken,
    UserNotFound,
)
from authtuna_grpc.domain.paging import encode_page_token, page_request
from authtuna_grpc.domain.roles import RoleAssignment
from authtuna_grpc.domain.user import NewUser, User, check_lookup, check_password
from authtuna_grpc.domain.user_updates import (
    UserUpdate,
    apply_update,
    change_details,
    changed_fields,
    check_timing,
)
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
        user_id = parse_user_id(key, "id") if kind == "id" else None
        if kind != "id":
            check_lookup(kind, key, kind)
        async with self._units.read() as uow:
            if user_id is not None:
                user = await uow.users.by_id(user_id)
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

    async def update(
        self, caller: Caller, user_id: uuid.UUID, update: UserUpdate, expected_version: int
    ) -> User:
        """Apply `update` if the user is still at `expected_version`; USER_UPDATED records
        each changed field. A no-op writes nothing, not even an event."""
        check_timing(update, self._clock())
        async with self._units() as uow:
            current = await existing_user(uow, user_id)
        updated = apply_update(current, update)
        try:
            return await self._write_update(caller, current, updated, expected_version)
        except IntegrityError:
            async with self._units() as uow:
                await _ensure_unique(uow, updated.email, updated.username, excluding=user_id)
            raise

    async def _write_update(
        self, caller: Caller, current: User, updated: User, expected_version: int
    ) -> User:
        if current.version != expected_version:
            raise _stale(current.id)
        if not changed_fields(current, updated):
            return current
        async with self._units() as uow:
            await _ensure_unique(uow, updated.email, updated.username, excluding=current.id)
            now = self._clock()
            if not await uow.users.update_profile(current.id, expected_version, updated, now):
                await existing_user(uow, current.id)
                raise _stale(current.id)
            await uow.audit_events.append(
                AuditEvent.by(
                    caller, EventType.USER_UPDATED, current.id, now, change_details(current, updated)
                )
            )
            user = await existing_user(uow, current.id)
            await uow.commit()
        return user

    async def set_password(self, caller: Caller, user_id: uuid.UUID, password: str) -> User:
        """Replace the password hash and revoke every session of the user, in one
        transaction. API tokens are not sign-in credentials and stay valid."""
        check_password(password, "password")
        async with self._units() as uow:
            await existing_user(uow, user_id)
        # Hash outside any transaction: it takes tens of milliseconds.
        password_hash = await self._hasher.hash(password)
        async with self._units() as uow:
            now = self._clock()
            if not await uow.users.set_password_hash(user_id, password_hash, now):
                raise user_not_found(user_id)
            revoked = await uow.sessions.revoke_all_of(user_id, now)
            # A pending second step stands for the old password: withdraw it too.
            await uow.sign_in_challenges.delete_all_of(user_id)
            await uow.audit_events.append(
                AuditEvent.by(
                    caller, EventType.PASSWORD_CHANGED, user_id, now, {"sessions_revoked": str(revoked)}
                )
            )
            user = await existing_user(uow, user_id)
            await uow.commit()
        return user


async def existing_user(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    user = await uow.users.by_id(user_id)
    if user is None:
        raise user_not_found(user_id)
    return user


def user_not_found(user_id: uuid.UUID) -> UserNotFound:
    return UserNotFound(f"no user with id {str(user_id)!r}", metadata={"id": str(user_id)})


def _stale(user_id: uuid.UUID) -> StaleEtag:
    return StaleEtag(
        "the user changed since it was read; read it again and retry with its new etag",
        metadata={"id": str(user_id)},
    )


def parse_user_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.of([FieldViolation(field, "must be a user id (UUID)")]) from None


async def _ensure_unique(
    uow: UnitOfWork, email: str, username: str, *, excluding: uuid.UUID | None = None
) -> None:
    if await uow.users.email_taken(email, excluding=excluding):
        raise EmailAlreadyRegistered(
            "a user with this email is already registered", metadata={"field": "email"}
        )
    if await uow.users.username_taken(username, excluding=excluding):
        raise UsernameAlreadyTaken("this username is already taken", metadata={"field": "username"})
