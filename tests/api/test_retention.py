"""Retention purges: exactly the expired rows go, in batches, audited, and the audit chain
still verifies from the oldest retained event through the anchor."""

from __future__ import annotations

import math
from datetime import timedelta

from authtuna_api.user.v1 import compliance_pb2
from authtuna_api.user.v1 import compliance_service_pb2 as cpb
from authtuna_api.user.v1 import user_service_pb2 as upb
from sqlalchemy import delete, select

from authtuna_grpc.domain.retention import RetentionPolicy
from authtuna_grpc.services.clock import utc_now
from authtuna_grpc.services.retention import Purger
from authtuna_grpc.storage import tables
from tests.accounts import count, create_user, rows, total_audit_events
from tests.audit_rows import audit_rows
from tests.callers import Callers
from tests.retention_data import add_archived_user, add_events

LATER = timedelta(days=100)
RETENTION = timedelta(days=30)


def purger(units, *, audit: bool = True, users: bool = True, batch_size: int = 1000) -> Purger:
    policy = RetentionPolicy(
        audit_events=RETENTION if audit else None,
        deleted_users=RETENTION if users else None,
        batch_size=batch_size,
    )
    now = utc_now()
    return Purger(units, policy, lambda: now + LATER)


async def verify(compliance, callers: Callers) -> cpb.VerifyAuditLogResponse:
    return await compliance.VerifyAuditLog(cpb.VerifyAuditLogRequest(), metadata=callers.admin)


async def test_a_purge_past_retention_removes_exactly_the_expired_events_and_the_chain_verifies(
    compliance, users, callers: Callers, units
) -> None:
    await create_user(users, callers.admin, "old-news")
    await add_events(units, 25, utc_now(), "old")
    expired = await total_audit_events(units)
    await add_events(units, 10, utc_now() + LATER - timedelta(days=1), "recent")

    report = await purger(units, users=False, batch_size=7).purge()

    assert report.audit_events == expired
    remaining = await audit_rows(units)
    purges = [r for r in remaining if r.event_type == "AUDIT_EVENTS_PURGED"]
    assert [r.request_id for r in remaining if r.event_type != "AUDIT_EVENTS_PURGED"] == [
        f"recent-{i}" for i in range(10)
    ]
    assert len(purges) == math.ceil(expired / 7)
    assert sum(int(p.details["events_removed"]) for p in purges) == expired
    assert {(p.actor_id, p.request_id) for p in purges} == {(None, "system")}
    verified = await verify(compliance, callers)
    assert verified.intact, verified.first_break
    assert (verified.anchor_event_id, verified.first_event_id) == (expired, expired + 1)
    assert verified.events_verified == len(remaining)


async def test_removing_the_oldest_retained_event_after_a_purge_is_detected(
    compliance, callers: Callers, units
) -> None:
    await add_events(units, 5, utc_now() + LATER, "kept")
    await purger(units, users=False).purge()
    anchor = (await verify(compliance, callers)).anchor_event_id
    async with units() as uow:
        await uow.users._connection.execute(delete(tables.audit_event).where(tables.audit_event.c.id == anchor + 1))
        await uow.commit()
    report = await verify(compliance, callers)
    assert (report.intact, report.first_break.event_id) == (False, anchor + 1)
    assert report.first_break.problem == compliance_pb2.AUDIT_CHAIN_PROBLEM_EVENT_MISSING


async def test_a_purge_removes_exactly_the_expired_archived_users_with_their_consents(
    compliance, users, callers: Callers, units
) -> None:
    gone = await create_user(users, callers.admin, "deleted-long-ago")
    await compliance.GrantConsent(
        cpb.GrantConsentRequest(user_id=gone.id, purpose="newsletter", version="v1"), metadata=callers.admin
    )
    await users.DeleteUser(upb.DeleteUserRequest(id=gone.id), metadata=callers.admin)
    also_gone = await add_archived_user(units, "archived-long-ago", utc_now())
    kept = await add_archived_user(units, "archived-recently", utc_now() + LATER - timedelta(days=10))

    report = await purger(units, audit=False, batch_size=1).purge()

    assert (report.deleted_users, report.consents, report.audit_events) == (2, 2, 0)
    archive = await rows(units, tables.deleted_user, tables.deleted_user.c.id.is_not(None))
    assert [row["id"] for row in archive] == [kept]
    consents = await rows(units, tables.consent, tables.consent.c.id.is_not(None))
    assert [row["user_id"] for row in consents] == [kept]
    purged = await audit_rows(units, "DELETED_USERS_PURGED")
    assert [(p.details["deleted_users_removed"], p.details["consents_removed"]) for p in purged] == [("1", "1")] * 2
    assert also_gone not in [row["id"] for row in archive]
    assert (await verify(compliance, callers)).intact


async def test_a_dry_run_counts_what_a_purge_removes_and_removes_nothing(
    users, callers: Callers, units
) -> None:
    await add_archived_user(units, "counted", utc_now())
    await add_events(units, 3, utc_now() + LATER, "recent")
    events_before = await total_audit_events(units)
    dry = await purger(units).purge(dry_run=True)
    assert dry.dry_run and (dry.audit_events, dry.deleted_users, dry.consents) == (events_before - 3, 1, 1)
    assert await total_audit_events(units) == events_before
    assert await count(units, tables.deleted_user, tables.deleted_user.c.id.is_not(None)) == 1
    done = await purger(units).purge()
    assert (done.audit_events, done.deleted_users, done.consents) == (dry.audit_events, 1, 1)


async def test_an_expired_event_behind_a_younger_one_waits_for_a_later_purge(units) -> None:
    """The chain is cut at one point: the first event still within retention stops it."""
    await add_events(units, 2, utc_now() + LATER, "young")
    await add_events(units, 2, utc_now(), "old-but-behind")
    report = await purger(units, users=False).purge()
    async with units() as uow:
        kept = (await uow.users._connection.execute(select(tables.audit_event.c.request_id))).scalars().all()
    assert "old-but-behind-0" in kept and report.audit_events > 0


async def test_without_retention_nothing_is_purged(units) -> None:
    before = await total_audit_events(units)
    report = await purger(units, audit=False, users=False).purge()
    assert (report.audit_events, report.deleted_users) == (0, 0)
    assert await total_audit_events(units) == before
