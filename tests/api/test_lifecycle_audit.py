"""Every successful lifecycle mutation writes exactly one audit event, with actor and IP;
a refused one writes none."""

from __future__ import annotations

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb

from authtuna_grpc.storage import tables
from tests.accounts import create_user, get_user, rows, total_audit_events
from tests.callers import Callers


def mutations(user) -> dict[str, tuple[str, object]]:
    return {
        "UpdateUser": (
            "USER_UPDATED",
            pb.UpdateUserRequest(
                id=user.id, user={"attributes": {"k": "v"}}, update_mask={"paths": ["attributes"]},
                etag=user.etag,
            ),
        ),
        "SetPassword": ("PASSWORD_CHANGED", pb.SetPasswordRequest(id=user.id, password="Battery-Staple-7")),
        "SuspendUser": ("USER_SUSPENDED", pb.SuspendUserRequest(id=user.id, reason="audit")),
        "UnsuspendUser": ("USER_UNSUSPENDED", pb.UnsuspendUserRequest(id=user.id, reason="audit")),
        "DeleteUser": ("USER_DELETED", pb.DeleteUserRequest(id=user.id, reason="audit")),
    }


@pytest.mark.parametrize("rpc", ["UpdateUser", "SetPassword", "SuspendUser", "UnsuspendUser", "DeleteUser"])
async def test_mutation_writes_exactly_one_event_with_actor_and_peer_ip(
    users, callers: Callers, units, rpc: str
) -> None:
    admin = await get_user(users, callers.admin, "admin")
    user = await create_user(users, callers.admin, "subject")
    if rpc == "UnsuspendUser":
        await users.SuspendUser(pb.SuspendUserRequest(id=user.id, reason="first"), metadata=callers.admin)
    event_type, request = mutations(user)[rpc]
    before = await total_audit_events(units)
    await getattr(users, rpc)(request, metadata=(*callers.admin, ("x-request-id", f"one-{rpc}")))
    assert await total_audit_events(units) == before + 1
    [event] = await rows(units, tables.audit_event, tables.audit_event.c.request_id == f"one-{rpc}")
    assert event["event_type"] == event_type
    assert str(event["user_id"]) == user.id
    assert str(event["actor_id"]) == admin.id
    assert event["ip_address"] == "127.0.0.1"


@pytest.mark.parametrize("rpc", ["UpdateUser", "SetPassword", "SuspendUser", "UnsuspendUser", "DeleteUser"])
async def test_refused_mutation_writes_no_event(users, callers: Callers, units, rpc: str) -> None:
    user = await create_user(users, callers.admin, "refused")
    event_type, request = mutations(user)[rpc]
    before = await total_audit_events(units)
    with pytest.raises(grpc.aio.AioRpcError):
        await getattr(users, rpc)(request, metadata=callers.member)
    assert await total_audit_events(units) == before
