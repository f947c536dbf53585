"""ExportUserData: everything held about a user, as a stream, in bounded memory, with no
secret in it, and on record."""

from __future__ import annotations

import tracemalloc
import uuid

import grpc
import pytest
from authtuna_api.user.v1 import api_token_service_pb2 as tpb
from authtuna_api.user.v1 import api_token_service_pb2_grpc
from authtuna_api.user.v1 import compliance_pb2
from authtuna_api.user.v1 import compliance_service_pb2 as cpb
from authtuna_api.user.v1 import role_service_pb2 as rpb
from authtuna_api.user.v1 import role_service_pb2_grpc
from sqlalchemy import select

from authtuna_grpc.domain.audit import AuditEvent, EventType
from authtuna_grpc.services.api_tokens import token_digest
from authtuna_grpc.services.clock import utc_now
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.accounts import STRONG, create_user
from tests.audit_rows import audit_rows
from tests.callers import Callers, bearer
from tests.rich_status import rich_error
from tests.sign_ins import sign_in

MANY_EVENTS = 10_000
DETAIL_BYTES = 2_000  # 10k such events are ~20 MB as text, far more as objects
MEMORY_BOUND = 12 * 1024 * 1024


async def export(compliance, callers: Callers, user_id: str) -> list[cpb.ExportUserDataResponse]:
    request = cpb.ExportUserDataRequest(user_id=user_id)
    return [message async for message in compliance.ExportUserData(request, metadata=callers.admin)]


async def secrets_of(units: UnitOfWorkFactory, user_id: str) -> list[str]:
    """The password hash and the token digests the database holds for the user."""
    uid = uuid.UUID(user_id)
    async with units() as uow:
        connection = uow.users._connection
        found = [
            (await connection.execute(select(tables.user.c.password_hash).where(tables.user.c.id == uid))).scalar_one(),
            *(await connection.execute(select(tables.session.c.token_hash).where(tables.session.c.user_id == uid))).scalars(),
            *(await connection.execute(select(tables.api_token.c.token_hash).where(tables.api_token.c.user_id == uid))).scalars(),
        ]
    return [value for value in found if value]


async def test_export_holds_every_section_and_no_secret(
    compliance, users, sessions, channel, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "exported", password=STRONG, attributes={"team": "blue"})
    roles = role_service_pb2_grpc.RoleServiceStub(channel)
    await roles.AssignRole(rpb.AssignRoleRequest(user_id=user.id, role="UserManager"), metadata=callers.admin)
    session_token = (await sign_in(sessions, callers.admin, "exported", STRONG)).session.token
    tokens = api_token_service_pb2_grpc.ApiTokenServiceStub(channel)
    created = await tokens.CreateApiToken(tpb.CreateApiTokenRequest(user_id=user.id, name="ci"), metadata=callers.admin)
    await compliance.GrantConsent(
        cpb.GrantConsentRequest(user_id=user.id, purpose="newsletter", version="v1"), metadata=callers.admin
    )
    # Something the user did to someone else: an actor event.
    other = await create_user(users, bearer(created.secret), "created-by-exported")

    messages = await export(compliance, callers, user.id)

    kinds = [m.WhichOneof("section") for m in messages]
    assert kinds == ["profile", "role_assignments", "sessions", "api_tokens", "consents", "audit_events", "audit_events", "summary"]
    profile, summary = messages[0].profile, messages[-1].summary
    assert (profile.id, profile.attributes["team"], profile.has_password) == (user.id, "blue", True)
    assert [a.role for a in messages[1].role_assignments.role_assignments] == ["UserManager"]
    assert messages[3].api_tokens.api_tokens[0].name == "ci"
    about, by = messages[5].audit_events, messages[6].audit_events
    assert about.relation == compliance_pb2.AUDIT_EVENT_RELATION_SUBJECT
    assert {"USER_CREATED", "ROLE_ASSIGNED", "LOGIN_SUCCESS", "CONSENT_GRANTED", "USER_DATA_EXPORTED"} <= {
        e.event_type for e in about.events
    }
    assert by.relation == compliance_pb2.AUDIT_EVENT_RELATION_ACTOR
    assert [(e.event_type, e.user_id) for e in by.events] == [("USER_CREATED", other.id)]
    assert (summary.user_id, summary.role_assignments, summary.sessions, summary.api_tokens, summary.consents) == (
        user.id, 1, 1, 1, 1
    )
    assert (summary.subject_audit_events, summary.actor_audit_events) == (len(about.events), 1)

    exported = b"".join(m.SerializeToString() for m in messages)
    secrets = [session_token, created.secret, token_digest(created.secret), *await secrets_of(units, user.id)]
    assert len(secrets) == 6  # and from the database: the password hash and both digests
    for secret in secrets:
        assert secret.encode() not in exported


async def test_export_is_recorded_before_the_first_message(compliance, users, callers: Callers, units) -> None:
    user = await create_user(users, callers.admin, "recorded")
    stream = compliance.ExportUserData(cpb.ExportUserDataRequest(user_id=user.id), metadata=callers.admin)
    first = await stream.read()
    assert first.profile.id == user.id
    [event] = await audit_rows(units, "USER_DATA_EXPORTED")
    assert (event.user_id, event.ip_address) == (user.id, "127.0.0.1")
    stream.cancel()


async def test_exporting_an_unknown_user_is_not_found_before_any_message(compliance, callers: Callers, units) -> None:
    stream = compliance.ExportUserData(
        cpb.ExportUserDataRequest(user_id=str(uuid.uuid4())), metadata=callers.admin
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stream.read()
    assert rich_error(raised.value).reason == "USER_NOT_FOUND"
    assert await audit_rows(units, "USER_DATA_EXPORTED") == []


async def _add_events(units: UnitOfWorkFactory, user_id: str, count: int) -> None:
    padding = "x" * DETAIL_BYTES
    now = utc_now()
    async with units() as uow:
        for i in range(count):
            details = {"n": str(i), "padding": padding}
            await uow.audit_events.append(
                AuditEvent(EventType.USER_UPDATED, uuid.UUID(user_id), None, None, "bulk", now, details)
            )
        await uow.commit()


async def test_a_user_with_ten_thousand_events_exports_in_bounded_memory(
    compliance, users, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "busy")
    await _add_events(units, user.id, MANY_EVENTS)
    events = batches = 0
    tracemalloc.start()
    try:
        request = cpb.ExportUserDataRequest(user_id=user.id)
        async for message in compliance.ExportUserData(request, metadata=callers.admin):
            if message.WhichOneof("section") == "audit_events":
                events += len(message.audit_events.events)
                batches += 1
            elif message.WhichOneof("section") == "summary":
                summary = message.summary
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert events == summary.subject_audit_events == MANY_EVENTS + 2  # + USER_CREATED, USER_DATA_EXPORTED
    assert batches > MANY_EVENTS * DETAIL_BYTES // (1024 * 1024)  # no message over ~1 MB
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.1f} MiB"
    report = await compliance.VerifyAuditLog(cpb.VerifyAuditLogRequest(), metadata=callers.admin)
    assert report.intact
