"""Roles and role assignments: create, delete, assign, revoke, list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import (
    AssignmentNotFound,
    BuiltinRoleProtected,
    RoleAlreadyAssigned,
    RoleAlreadyExists,
    RoleInUse,
    RoleNotFound,
    UserNotFound,
)
from authtuna_grpc.domain.paging import encode_page_token, page_request
from authtuna_grpc.domain.roles import NewRole, Role, RoleAssignment, check_grantable
from authtuna_grpc.services.admin_guard import LastAdminGuard
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.storage.roles import GLOBAL_SCOPE
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class AssignmentPage:
    assignments: list[RoleAssignment]
    next_page_token: str


@dataclass(frozen=True)
class AssignmentQuery:
    """Whose assignments to list: a user's, or a role's; optionally at one exact scope."""

    user_id: uuid.UUID | None
    role: str | None
    scope: str | None
    limit: int
    page_token: str


class RoleManager:
    def __init__(self, units: UnitOfWorkFactory, clock: Clock, new_id: IdFactory) -> None:
        self._units = units
        self._clock = clock
        self._new_id = new_id

    async def create(self, caller: Caller, new: NewRole) -> Role:
        check_grantable(caller, new.permissions)
        now = self._clock()
        try:
            async with self._units() as uow:
                if await uow.roles.id_of(new.name) is not None:
                    raise _role_exists(new.name)
                role = await uow.roles.add(self._new_id(), new, now)
                details = {"role": role.name, "permissions": ",".join(sorted(role.permissions))}
                await uow.audit_events.append(
                    AuditEvent.by(caller, EventType.ROLE_CREATED, None, now, details)
                )
                await uow.commit()
        except IntegrityError:
            raise _role_exists(new.name) from None
        return role

    async def list(self) -> list[Role]:
        async with self._units() as uow:
            return await uow.roles.all()

    async def delete(self, caller: Caller, name: str) -> None:
        now = self._clock()
        try:
            async with self._units() as uow:
                role = await _role(uow, name)
                if role.is_builtin:
                    raise BuiltinRoleProtected(
                        f"the built-in role {role.name!r} cannot be deleted", metadata={"role": role.name}
                    )
                if holders := await uow.roles.holders(role.id):
                    raise _in_use(role.name, holders)
                await uow.roles.delete(role.id)
                await uow.audit_events.append(
                    AuditEvent.by(caller, EventType.ROLE_DELETED, None, now, {"role": role.name})
                )
                await uow.commit()
        except IntegrityError:
            # Assigned concurrently, between the count and the delete.
            raise _in_use(name, 1) from None

    async def assign(self, caller: Caller, user_id: uuid.UUID, name: str, scope: str) -> RoleAssignment:
        now = self._clock()
        try:
            async with self._units() as uow:
                role = await _role(uow, name)
                check_grantable(caller, role.permissions)
                if await uow.users.by_id(user_id) is None:
                    raise UserNotFound(f"no user with id {user_id}", metadata={"id": str(user_id)})
                if await uow.roles.assignment(user_id, role.id, scope) is not None:
                    raise _already_assigned(role.name, scope)
                assignment = RoleAssignment(
                    self._new_id(), user_id, role.id, role.name, scope, caller.user_id, now
                )
                await uow.roles.assign(
                    assignment_id=assignment.id,
                    user_id=user_id,
                    role_id=role.id,
                    scope=scope,
                    granted_by=caller.user_id,
                    granted_at=now,
                )
                await _audit(uow, caller, EventType.ROLE_ASSIGNED, assignment, now)
                await uow.commit()
        except IntegrityError:
            raise _already_assigned(name, scope) from None
        return assignment

    async def revoke(self, caller: Caller, user_id: uuid.UUID, name: str, scope: str) -> RoleAssignment:
        now = self._clock()
        async with self._units() as uow:
            role = await _role(uow, name)
            assignment = await uow.roles.assignment(user_id, role.id, scope)
            if assignment is None:
                raise AssignmentNotFound(
                    f"the user does not hold {role.name!r} at scope {scope!r}",
                    metadata={"role": role.name, "scope": scope},
                )
            guard = await _admin_guard(uow, user_id, scope)
            await uow.roles.unassign(assignment.id)
            await guard.check(uow)
            await _audit(uow, caller, EventType.ROLE_REVOKED, assignment, now)
            await uow.commit()
        return assignment

    async def assignments(self, query: AssignmentQuery) -> AssignmentPage:
        page = page_request(skip=0, limit=query.limit, page_token=query.page_token)
        async with self._units() as uow:
            role_id = (await _role(uow, query.role)).id if query.role is not None else None
            if query.user_id is not None and await uow.users.by_id(query.user_id) is None:
                raise UserNotFound(f"no user with id {query.user_id}", metadata={"id": str(query.user_id)})
            found = await uow.roles.assignments_page(
                user_id=query.user_id,
                role_id=role_id,
                scope=query.scope,
                after=page.after,
                limit=page.limit + 1,
            )
        more = len(found) > page.limit
        found = found[: page.limit]
        return AssignmentPage(found, encode_page_token(found[-1].id) if more else "")


async def _role(uow: UnitOfWork, name: str) -> Role:
    role = await uow.roles.by_name(name)
    if role is None:
        raise RoleNotFound(f"no role named {name!r}", metadata={"role": name})
    return role


async def _audit(
    uow: UnitOfWork, caller: Caller, event: EventType, assignment: RoleAssignment, now: datetime
) -> None:
    details = {
        "role": assignment.role_name,
        "scope": assignment.scope,
        "assignment_id": str(assignment.id),
    }
    await uow.audit_events.append(AuditEvent.by(caller, event, assignment.user_id, now, details))


def _role_exists(name: str) -> RoleAlreadyExists:
    return RoleAlreadyExists(f"a role named {name!r} already exists", metadata={"role": name})


def _in_use(name: str, holders: int) -> RoleInUse:
    return RoleInUse(
        f"the role {name!r} is still assigned ({holders}); revoke it first",
        metadata={"role": name, "assignments": str(holders)},
    )


def _already_assigned(name: str, scope: str) -> RoleAlreadyAssigned:
    return RoleAlreadyAssigned(
        f"the user already holds {name!r} at scope {scope!r}", metadata={"role": name, "scope": scope}
    )


async def _admin_guard(uow: UnitOfWork, user_id: uuid.UUID, scope: str) -> LastAdminGuard:
    """Revoking the global Admin role from its last active holder is refused like
    suspending or deleting that holder would be."""
    user = await uow.users.by_id(user_id)
    if user is None or scope != GLOBAL_SCOPE:
        return LastAdminGuard(None)
    return await LastAdminGuard.take(uow, user)
