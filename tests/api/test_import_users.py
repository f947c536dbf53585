"""ImportUsers: row-by-row results, dry runs, duplicates, and imported hashes that sign in
and become argon2id."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import argon2
import bcrypt
import grpc
import pytest
from authtuna_api.user.v1 import compliance_pb2 as c
from authtuna_api.user.v1 import compliance_service_pb2 as cpb
from authtuna_api.user.v1 import user_service_pb2 as upb
from google.protobuf import timestamp_pb2
from sqlalchemy import select

from authtuna_grpc.storage import tables
from tests.accounts import create_user
from tests.audit_rows import audit_rows
from tests.callers import Callers
from tests.rich_status import rich_error
from tests.sign_ins import sign_in

PASSWORD = "Imported-Pass-1"
# One bcrypt hash at the lowest cost, shared by every imported row: hashing each row
# separately would take far longer than importing it.
BCRYPT_HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
MANY = 100_000  # about 30-45 s per database on a busy 2-core machine
PER_REQUEST = 1000


def person(name: str, **fields: object) -> c.ImportedUser:
    values: dict[str, object] = {"email": f"{name}@example.com", "username": name, **fields}
    return c.ImportedUser(**values)


async def import_users(compliance, metadata, *batches: list[c.ImportedUser], validate_only: bool = False):
    requests = [cpb.ImportUsersRequest(users=batch, validate_only=validate_only) for batch in batches]
    results = []
    responses = 0
    async for response in compliance.ImportUsers(iter(requests), metadata=metadata):
        assert len(response.results) == len(requests[responses].users)  # one response per request
        responses += 1
        results.extend(response.results)
    return results


async def stored_hash(units, username: str) -> str:
    async with units() as uow:
        query = select(tables.user.c.password_hash).where(tables.user.c.username_key == username)
        return str((await uow.users._connection.execute(query)).scalar_one())


async def test_each_row_gets_its_own_result_in_order(compliance, users, callers: Callers, units) -> None:
    await create_user(users, callers.admin, "taken")
    rows = [
        person("plain"),
        person("hashed", password_hash=BCRYPT_HASH, email_verified=True, attributes={"source": "legacy"}),
        person("bad", email="not-an-email"),
        person("badhash", password_hash="md5:5f4dcc3b5aa765d61d8327deb882cf99"),
        person("other", email="TAKEN@example.com"),
        person("twin"),
        c.ImportedUser(email="twin2@example.com", username="TWIN"),
    ]
    results = await import_users(compliance, callers.admin, rows)
    assert [r.row for r in results] == list(range(7))
    outcomes = [r.outcome for r in results]
    assert outcomes == [c.IMPORT_OUTCOME_IMPORTED] * 2 + [c.IMPORT_OUTCOME_REJECTED] * 3 + [
        c.IMPORT_OUTCOME_IMPORTED, c.IMPORT_OUTCOME_REJECTED,
    ]
    errors = {r.row: r.error for r in results if r.HasField("error")}
    assert (errors[2].reason, [v.field for v in errors[2].field_violations]) == ("INVALID_ARGUMENT", ["email"])
    assert [v.field for v in errors[3].field_violations] == ["password_hash"]
    assert (errors[4].reason, dict(errors[4].metadata)) == ("EMAIL_ALREADY_REGISTERED", {"field": "email"})
    assert (errors[6].reason, dict(errors[6].metadata)) == ("USERNAME_ALREADY_TAKEN", {"field": "username", "row": "5"})
    hashed = (await users.GetUser(upb.GetUserRequest(id=results[1].user_id), metadata=callers.admin)).user
    assert (hashed.username, hashed.has_password, hashed.email_verified, hashed.attributes["source"]) == (
        "hashed", True, True, "legacy"
    )
    events = await audit_rows(units, "USER_IMPORTED")
    assert [(e.user_id, e.details["password_hash_scheme"]) for e in events] == [
        (results[0].user_id, "none"), (results[1].user_id, "bcrypt"), (results[5].user_id, "none"),
    ]
    assert all(BCRYPT_HASH not in str(e.details) for e in events)


async def test_row_numbers_continue_across_requests(compliance, callers: Callers) -> None:
    results = await import_users(
        compliance, callers.admin, [person("first-a"), person("first-b")], [person("second-a"), person("first-a")]
    )
    assert [(r.row, r.outcome) for r in results] == [
        (0, c.IMPORT_OUTCOME_IMPORTED), (1, c.IMPORT_OUTCOME_IMPORTED),
        (2, c.IMPORT_OUTCOME_IMPORTED), (3, c.IMPORT_OUTCOME_REJECTED),
    ]
    assert results[3].error.reason == "EMAIL_ALREADY_REGISTERED"


async def test_validate_only_writes_nothing_and_still_finds_duplicates_across_requests(
    compliance, users, callers: Callers, units
) -> None:
    results = await import_users(
        compliance, callers.admin, [person("dry-a"), person("dry-b")], [person("dry-c"), person("dry-a")],
        validate_only=True,
    )
    assert [r.outcome for r in results] == [c.IMPORT_OUTCOME_VALID] * 3 + [c.IMPORT_OUTCOME_REJECTED]
    assert (results[3].error.reason, results[3].error.metadata["row"]) == ("EMAIL_ALREADY_REGISTERED", "0")
    assert all(not r.user_id for r in results)
    assert await audit_rows(units, "USER_IMPORTED") == []
    with pytest.raises(grpc.aio.AioRpcError):
        await users.GetUser(upb.GetUserRequest(username="dry-a"), metadata=callers.admin)


async def test_validate_only_cannot_change_within_an_import(compliance, callers: Callers, units) -> None:
    requests = [
        cpb.ImportUsersRequest(users=[person("switch-a")], validate_only=True),
        cpb.ImportUsersRequest(users=[person("switch-b")], validate_only=False),
    ]
    call = compliance.ImportUsers(iter(requests), metadata=callers.admin)
    first = await call.read()
    assert first.results[0].outcome == c.IMPORT_OUTCOME_VALID
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call.read()
    details = rich_error(raised.value)
    assert (details.code, details.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["validate_only"])
    assert await audit_rows(units, "USER_IMPORTED") == []


@pytest.mark.parametrize("size", [0, 1001])
async def test_a_request_holds_one_to_a_thousand_users(compliance, callers: Callers, size: int) -> None:
    batch = [person(f"bulk-{i}") for i in range(size)]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await import_users(compliance, callers.admin, batch)
    details = rich_error(raised.value)
    assert (details.code, details.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["users"])


async def test_an_imported_user_keeps_its_creation_time(compliance, users, callers: Callers) -> None:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(datetime(2019, 5, 17, 8, 30, tzinfo=UTC))
    [result] = await import_users(compliance, callers.admin, [person("veteran", created_at=created)])
    user = (await users.GetUser(upb.GetUserRequest(id=result.user_id), metadata=callers.admin)).user
    assert user.created_at == created and user.updated_at != created
    future = timestamp_pb2.Timestamp(seconds=int(time.time()) + 86_400)
    [rejected] = await import_users(compliance, callers.admin, [person("time-traveller", created_at=future)])
    assert [v.field for v in rejected.error.field_violations] == ["created_at"]


async def test_imported_bcrypt_users_sign_in_and_are_rehashed_to_argon2id(
    compliance, sessions, callers: Callers, units
) -> None:
    names = [f"legacy-{i}" for i in range(MANY)]
    batches = [
        [person(name, password_hash=BCRYPT_HASH) for name in names[start : start + PER_REQUEST]]
        for start in range(0, MANY, PER_REQUEST)
    ]
    results = await import_users(compliance, callers.admin, *batches)
    assert len(results) == MANY and {r.outcome for r in results} == {c.IMPORT_OUTCOME_IMPORTED}
    chosen = names[MANY // 2]
    assert await stored_hash(units, chosen) == BCRYPT_HASH
    signed_in = await sign_in(sessions, callers.admin, chosen, PASSWORD)
    assert signed_in.user.username == chosen
    rehashed = await stored_hash(units, chosen)
    assert rehashed.startswith("$argon2id$")
    assert argon2.PasswordHasher().verify(rehashed, PASSWORD)
    [login] = await audit_rows(units, "LOGIN_SUCCESS")
    assert login.details["rehashed"] == "true"
    # The new hash works, and needs no further rehash; the others keep theirs.
    await sign_in(sessions, callers.admin, chosen, PASSWORD)
    assert await stored_hash(units, chosen) == rehashed
    assert await stored_hash(units, names[0]) == BCRYPT_HASH
    report = await compliance.VerifyAuditLog(cpb.VerifyAuditLogRequest(), metadata=callers.admin)
    assert report.intact


async def test_an_imported_argon2i_user_is_rehashed_to_argon2id(compliance, sessions, callers: Callers, units) -> None:
    old = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=argon2.Type.I).hash(PASSWORD)
    await import_users(compliance, callers.admin, [person("argon-i", password_hash=old)])
    with pytest.raises(grpc.aio.AioRpcError):
        await sign_in(sessions, callers.admin, "argon-i", "Wrong-Pass-1")
    assert await stored_hash(units, "argon-i") == old
    await sign_in(sessions, callers.admin, "argon-i", PASSWORD)
    assert (await stored_hash(units, "argon-i")).startswith("$argon2id$")
