"""Consent records: granted, withdrawn, superseded — history kept, never overwritten."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from authtuna_api.user.v1 import compliance_service_pb2 as cpb
from authtuna_api.user.v1 import user_service_pb2 as upb

from tests.accounts import account, create_user
from tests.audit_rows import audit_rows
from tests.callers import Callers
from tests.rich_status import rich_error


async def grant(compliance, metadata, user_id: str, purpose: str = "newsletter", version: str = "v1"):
    request = cpb.GrantConsentRequest(user_id=user_id, purpose=purpose, version=version)
    return await compliance.GrantConsent(request, metadata=metadata)


async def withdraw(compliance, metadata, user_id: str, purpose: str = "newsletter"):
    request = cpb.WithdrawConsentRequest(user_id=user_id, purpose=purpose)
    return (await compliance.WithdrawConsent(request, metadata=metadata)).consent


async def history(compliance, metadata, user_id: str, **filters):
    request = cpb.ListConsentsRequest(user_id=user_id, **filters)
    return list((await compliance.ListConsents(request, metadata=metadata)).consents)


async def test_consent_history_survives_withdrawal_and_a_new_grant(compliance, users, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "consenting")
    manager = await account(units, "consent-manager", "UserManager")
    first = (await grant(compliance, manager.metadata, user.id)).consent
    assert (first.purpose, first.version, first.granted_by, first.granted_ip_address) == (
        "newsletter", "v1", manager.id, "127.0.0.1"
    )
    assert not first.HasField("withdrawn_at")
    withdrawn = await withdraw(compliance, callers.admin, user.id)
    assert withdrawn.id == first.id and withdrawn.HasField("withdrawn_at")
    assert withdrawn.granted_at == first.granted_at and withdrawn.granted_by == manager.id
    second = (await grant(compliance, manager.metadata, user.id)).consent
    assert second.id != first.id
    records = await history(compliance, callers.admin, user.id)
    assert [r.id for r in records] == [first.id, second.id]
    assert records[0].HasField("withdrawn_at") and not records[1].HasField("withdrawn_at")
    assert [r.id for r in await history(compliance, callers.admin, user.id, active_only=True)] == [second.id]


async def test_granting_another_version_supersedes_the_one_in_force(compliance, users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "upgrading")
    old = (await grant(compliance, callers.admin, user.id, "terms", "2025-01")).consent
    response = await grant(compliance, callers.admin, user.id, "terms", "2026-01")
    assert response.superseded.id == old.id and response.superseded.superseded_by == response.consent.id
    assert response.superseded.HasField("withdrawn_at")
    active = await history(compliance, callers.admin, user.id, active_only=True, purpose="terms")
    assert [(c.version, c.id) for c in active] == [("2026-01", response.consent.id)]


async def test_granting_the_version_in_force_again_changes_nothing(compliance, users, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "twice")
    await grant(compliance, callers.admin, user.id)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await grant(compliance, callers.admin, user.id)
    details = rich_error(raised.value)
    assert (details.code, details.reason) == (grpc.StatusCode.ALREADY_EXISTS, "CONSENT_ALREADY_GRANTED")
    assert len(await history(compliance, callers.admin, user.id)) == 1
    assert len(await audit_rows(units, "CONSENT_GRANTED")) == 1


async def test_concurrent_grants_leave_one_consent_in_force(compliance, users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "racing")
    outcomes = await asyncio.gather(
        *(grant(compliance, callers.admin, user.id, "race", f"v{i}") for i in range(8)),
        return_exceptions=True,
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    records = await history(compliance, callers.admin, user.id)
    assert len(records) == 8
    assert len([r for r in records if not r.HasField("withdrawn_at")]) == 1


async def test_withdrawing_without_a_consent_in_force_is_failed_precondition(compliance, users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "never-consented")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await withdraw(compliance, callers.admin, user.id)
    details = rich_error(raised.value)
    assert (details.code, details.reason, details.metadata) == (
        grpc.StatusCode.FAILED_PRECONDITION, "CONSENT_NOT_GRANTED", {"purpose": "newsletter"}
    )


async def test_grant_and_withdrawal_are_audited_with_actor_and_address(compliance, users, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "audited-consent")
    consent = (await grant(compliance, callers.admin, user.id, "analytics", "v2")).consent
    await withdraw(compliance, callers.admin, user.id, "analytics")
    granted, withdrawn = await audit_rows(units, "CONSENT_GRANTED", "CONSENT_WITHDRAWN")
    admin = await account_id(units, "admin")
    for event in (granted, withdrawn):
        assert (event.user_id, event.actor_id, event.ip_address) == (user.id, admin, "127.0.0.1")
        assert event.details["consent_id"] == consent.id and event.details["purpose"] == "analytics"
    assert (granted.event_type, withdrawn.event_type) == ("CONSENT_GRANTED", "CONSENT_WITHDRAWN")


async def account_id(units, username: str) -> str:
    async with units() as uow:
        user = await uow.users.by_username(username)
    return str(user.id)


async def test_consents_outlive_the_account_in_the_archive(compliance, users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "leaving")
    await grant(compliance, callers.admin, user.id)
    await users.DeleteUser(upb.DeleteUserRequest(id=user.id, reason="asked to"), metadata=callers.admin)
    assert [c.purpose for c in await history(compliance, callers.admin, user.id)] == ["newsletter"]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await grant(compliance, callers.admin, user.id, "other")
    assert rich_error(raised.value).reason == "USER_NOT_FOUND"


async def test_listing_pages_through_the_history(compliance, users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "many-consents")
    for i in range(5):
        await grant(compliance, callers.admin, user.id, f"purpose-{i}")
    first = await compliance.ListConsents(cpb.ListConsentsRequest(user_id=user.id, limit=3), metadata=callers.admin)
    rest = await compliance.ListConsents(
        cpb.ListConsentsRequest(user_id=user.id, limit=3, page_token=first.next_page_token), metadata=callers.admin
    )
    assert [c.purpose for c in [*first.consents, *rest.consents]] == [f"purpose-{i}" for i in range(5)]
    assert rest.next_page_token == ""


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"user_id": "nope", "purpose": "ok", "version": "v1"}, "user_id"),
        ({"purpose": "Not Lower", "version": "v1"}, "purpose"),
        ({"purpose": "ok", "version": ""}, "version"),
    ],
)
async def test_bad_grant_requests_name_the_field(compliance, users, callers: Callers, request_fields, field) -> None:
    user = await create_user(users, callers.admin, "bad-requests")
    request = cpb.GrantConsentRequest(**{"user_id": user.id, **request_fields})
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await compliance.GrantConsent(request, metadata=callers.admin)
    details = rich_error(raised.value)
    assert (details.code, details.fields) == (grpc.StatusCode.INVALID_ARGUMENT, [field])


async def test_unknown_users_have_no_consents(compliance, callers: Callers) -> None:
    unknown = "0190a0a0-0000-7000-8000-000000000000"
    for call in (
        compliance.ListConsents(cpb.ListConsentsRequest(user_id=unknown), metadata=callers.admin),
        compliance.GrantConsent(cpb.GrantConsentRequest(user_id=unknown, purpose="a", version="1"), metadata=callers.admin),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call
        assert rich_error(raised.value).reason == "USER_NOT_FOUND"
