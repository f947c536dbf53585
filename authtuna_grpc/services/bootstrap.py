"""First start: an empty database gets an admin service account and its token."""

from __future__ import annotations

from dataclasses import dataclass

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.domain.caller import system_caller
from authtuna_grpc.domain.user import new_user
from authtuna_grpc.services.api_tokens import generate_secret, issue_token
from authtuna_grpc.services.clock import Clock, IdFactory
from authtuna_grpc.storage.roles import GLOBAL_SCOPE
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@authtuna.example"
ADMIN_ROLE = "Admin"


@dataclass(frozen=True)
class BootstrapResult:
    token: str
    generated: bool


async def bootstrap_admin(
    units: UnitOfWorkFactory, clock: Clock, new_id: IdFactory, configured_token: str | None
) -> BootstrapResult | None:
    """Create the admin service account if there are no users at all; else do nothing."""
    caller = system_caller()
    async with units() as uow:
        if await uow.users.count() > 0:
            return None
        role_id = await uow.roles.id_of(ADMIN_ROLE)
        if role_id is None:
            raise RuntimeError("the Admin role is missing; run the migrations first")
        now = clock()
        account = new_user(
            email=ADMIN_EMAIL,
            username=ADMIN_USERNAME,
            password=None,
            attributes={"created_by": "bootstrap"},
            email_verified=True,
            is_service_account=True,
        )
        user = await uow.users.add(new_id(), account, None, now)
        await uow.audit_events.append(
            AuditEvent.by(caller, EventType.USER_CREATED, user.id, now, {"username": user.username})
        )
        await uow.roles.assign(
            assignment_id=new_id(),
            user_id=user.id,
            role_id=role_id,
            scope=GLOBAL_SCOPE,
            granted_by=None,
            granted_at=now,
        )
        await uow.audit_events.append(
            AuditEvent.by(
                caller, EventType.ROLE_ASSIGNED, user.id, now, {"role": ADMIN_ROLE, "scope": GLOBAL_SCOPE}
            )
        )
        secret = configured_token or generate_secret()
        await issue_token(
            uow, caller, user_id=user.id, name="bootstrap", secret=secret, token_id=new_id(), now=now
        )
        await uow.commit()
    return BootstrapResult(token=secret, generated=configured_token is None)
