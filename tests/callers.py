"""Tokens for each kind of caller, created directly through the storage layer."""

from __future__ import annotations

from dataclasses import dataclass

from authtuna_grpc.domain.caller import system_caller
from authtuna_grpc.domain.user import new_user
from authtuna_grpc.services.api_tokens import generate_secret, issue_token
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.storage.roles import GLOBAL_SCOPE
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

ADMIN_TOKEN = "atk_test-admin-token-0123456789abcdefghijklmnopq"

Metadata = tuple[tuple[str, str], ...]


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


@dataclass(frozen=True)
class Callers:
    admin: Metadata
    member: Metadata
    anonymous: Metadata


async def token_for_new_user(units: UnitOfWorkFactory, username: str, role: str | None) -> str:
    """Create a user holding `role` globally and return a fresh token of theirs."""
    secret = generate_secret()
    now = utc_now()
    async with units() as uow:
        account = new_user(
            email=f"{username}@example.com", username=username, password=None, attributes={}
        )
        user = await uow.users.add(new_id(), account, None, now)
        if role is not None:
            role_id = await uow.roles.id_of(role)
            assert role_id is not None, role
            await uow.roles.assign(
                assignment_id=new_id(),
                user_id=user.id,
                role_id=role_id,
                scope=GLOBAL_SCOPE,
                granted_by=None,
                granted_at=now,
            )
        await issue_token(
            uow, system_caller(), user_id=user.id, name="test", secret=secret, token_id=new_id(), now=now
        )
        await uow.commit()
    return secret


async def make_callers(units: UnitOfWorkFactory) -> Callers:
    member = await token_for_new_user(units, "member-caller", "Member")
    return Callers(admin=bearer(ADMIN_TOKEN), member=bearer(member), anonymous=())
