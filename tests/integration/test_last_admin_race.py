"""Two admins removed at the same moment: the guard lets exactly one of them go.

The first change is held open just before its commit while the second runs as far as
it can, which is the window in which both would see the other admin still active.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from authtuna_grpc.domain.caller import Caller
from authtuna_grpc.domain.errors import LastAdmin
from authtuna_grpc.services.clock import utc_now
from authtuna_grpc.services.deletions import DeletionManager
from authtuna_grpc.services.suspensions import SuspensionManager
from authtuna_grpc.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tests.accounts import account


class GatedUnitOfWork(UnitOfWork):
    def __init__(self, units: GatedUnits) -> None:
        super().__init__(units.engine)
        self._units = units

    async def commit(self) -> None:
        self._units.waiting += 1
        await self._units.gate.wait()
        await super().commit()


class GatedUnits(UnitOfWorkFactory):
    """Every commit waits until the test opens the gate."""

    def __init__(self, units: UnitOfWorkFactory) -> None:
        super().__init__(units.engine)
        self.gate = asyncio.Event()
        self.waiting = 0

    def __call__(self) -> UnitOfWork:
        return GatedUnitOfWork(self)


async def until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("removal", ["suspend", "delete"])
async def test_two_admins_removed_at_once_leave_one_active_admin(
    units: UnitOfWorkFactory, removal: str
) -> None:
    async with units() as uow:
        bootstrap = await uow.users.by_username("admin")
    assert bootstrap is not None
    second = await account(units, "second-admin", "Admin")
    remover = await account(units, "remover", None)
    caller = Caller(uuid.UUID(remover.id), frozenset(), "127.0.0.1", "race")
    gated = GatedUnits(units)

    async def remove(user_id: uuid.UUID) -> object:
        if removal == "suspend":
            return await SuspensionManager(gated, utc_now).suspend(caller, user_id, "race")
        return await DeletionManager(gated, utc_now).delete(caller, user_id, "race")

    first = asyncio.create_task(remove(bootstrap.id))
    await until(lambda: gated.waiting == 1)
    other = asyncio.create_task(remove(uuid.UUID(second.id)))
    # Let the second change run as far as it can: with the guard it is held back until
    # the first commits; without it, it would reach its own commit meanwhile.
    await asyncio.sleep(0.5)
    gated.gate.set()
    results = await asyncio.gather(first, other, return_exceptions=True)
    assert not isinstance(results[0], BaseException)
    assert isinstance(results[1], LastAdmin)
