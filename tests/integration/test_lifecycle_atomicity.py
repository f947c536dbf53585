"""Each lifecycle change is one transaction: a failure at its last step changes nothing.

The failure is injected by a unit of work whose audit repository writes its rows (on the
hash chain, right before COMMIT) and then raises, so every statement of the change has
already run on the real database when it fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.user_updates import user_update
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.services.deletions import DeletionManager
from authtuna_grpc.services.passwords import Argon2Parameters, PasswordHasher
from authtuna_grpc.services.suspensions import SuspensionManager
from authtuna_grpc.services.user_manager import UserManager
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.audit_events import AuditEventRepository
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tests.accounts import account, add_session, rows

CHECKED_TABLES = (
    tables.user,
    tables.session,
    tables.api_token,
    tables.role,
    tables.role_permission,
    tables.role_assignment,
    tables.deleted_user,
    tables.audit_event,
    tables.audit_chain_head,
)


class InjectedFailure(Exception):
    pass


class FailingAuditEvents(AuditEventRepository):
    async def flush(self) -> None:
        await super().flush()
        raise InjectedFailure("after writing the audit events")


class FailingUnitOfWork(UnitOfWork):
    async def __aenter__(self) -> UnitOfWork:
        await super().__aenter__()
        self.audit_events = FailingAuditEvents(self.users._connection)
        return self


class FailingUnits(UnitOfWorkFactory):
    def __call__(self) -> UnitOfWork:
        return FailingUnitOfWork(self.engine)


async def snapshot(units: UnitOfWorkFactory) -> dict[str, list[dict[str, Any]]]:
    state = {}
    for table in CHECKED_TABLES:
        found = await rows(units, table, *[c.is_not(None) for c in list(table.primary_key)[:1]])
        state[table.name] = sorted(found, key=repr)
    return state


def admin_caller(user_id: str) -> Caller:
    return Caller(
        user_id=uuid.UUID(user_id), permissions=frozenset(), ip_address="127.0.0.1", request_id="fault"
    )


Change = Callable[[UnitOfWorkFactory, PasswordHasher, Caller, uuid.UUID], Awaitable[object]]


async def delete(units, hasher, caller, target) -> object:
    return await DeletionManager(units, utc_now).delete(caller, target, "injected")


async def suspend(units, hasher, caller, target) -> object:
    return await SuspensionManager(units, utc_now).suspend(caller, target, "injected")


async def set_password(units, hasher, caller, target) -> object:
    return await UserManager(units, hasher, utc_now, new_id).set_password(caller, target, "Battery-Staple-7")


async def update(units, hasher, caller, target) -> object:
    change = user_update(
        paths=["username", "attributes"], username="renamed", email="", email_verified=False,
        attributes={"k": "v"}, last_login_at=None,
    )
    async with units() as uow:
        current = await uow.users.by_id(target)
    assert current is not None
    return await UserManager(units, hasher, utc_now, new_id).update(caller, target, change, current.version)


@pytest.fixture
def hasher() -> Any:
    hasher = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64), workers=1)
    yield hasher
    hasher.close()


@pytest.mark.parametrize("change", [delete, suspend, set_password, update], ids=lambda c: c.__name__)
async def test_failure_inside_the_transaction_leaves_everything_as_it_was(
    units: UnitOfWorkFactory, hasher: PasswordHasher, change: Change
) -> None:
    admin = await account(units, "fault-admin", "Admin")
    target = await account(units, "fault-target", "UserManager")
    await add_session(units, target.id)
    before = await snapshot(units)
    with pytest.raises(InjectedFailure):
        await change(FailingUnits(units.engine), hasher, admin_caller(admin.id), uuid.UUID(target.id))
    assert await snapshot(units) == before
    # The same change on a healthy unit of work goes through.
    await change(units, hasher, admin_caller(admin.id), uuid.UUID(target.id))
    assert await snapshot(units) != before
