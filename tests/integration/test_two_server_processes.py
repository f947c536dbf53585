"""Races between two `authtuna-grpc serve` processes on one PostgreSQL database.

Calls are spread over both processes, so no in-process lock can settle a race: only
the database can. On a run without PostgreSQL the same tests run on one SQLite file.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import session_service_pb2_grpc, user_pb2, user_service_pb2_grpc
from authtuna_api.user.v1 import user_service_pb2 as upb
from google.protobuf import field_mask_pb2
from sqlalchemy import func, select

from authtuna_grpc.storage import tables
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.backends import selected_backends
from tests.callers import ADMIN_TOKEN, bearer
from tests.invariants import lifecycle_violations
from tests.rich_status import rich_error
from tests.server_processes import ServerProcess, start_server_process, until_serving

ADMIN = bearer(ADMIN_TOKEN)
PASSWORD = "Race-Horse-9"
BACKENDS = ["postgresql"] if "postgresql" in selected_backends() else selected_backends()


@dataclass
class Stubs:
    users: user_service_pb2_grpc.UserServiceStub
    sessions: session_service_pb2_grpc.SessionServiceStub


@dataclass
class TwoServers:
    processes: tuple[ServerProcess, ServerProcess]
    stubs: tuple[Stubs, Stubs]
    units: UnitOfWorkFactory

    def any(self, n: int) -> Stubs:
        return self.stubs[n % 2]


@pytest.fixture(scope="module", params=BACKENDS)
async def shared_database(request: pytest.FixtureRequest, databases) -> str:
    return await databases[request.param].fresh()


@pytest.fixture(scope="module")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("two-servers")
    yield folder / "first.log", folder / "second.log"


@pytest.fixture(scope="module")
async def two_servers(shared_database: str, server_logs: tuple[Path, Path]) -> AsyncIterator[TwoServers]:
    """Two processes on one database, shared by the tests here (each uses names of its
    own); only the first bootstraps the admin. Afterwards: no lifecycle invariant is
    broken, no unhandled error was logged, both processes stop cleanly."""
    first = start_server_process(shared_database, server_logs[0], bootstrap_token=ADMIN_TOKEN)
    processes = [first]
    engine = create_engine(shared_database)
    try:
        await until_serving(first)
        second = start_server_process(shared_database, server_logs[1])
        processes.append(second)
        await until_serving(second)
        async with (
            grpc.aio.insecure_channel(first.address) as one,
            grpc.aio.insecure_channel(second.address) as two,
        ):
            stubs = tuple(
                Stubs(user_service_pb2_grpc.UserServiceStub(c), session_service_pb2_grpc.SessionServiceStub(c))
                for c in (one, two)
            )
            yield TwoServers((first, second), stubs, UnitOfWorkFactory(engine))  # type: ignore[arg-type]
        assert await lifecycle_violations(UnitOfWorkFactory(engine)) == {}
    finally:
        await engine.dispose()
        codes = [p.stop() for p in processes]
    for process in processes:
        assert process.unhandled_errors() == [], process.log()
    assert codes == [0] * len(processes)


async def _outcome(call: Any) -> tuple[str, str, Any]:
    """(code name, ErrorInfo reason, response or None)."""
    try:
        return "OK", "", await call
    except grpc.aio.AioRpcError as error:
        return error.code().name, rich_error(error).reason, None


async def test_fifty_registrations_of_one_email_on_two_servers_make_exactly_one_user(
    two_servers: TwoServers,
) -> None:
    email = "Contested@Example.com"
    calls = [
        two_servers.any(n).users.CreateUser(
            upb.CreateUserRequest(email=email if n % 3 else email.upper(), username=f"contender-{n}"),
            metadata=ADMIN,
        )
        for n in range(50)
    ]
    outcomes = await asyncio.gather(*(_outcome(c) for c in calls))
    assert Counter((code, reason) for code, reason, _ in outcomes) == {
        ("OK", ""): 1,
        ("ALREADY_EXISTS", "EMAIL_ALREADY_REGISTERED"): 49,
    }
    async with two_servers.units() as uow:
        connection = uow.users._connection
        rows = (await connection.execute(select(tables.user.c.id).where(tables.user.c.email_key == email.lower()))).all()
    assert len(rows) == 1
    winner = next(response.user for code, _, response in outcomes if code == "OK")
    async with two_servers.units() as uow:
        created = await uow.users._connection.execute(
            select(func.count()).select_from(tables.audit_event).where(
                tables.audit_event.c.event_type == "USER_CREATED",
                tables.audit_event.c.user_id == uuid.UUID(winner.id),
            )
        )
    assert created.scalar_one() == 1


async def _create(stubs: Stubs, name: str, password: str | None = None) -> user_pb2.User:
    request = upb.CreateUserRequest(email=f"{name}@example.com", username=name)
    if password is not None:
        request.password = password
    return (await stubs.users.CreateUser(request, metadata=ADMIN)).user


def _set_attributes(user_id: str, etag: str, attributes: dict[str, str]) -> upb.UpdateUserRequest:
    return upb.UpdateUserRequest(
        id=user_id,
        etag=etag,
        user=user_pb2.User(attributes=attributes),
        update_mask=field_mask_pb2.FieldMask(paths=["attributes"]),
    )


async def test_updates_with_one_etag_on_two_servers_have_exactly_one_winner(two_servers: TwoServers) -> None:
    user = await _create(two_servers.any(0), "contested-profile")
    calls = [
        two_servers.any(n).users.UpdateUser(_set_attributes(user.id, user.etag, {"writer": str(n)}), metadata=ADMIN)
        for n in range(20)
    ]
    outcomes = await asyncio.gather(*(_outcome(c) for c in calls))
    codes = Counter((code, reason) for code, reason, _ in outcomes)
    assert codes == {("OK", ""): 1, ("ABORTED", "STALE_ETAG"): 19}
    winner = next(response.user for code, _, response in outcomes if code == "OK")
    stored = (await two_servers.any(1).users.GetUser(upb.GetUserRequest(id=user.id), metadata=ADMIN)).user
    assert dict(stored.attributes) == dict(winner.attributes) and stored.etag == "v2"


async def _add_attribute(stubs: Stubs, user_id: str, key: str) -> int:
    """Read, add one attribute, write with the etag read; again on ABORTED. The tries."""
    for tries in range(1, 200):
        user = (await stubs.users.GetUser(upb.GetUserRequest(id=user_id), metadata=ADMIN)).user
        attributes = {**user.attributes, key: "1"}
        code, _, _ = await _outcome(stubs.users.UpdateUser(_set_attributes(user_id, user.etag, attributes), metadata=ADMIN))
        if code == "OK":
            return tries
        assert code == "ABORTED", code
        await asyncio.sleep(random.random() * 0.01)
    raise AssertionError("never won")


async def test_read_modify_write_with_etags_on_two_servers_loses_no_update(two_servers: TwoServers) -> None:
    user = await _create(two_servers.any(0), "many-writers")
    writers = 10
    tries = await asyncio.gather(
        *(_add_attribute(two_servers.any(n), user.id, f"writer-{n}") for n in range(writers))
    )
    stored = (await two_servers.any(0).users.GetUser(upb.GetUserRequest(id=user.id), metadata=ADMIN)).user
    assert set(stored.attributes) == {f"writer-{n}" for n in range(writers)}
    assert stored.etag == f"v{1 + writers}"
    assert sum(tries) > writers  # there were conflicts, and each was retried, not lost
    async with two_servers.units() as uow:
        updated = await uow.users._connection.execute(
            select(func.count()).select_from(tables.audit_event).where(
                tables.audit_event.c.event_type == "USER_UPDATED",
                tables.audit_event.c.user_id == uuid.UUID(user.id),
            )
        )
    assert updated.scalar_one() == writers


async def _race_round(two_servers: TwoServers, n: int) -> tuple[list[str], Counter[str]]:
    """Sign-ins on both servers while the user is suspended; the tokens handed out."""
    name = f"racer-{n}"
    user = await _create(two_servers.any(n), name, PASSWORD)
    sign_ins = [
        two_servers.any(i).sessions.SignIn(spb.SignInRequest(identity=name, password=PASSWORD), metadata=ADMIN)
        for i in range(6)
    ]

    async def suspend() -> tuple[str, str, Any]:
        await asyncio.sleep(random.random() * 0.03)
        request = upb.SuspendUserRequest(id=user.id, reason="race")
        return await _outcome(two_servers.any(n + 1).users.SuspendUser(request, metadata=ADMIN))

    *signed, suspended = await asyncio.gather(*(_outcome(c) for c in sign_ins), suspend())
    assert suspended[0] == "OK", suspended
    tokens = [response.session.token for code, _, response in signed if code == "OK"]
    return tokens, Counter(f"{code} {reason}".strip() for code, reason, _ in signed)


async def test_suspension_racing_sign_ins_on_two_servers_leaves_no_live_session(two_servers: TwoServers) -> None:
    outcomes: Counter[str] = Counter()
    tokens: list[str] = []
    for n in range(10):
        handed_out, seen = await _race_round(two_servers, n)
        tokens += handed_out
        outcomes += seen
    assert set(outcomes) <= {"OK", "FAILED_PRECONDITION USER_SUSPENDED"}, outcomes
    assert outcomes["OK"] and outcomes["FAILED_PRECONDITION USER_SUSPENDED"], outcomes
    for n, token in enumerate(tokens):
        code, reason, _ = await _outcome(
            two_servers.any(n).sessions.ValidateSession(spb.ValidateSessionRequest(session_token=token), metadata=ADMIN)
        )
        assert (code, reason) == ("UNAUTHENTICATED", "INVALID_SESSION")
    async with two_servers.units() as uow:
        live = await uow.users._connection.execute(
            select(func.count())
            .select_from(tables.session.join(tables.user, tables.user.c.id == tables.session.c.user_id))
            .where(tables.user.c.is_active.is_(False), tables.session.c.revoked_at.is_(None))
        )
    assert live.scalar_one() == 0
