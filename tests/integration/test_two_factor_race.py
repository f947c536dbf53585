"""A sign-in and the confirmation of an enrolment at the same moment: one waits for the
other, so the sign-in either sees no authenticator and its session is written before the
enrolment commits, or sees the confirmed authenticator and gets a challenge."""

from __future__ import annotations

import asyncio
import uuid

import pyotp

from authtuna_grpc.domain.caller import system_caller
from authtuna_grpc.domain.user import new_user
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.services.second_factor import SecondFactorManager
from authtuna_grpc.services.secret_box import SecretBox
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.integration.test_last_admin_race import GatedUnits, until
from tests.two_factor import TEST_MFA_KEYS

HASH = "$argon2id$stand-in"  # compared, never verified, here


async def _user(units: UnitOfWorkFactory, name: str) -> uuid.UUID:
    async with units() as uow:
        account = new_user(email=f"{name}@example.com", username=name, password=None, attributes={})
        user = await uow.users.add(new_id(), account, HASH, utc_now())
        await uow.commit()
    return user.id


def _manager(units: UnitOfWorkFactory) -> SecondFactorManager:
    return SecondFactorManager(units, SecretBox.from_setting(TEST_MFA_KEYS), "authtuna", utc_now, new_id)


async def _signing_in(units: UnitOfWorkFactory, user_id: uuid.UUID) -> bool:
    """What sign-in's success transaction does first: hold the row, then look."""
    async with units() as uow:
        assert await uow.credentials.hold_verified(user_id, HASH, None)
        return await uow.second_factors.is_enrolled(user_id)


async def test_a_confirmation_waits_for_a_sign_in_that_holds_the_user(units) -> None:
    user_id = await _user(units, "first-in")
    begun = await _manager(units).begin(system_caller(), user_id)
    async with units() as uow:
        assert await uow.credentials.hold_verified(user_id, HASH, None)
        confirming = asyncio.create_task(
            _manager(units).confirm(system_caller(), user_id, pyotp.TOTP(begun.secret).now())
        )
        await asyncio.sleep(0.5)
        assert not confirming.done()
        assert not await uow.second_factors.is_enrolled(user_id)
        await uow.commit()
    assert len(await confirming) == 10


async def test_a_sign_in_waits_for_a_confirmation_that_holds_the_user(units) -> None:
    user_id = await _user(units, "second-in")
    begun = await _manager(units).begin(system_caller(), user_id)
    gated = GatedUnits(units)
    confirming = asyncio.create_task(
        _manager(gated).confirm(system_caller(), user_id, pyotp.TOTP(begun.secret).now())
    )
    await until(lambda: gated.waiting == 1)
    signing_in = asyncio.create_task(_signing_in(units, user_id))
    await asyncio.sleep(0.5)
    assert not signing_in.done()
    gated.gate.set()
    await confirming
    assert await signing_in  # it saw the authenticator: a challenge, not a session
