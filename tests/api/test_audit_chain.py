"""The audit trail's hash chain: every writer appends to one chain; VerifyAuditLog finds
the first broken link after rows are changed directly in the database."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from authtuna_api.user.v1 import compliance_pb2
from authtuna_api.user.v1 import compliance_service_pb2 as cpb
from sqlalchemy import delete, select, update

from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.accounts import create_user, total_audit_events
from tests.callers import Callers
from tests.rich_status import rich_error

_e = tables.audit_event


async def verify(compliance, callers: Callers, **bounds: int) -> cpb.VerifyAuditLogResponse:
    return await compliance.VerifyAuditLog(cpb.VerifyAuditLogRequest(**bounds), metadata=callers.admin)


async def execute(units: UnitOfWorkFactory, statement: Any) -> None:
    """Change rows behind the service's back, as someone with database access could."""
    async with units() as uow:
        await uow.users._connection.execute(statement)
        await uow.commit()


async def event_ids(units: UnitOfWorkFactory) -> list[int]:
    async with units() as uow:
        return list((await uow.users._connection.execute(select(_e.c.id).order_by(_e.c.id))).scalars())


async def some_events(users, callers: Callers, count: int = 6) -> None:
    for i in range(count):
        await create_user(users, callers.admin, f"chained-{i}")


async def test_every_change_lands_on_one_gapless_chain_that_verifies(users, compliance, callers: Callers, units) -> None:
    await some_events(users, callers)
    # Concurrent writers on one server: ids still follow commit order without gaps.
    await asyncio.gather(*(create_user(users, callers.admin, f"concurrent-{i}") for i in range(20)))
    total = await total_audit_events(units)
    report = await verify(compliance, callers)
    assert report.intact and not report.HasField("first_break")
    assert (report.events_verified, report.first_event_id, report.last_event_id) == (total, 1, total)
    assert await event_ids(units) == list(range(1, total + 1))
    assert (report.anchor_event_id, report.anchor_hash) == (0, "0" * 64)
    async with units() as uow:
        assert (await uow.audit_events.head()).chain_hash == report.last_chain_hash


@pytest.mark.parametrize("column", ["details", "event_type", "actor_id", "occurred_at", "chain_hash"])
async def test_editing_one_audit_row_makes_verification_name_that_row(
    users, compliance, callers: Callers, units, column: str
) -> None:
    await some_events(users, callers)
    target = (await event_ids(units))[4]
    async with units() as uow:
        row = (await uow.users._connection.execute(select(_e).where(_e.c.id == target))).one()
    forged = {
        "details": {**row.details, "email": "someone-else@example.com"},
        "event_type": "USER_UPDATED",
        "actor_id": None,
        "occurred_at": row.occurred_at.replace(year=2020),
        "chain_hash": "f" * 64,
    }[column]
    await execute(units, update(_e).where(_e.c.id == target).values({column: forged}))
    report = await verify(compliance, callers)
    assert not report.intact
    assert report.first_break.event_id == target
    assert report.first_break.problem == compliance_pb2.AUDIT_CHAIN_PROBLEM_CONTENT_ALTERED
    assert str(target) in report.first_break.description
    assert (report.events_verified, report.last_event_id) == (target - 1, target - 1)


async def test_a_row_deleted_from_the_middle_is_named_as_missing(users, compliance, callers: Callers, units) -> None:
    await some_events(users, callers)
    target = (await event_ids(units))[3]
    await execute(units, delete(_e).where(_e.c.id == target))
    report = await verify(compliance, callers)
    assert (report.intact, report.first_break.event_id) == (False, target)
    assert report.first_break.problem == compliance_pb2.AUDIT_CHAIN_PROBLEM_EVENT_MISSING


async def test_deleting_the_newest_rows_is_a_missing_tail(users, compliance, callers: Callers, units) -> None:
    await some_events(users, callers)
    ids = await event_ids(units)
    await execute(units, delete(_e).where(_e.c.id >= ids[-2]))
    report = await verify(compliance, callers)
    assert (report.intact, report.first_break.event_id) == (False, ids[-2])
    assert report.first_break.problem == compliance_pb2.AUDIT_CHAIN_PROBLEM_TAIL_MISSING


async def test_a_replaced_previous_hash_is_a_broken_link(users, compliance, callers: Callers, units) -> None:
    await some_events(users, callers)
    target = (await event_ids(units))[2]
    await execute(units, update(_e).where(_e.c.id == target).values(previous_hash="0" * 64))
    report = await verify(compliance, callers)
    assert (report.first_break.event_id, report.first_break.problem) == (
        target, compliance_pb2.AUDIT_CHAIN_PROBLEM_LINK_BROKEN
    )


async def test_a_range_verifies_only_its_own_events(users, compliance, callers: Callers, units) -> None:
    await some_events(users, callers)
    ids = await event_ids(units)
    await execute(units, update(_e).where(_e.c.id == ids[-1]).values(details={"forged": "yes"}))
    report = await verify(compliance, callers, from_event_id=3, to_event_id=6)
    assert report.intact
    assert (report.events_verified, report.first_event_id, report.last_event_id) == (4, 3, 6)
    assert not (await verify(compliance, callers, from_event_id=3)).intact


async def test_a_backwards_or_negative_range_is_invalid(compliance, callers: Callers) -> None:
    for bounds, field in (({"from_event_id": 5, "to_event_id": 2}, "to_event_id"), ({"from_event_id": -1}, "from_event_id")):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await verify(compliance, callers, **bounds)
        details = rich_error(raised.value)
        assert (details.code, details.fields) == (grpc.StatusCode.INVALID_ARGUMENT, [field])
