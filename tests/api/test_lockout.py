from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import session_service_pb2_grpc
from sqlalchemy import select

from authtuna_grpc.storage import tables

from tests.callers import Callers
from tests.rich_status import rich_error
from tests.sign_ins import (
    STRONG,
    MovableClock,
    audit_rows,
    create_user,
    retry_delay_seconds,
    serving,
    sign_in,
)

WRONG = "Wrong-Horse-9"
ROOT = Path(__file__).resolve().parents[2]


async def _refused(sessions, metadata, identity: str, password: str = WRONG) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sign_in(sessions, metadata, identity, password)
    return caught.value


async def test_account_locks_after_n_failures_even_for_the_right_password(
    settings, callers: Callers
) -> None:
    clock = MovableClock()
    async with serving(settings, clock, sign_in_max_failures=3, sign_in_lock_seconds=300) as served:
        user = await create_user(served.users, callers.admin, "target")
        for identity in ("target", "TARGET@example.com", "target"):  # one account, any identity
            assert rich_error(await _refused(served.sessions, callers.admin, identity)).reason == (
                "INVALID_SIGN_IN"
            )
        locked = await _refused(served.sessions, callers.admin, "target", STRONG)
        assert locked.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert rich_error(locked).reason == "SIGN_IN_LOCKED"
        assert retry_delay_seconds(locked) == 300
        clock.advance(seconds=299)
        assert retry_delay_seconds(await _refused(served.sessions, callers.admin, "target", STRONG)) == 1
        clock.advance(seconds=1)
        assert (await sign_in(served.sessions, callers.admin, "target")).user.id == user.id
        rows = await audit_rows(served.units, "ACCOUNT_LOCKED", "LOGIN_FAILED")
    assert [(r.event_type, r.details.get("cause")) for r in rows] == [
        ("LOGIN_FAILED", "wrong_password"),
        ("LOGIN_FAILED", "wrong_password"),
        ("LOGIN_FAILED", "wrong_password"),
        ("ACCOUNT_LOCKED", None),
        ("LOGIN_FAILED", "locked"),
        ("LOGIN_FAILED", "locked"),
    ]
    assert str(rows[3].user_id) == user.id and rows[3].details["failures"] == "3"


async def test_concurrent_failures_are_all_counted_and_lock_once(settings, callers: Callers) -> None:
    async with serving(settings, sign_in_max_failures=5, sign_in_max_failures_per_ip=0) as served:
        user = await create_user(served.users, callers.admin, "stampede")
        results = await asyncio.gather(
            *(sign_in(served.sessions, callers.admin, "stampede", WRONG) for _ in range(12)),
            return_exceptions=True,
        )
        assert all(isinstance(r, grpc.aio.AioRpcError) for r in results)
        async with served.units() as uow:
            query = select(tables.sign_in_throttle.c.failures).where(
                tables.sign_in_throttle.c.subject == user.id
            )
            counted = (await uow.users._connection.execute(query)).scalar_one()
        locks = await audit_rows(served.units, "ACCOUNT_LOCKED")
        refused = await _refused(served.sessions, callers.admin, "stampede", STRONG)
    # Attempts admitted before the lock are verified and counted; none is lost.
    verified = sum(rich_error(r).reason == "INVALID_SIGN_IN" for r in results)  # type: ignore[arg-type]
    assert counted == verified >= 5
    assert len(locks) == 1
    assert rich_error(refused).reason == "SIGN_IN_LOCKED"


async def test_an_unknown_identity_locks_exactly_like_an_account(settings, callers: Callers) -> None:
    async with serving(settings, sign_in_max_failures=2) as served:
        await create_user(served.users, callers.admin, "exists")
        for identity in ("exists", "ghost"):
            for _ in range(2):
                await _refused(served.sessions, callers.admin, identity)
        known = await _refused(served.sessions, callers.admin, "exists")
        unknown = await _refused(served.sessions, callers.admin, "ghost")
    assert known.code() == unknown.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert known.details() == unknown.details()
    assert rich_error(known) == rich_error(unknown)
    assert retry_delay_seconds(known) == retry_delay_seconds(unknown)


async def test_a_success_forgets_the_failures_so_far(settings, callers: Callers) -> None:
    async with serving(settings, sign_in_max_failures=3) as served:
        await create_user(served.users, callers.admin, "forgetful")
        for _ in range(2):
            await _refused(served.sessions, callers.admin, "forgetful")
        await sign_in(served.sessions, callers.admin, "forgetful")
        for _ in range(2):
            await _refused(served.sessions, callers.admin, "forgetful")
        assert await sign_in(served.sessions, callers.admin, "forgetful")


async def test_failures_outside_the_window_do_not_add_up(settings, callers: Callers) -> None:
    clock = MovableClock()
    async with serving(
        settings, clock, sign_in_max_failures=2, sign_in_failure_window_seconds=60
    ) as served:
        await create_user(served.users, callers.admin, "patient")
        await _refused(served.sessions, callers.admin, "patient")
        clock.advance(seconds=60)
        await _refused(served.sessions, callers.admin, "patient")
        assert await sign_in(served.sessions, callers.admin, "patient")


async def test_one_address_failing_across_accounts_is_rate_limited(settings, callers: Callers) -> None:
    async with serving(settings, sign_in_max_failures=10, sign_in_max_failures_per_ip=3) as served:
        for name in ("one", "two"):
            await create_user(served.users, callers.admin, name)
        for identity in ("one", "two", "nobody"):
            await _refused(served.sessions, callers.admin, identity)
        limited = await _refused(served.sessions, callers.admin, "two", STRONG)
        assert limited.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert rich_error(limited).reason == "SIGN_IN_RATE_LIMITED"
        assert retry_delay_seconds(limited) == settings.sign_in_lock_seconds
        rows = await audit_rows(served.units, "IP_ADDRESS_LOCKED")
        assert [(r.ip_address, r.user_id) for r in rows] == [("127.0.0.1", None)]

        cleared = await served.sessions.ClearSignInLock(
            spb.ClearSignInLockRequest(ip_address="127.0.0.1"), metadata=callers.admin
        )
        assert cleared.was_locked
        assert await sign_in(served.sessions, callers.admin, "two")


async def test_an_admin_clears_an_account_lock(settings, callers: Callers) -> None:
    async with serving(settings, sign_in_max_failures=1) as served:
        user = await create_user(served.users, callers.admin, "lockedout")
        await _refused(served.sessions, callers.admin, "lockedout")
        await _refused(served.sessions, callers.admin, "lockedout", STRONG)
        request = spb.ClearSignInLockRequest(user_id=user.id)
        assert (await served.sessions.ClearSignInLock(request, metadata=callers.admin)).was_locked
        assert not (await served.sessions.ClearSignInLock(request, metadata=callers.admin)).was_locked
        assert await sign_in(served.sessions, callers.admin, "lockedout")
        rows = await audit_rows(served.units, "SIGN_IN_LOCK_CLEARED")
    assert [(str(r.user_id), r.details["was_locked"]) for r in rows] == [
        (user.id, "true"),
        (user.id, "false"),
    ]


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [({}, "target"), ({"ip_address": "not-an-ip"}, "ip_address"), ({"user_id": "x"}, "user_id")],
)
async def test_clear_sign_in_lock_needs_one_valid_target(
    sessions, callers: Callers, request_fields, field
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await sessions.ClearSignInLock(
            spb.ClearSignInLockRequest(**request_fields), metadata=callers.admin
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rich_error(caught.value).fields == [field]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _second_process(database_url: str, port: int) -> subprocess.Popen[str]:
    """`authtuna-grpc serve` from this checkout, on the same database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    path = [str(ROOT), str(ROOT / "clients" / "python"), env.get("PYTHONPATH", "")]
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in path if p),
        AUTHTUNA_DATABASE_URL=database_url,
        AUTHTUNA_ARGON2_MEMORY_KIB="64",
        AUTHTUNA_ARGON2_TIME_COST="1",
        AUTHTUNA_SIGN_IN_MAX_FAILURES="4",
        AUTHTUNA_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "authtuna_grpc", "serve", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _until_serving(stub: session_service_pb2_grpc.SessionServiceStub, metadata) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            await stub.ValidateSession(spb.ValidateSessionRequest(session_token="ses_x"), metadata=metadata)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE:
                return
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)


async def test_lockout_holds_across_two_server_processes(settings, callers: Callers) -> None:
    port = _free_port()
    async with serving(settings, sign_in_max_failures=4) as first:
        # Started once the first server has bootstrapped the admin on the database.
        process = _second_process(settings.database_url, port)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                second = session_service_pb2_grpc.SessionServiceStub(channel)
                await _until_serving(second, callers.admin)
                user = await create_user(first.users, callers.admin, "shared")
                for stub in (first.sessions, second, first.sessions, second):
                    refused = await _refused(stub, callers.admin, "shared")
                    assert rich_error(refused).reason == "INVALID_SIGN_IN"
                for stub in (first.sessions, second):
                    locked = await _refused(stub, callers.admin, "shared", STRONG)
                    assert rich_error(locked).reason == "SIGN_IN_LOCKED"
                request = spb.ClearSignInLockRequest(user_id=user.id)
                assert (await second.ClearSignInLock(request, metadata=callers.admin)).was_locked
                assert await sign_in(first.sessions, callers.admin, "shared")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "shown once" not in stderr
