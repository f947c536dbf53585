from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from authtuna_api.user.v1 import user_pb2
from authtuna_api.user.v1 import user_service_pb2 as pb
from google.protobuf import field_mask_pb2, timestamp_pb2

from authtuna_grpc.storage import tables
from tests.accounts import account, audit_events, create_user, get_user, rows
from tests.callers import Callers
from tests.rich_status import rich_error


def update_request(user: user_pb2.User, paths: list[str], **values: object) -> pb.UpdateUserRequest:
    return pb.UpdateUserRequest(
        id=user.id,
        user=user_pb2.User(**values),
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        etag=user.etag,
    )


async def failed(call: object) -> object:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return rich_error(caught.value)


async def test_update_changes_only_the_masked_fields_and_returns_a_new_etag(
    users, callers: Callers
) -> None:
    user = await create_user(users, callers.admin, "upd", attributes={"team": "core"})
    request = update_request(
        user,
        ["username", "attributes"],
        username="upd-renamed",
        email="ignored@example.com",
        attributes={"team": "infra", "level": "2"},
    )
    updated = (await users.UpdateUser(request, metadata=callers.admin)).user
    assert updated.username == "upd-renamed"
    assert updated.email == "upd@example.com"
    assert dict(updated.attributes) == {"team": "infra", "level": "2"}
    assert updated.etag != user.etag
    assert updated.updated_at.ToDatetime() >= user.updated_at.ToDatetime()
    assert (await get_user(users, callers.admin, "upd-renamed")).etag == updated.etag


async def test_update_records_old_and_new_values_in_one_audit_event(
    users, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "aud-upd", email_verified=True)
    request = update_request(
        user, ["email", "last_login_at"], email="new-aud@example.com",
        last_login_at=timestamp_pb2.Timestamp(seconds=1_700_000_000),
    )
    await users.UpdateUser(request, metadata=(*callers.admin, ("x-request-id", "upd-1")))
    [event] = await audit_events(units, user.id, "USER_UPDATED")
    assert event["request_id"] == "upd-1"
    assert event["ip_address"] == "127.0.0.1"
    assert event["details"] == {
        "changed_fields": "email,email_verified,last_login_at",
        "email.old": "aud-upd@example.com",
        "email.new": "new-aud@example.com",
        "email_verified.old": "true",
        "email_verified.new": "false",
        "last_login_at.old": "",
        "last_login_at.new": "2023-11-14T22:13:20+00:00",
    }


async def test_update_that_changes_nothing_writes_no_event_and_keeps_the_etag(
    users, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "same", attributes={"a": "1"})
    request = update_request(user, ["username", "attributes"], username="same", attributes={"a": "1"})
    unchanged = (await users.UpdateUser(request, metadata=callers.admin)).user
    assert unchanged.etag == user.etag
    assert await audit_events(units, user.id, "USER_UPDATED") == []


async def test_stale_etag_is_aborted_and_leaves_the_row_unchanged(
    users, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "stale")
    await users.UpdateUser(update_request(user, ["username"], username="stale-1"), metadata=callers.admin)
    before = await rows(units, tables.user, tables.user.c.id == uuid.UUID(user.id))
    error = await failed(
        users.UpdateUser(update_request(user, ["username"], username="stale-2"), metadata=callers.admin)
    )
    assert error.code == grpc.StatusCode.ABORTED
    assert error.reason == "STALE_ETAG"
    assert await rows(units, tables.user, tables.user.c.id == uuid.UUID(user.id)) == before
    assert len(await audit_events(units, user.id, "USER_UPDATED")) == 1


async def test_concurrent_updates_from_the_same_read_cannot_both_win(
    users, callers: Callers, units
) -> None:
    user = await create_user(users, callers.admin, "racer")
    calls = [
        users.UpdateUser(
            update_request(user, ["attributes"], attributes={"writer": str(i)}), metadata=callers.admin
        )
        for i in range(6)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(winners) == 1 and len(losers) == 5
    assert all(loser.code() == grpc.StatusCode.ABORTED for loser in losers)
    stored = await get_user(users, callers.admin, "racer")
    assert dict(stored.attributes) == dict(winners[0].user.attributes)
    assert len(await audit_events(units, user.id, "USER_UPDATED")) == 1


@pytest.mark.parametrize(
    "path",
    [
        "id", "password", "password_hash", "has_password", "created_at", "updated_at",
        "is_active", "is_service_account", "suspended_at", "suspension_reason", "etag",
    ],
)
async def test_protected_path_is_invalid_argument_naming_it(users, callers: Callers, path: str) -> None:
    user = await create_user(users, callers.admin, "guarded")
    error = await failed(
        users.UpdateUser(update_request(user, ["username", path], username="guarded-2"), metadata=callers.admin)
    )
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == ["update_mask.paths[1]"]
    assert repr(path) in error.message
    assert (await get_user(users, callers.admin, "guarded")).etag == user.etag


@pytest.mark.parametrize("path", ["nickname", "attributes.team", "user.username", ""])
async def test_unknown_path_is_invalid_argument(users, callers: Callers, path: str) -> None:
    user = await create_user(users, callers.admin, "unknowns")
    error = await failed(users.UpdateUser(update_request(user, [path]), metadata=callers.admin))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.fields == ["update_mask.paths[0]"]


async def test_empty_mask_is_invalid_argument(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "nomask")
    error = await failed(users.UpdateUser(update_request(user, [], username="x"), metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["update_mask"])


@pytest.mark.parametrize(("etag", "reason"), [("", "INVALID_ARGUMENT"), ("W/1", "INVALID_ARGUMENT")])
async def test_missing_or_malformed_etag_is_invalid_argument(
    users, callers: Callers, etag: str, reason: str
) -> None:
    user = await create_user(users, callers.admin, "etagless")
    request = update_request(user, ["username"], username="etagless-2")
    request.etag = etag
    error = await failed(users.UpdateUser(request, metadata=callers.admin))
    assert (error.code, error.reason, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, reason, ["etag"])


@pytest.mark.parametrize(
    ("paths", "values", "field"),
    [
        (["username"], {"username": "a b"}, "user.username"),
        (["username"], {"username": ""}, "user.username"),
        (["email"], {"email": "not-an-email"}, "user.email"),
        (["attributes"], {"attributes": {"bad key": "v"}}, "user.attributes['bad key']"),
        (["last_login_at"], {"last_login_at": timestamp_pb2.Timestamp(seconds=2**40)}, "user.last_login_at"),
    ],
)
async def test_bad_value_is_invalid_argument_naming_the_user_field(
    users, callers: Callers, paths: list[str], values: dict, field: str
) -> None:
    user = await create_user(users, callers.admin, "badvalue")
    error = await failed(users.UpdateUser(update_request(user, paths, **values), metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, [field])


async def test_last_login_in_the_future_is_invalid_argument(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "future")
    later = timestamp_pb2.Timestamp()
    later.FromDatetime(datetime.now(UTC) + timedelta(days=1))
    error = await failed(
        users.UpdateUser(update_request(user, ["last_login_at"], last_login_at=later), metadata=callers.admin)
    )
    assert error.fields == ["user.last_login_at"]


async def test_unset_last_login_in_the_mask_clears_it(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "clears")
    stamp = timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=123_456_000)
    user = (
        await users.UpdateUser(update_request(user, ["last_login_at"], last_login_at=stamp), metadata=callers.admin)
    ).user
    assert user.last_login_at == stamp
    cleared = (await users.UpdateUser(update_request(user, ["last_login_at"]), metadata=callers.admin)).user
    assert not cleared.HasField("last_login_at")


async def test_values_outside_the_mask_are_ignored_even_when_invalid(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "lenient")
    request = update_request(
        user, ["email_verified"], email_verified=True, username="not valid!",
        last_login_at=timestamp_pb2.Timestamp(seconds=2**40),
    )
    updated = (await users.UpdateUser(request, metadata=callers.admin)).user
    assert updated.email_verified and updated.username == "lenient"


@pytest.mark.parametrize(
    ("paths", "values", "reason"),
    [
        (["email"], {"email": "TAKEN@example.com"}, "EMAIL_ALREADY_REGISTERED"),
        (["username"], {"username": "TAKEN"}, "USERNAME_ALREADY_TAKEN"),
    ],
)
async def test_identity_of_another_user_is_already_exists_case_insensitively(
    users, callers: Callers, paths: list[str], values: dict, reason: str
) -> None:
    await create_user(users, callers.admin, "taken")
    user = await create_user(users, callers.admin, "wants")
    error = await failed(users.UpdateUser(update_request(user, paths, **values), metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, reason)


async def test_user_may_change_the_case_of_its_own_username(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "casey")
    updated = (
        await users.UpdateUser(update_request(user, ["username"], username="Casey"), metadata=callers.admin)
    ).user
    assert updated.username == "Casey"


async def test_new_email_is_unverified_unless_the_mask_says_otherwise(users, callers: Callers) -> None:
    user = await create_user(users, callers.admin, "verif", email_verified=True)
    moved = (
        await users.UpdateUser(update_request(user, ["email"], email="Verif@Example.com"), metadata=callers.admin)
    ).user
    assert moved.email_verified  # same address, other case: still verified
    moved = (
        await users.UpdateUser(update_request(moved, ["email"], email="v2@example.com"), metadata=callers.admin)
    ).user
    assert not moved.email_verified
    both = (
        await users.UpdateUser(
            update_request(moved, ["email", "email_verified"], email="v3@example.com", email_verified=True),
            metadata=callers.admin,
        )
    ).user
    assert both.email_verified


async def test_update_of_unknown_user_is_not_found(users, callers: Callers) -> None:
    request = update_request(user_pb2.User(id=str(uuid.uuid4()), etag="v1"), ["username"], username="ghost")
    error = await failed(users.UpdateUser(request, metadata=callers.admin))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "USER_NOT_FOUND")


async def test_malformed_id_is_invalid_argument(users, callers: Callers) -> None:
    request = update_request(user_pb2.User(id="nope", etag="v1"), ["username"], username="ghost")
    error = await failed(users.UpdateUser(request, metadata=callers.admin))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["id"])


async def test_update_needs_users_update_permission(users, callers: Callers, units) -> None:
    auditor = await account(units, "auditor-upd", "Auditor")
    user = await create_user(users, callers.admin, "protected")
    error = await failed(
        users.UpdateUser(update_request(user, ["username"], username="protected-2"), metadata=auditor.metadata)
    )
    assert (error.code, error.metadata) == (grpc.StatusCode.PERMISSION_DENIED, {"permission": "users.update"})
