"""`authtuna-grpc token create` and `authtuna-grpc identity bind/unbind`, as operators run them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from sqlalchemy import select

from authtuna_grpc.config import Settings
from authtuna_grpc.storage import tables
from tests.audit_rows import audit_rows
from tests.callers import bearer
from tests.certificates import CertificateAuthority, write


async def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "authtuna_grpc", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )


async def test_token_create_prints_only_the_secret_which_then_authenticates(
    server, settings: Settings, users, units
) -> None:
    result = await _cli(
        "token", "create", "--user", "ci-bot", "--role", "auditor", "--create-service-account",
        "--name", "deploy", "--database-url", settings.database_url,
    )
    assert result.returncode == 0, result.stderr
    [secret] = result.stdout.splitlines()
    assert secret.startswith("atk_") and len(secret) == 4 + 43
    assert secret not in result.stderr

    found = await users.GetUser(pb.GetUserRequest(username="ci-bot", with_relations=True), metadata=bearer(secret))
    assert found.user.is_service_account
    assert [(a.role, a.scope, a.granted_by) for a in found.user.role_assignments] == [("Auditor", "global", "")]
    rows = [r for r in await audit_rows(units) if r.user_id == found.user.id]
    assert [r.event_type for r in rows] == ["USER_CREATED", "ROLE_ASSIGNED", "API_TOKEN_CREATED"]
    assert {(r.actor_id, r.request_id, r.ip_address) for r in rows} == {(None, "system", None)}


async def test_token_create_for_an_existing_user_keeps_roles_it_already_holds(server, settings: Settings, units) -> None:
    args = ("token", "create", "--user", "admin", "--role", "Admin", "--expires-in-days", "7",
            "--database-url", settings.database_url)
    result = await _cli(*args)
    assert result.returncode == 0, result.stderr
    async with units() as uow:
        expiry = (
            await uow.users._connection.execute(
                select(tables.api_token.c.expires_at).where(tables.api_token.c.name == "command-line")
            )
        ).scalar_one()
    expiry = expiry if expiry.tzinfo else expiry.replace(tzinfo=UTC)
    assert abs(expiry - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)
    assert [r.event_type for r in await audit_rows(units) if r.request_id == "system"][-1] == "API_TOKEN_CREATED"
    assert len(await audit_rows(units, "ROLE_ASSIGNED")) == 1  # only the bootstrap's


async def test_token_create_for_an_unknown_user_fails_and_creates_nothing(server, settings: Settings, units) -> None:
    before = await audit_rows(units)
    result = await _cli("token", "create", "--user", "nobody", "--database-url", settings.database_url)
    assert (result.returncode, result.stdout) == (1, "")
    assert "no user with username 'nobody'" in result.stderr
    unknown_role = await _cli(
        "token", "create", "--user", "admin", "--role", "Boss", "--database-url", settings.database_url
    )
    assert (unknown_role.returncode, unknown_role.stdout) == (1, "")
    assert "no role named 'Boss'" in unknown_role.stderr
    assert await audit_rows(units) == before


async def test_token_create_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    result = await _cli("token", "create", "--user", "x-bot", "--database-url", f"sqlite+aiosqlite:///{tmp_path}/new.db")
    assert (result.returncode, result.stdout) == (1, "")
    assert "authtuna-grpc migrate" in result.stderr


async def test_identity_bind_and_unbind_are_audited_as_the_system(server, settings: Settings, units, callers) -> None:
    san = "spiffe://authtuna.test/sa/reports"
    bound = await _cli(
        "identity", "bind", "--user", "reports", "--san", san, "--role", "Auditor",
        "--create-service-account", "--database-url", settings.database_url,
    )
    assert bound.returncode == 0, bound.stderr
    person = await _cli("identity", "bind", "--user", "member-caller", "--san", "x.internal", "--database-url", settings.database_url)
    assert person.returncode == 1 and "not a service account" in person.stderr
    unbound = await _cli("identity", "unbind", "--san", san, "--database-url", settings.database_url)
    assert unbound.returncode == 0, unbound.stderr
    rows = [r for r in await audit_rows(units) if r.details.get("san") == san]
    assert [(r.event_type, r.actor_id, r.request_id) for r in rows] == [
        ("SERVICE_IDENTITY_BOUND", None, "system"), ("SERVICE_IDENTITY_UNBOUND", None, "system"),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_tls_flags_requires_and_accepts_client_certificates(tmp_path: Path) -> None:
    authority = CertificateAuthority()
    server, client = authority.server(), authority.client(dns=("ops.internal",))
    flags = [
        "--tls-cert", str(write(tmp_path, "server.pem", server.certificate)),
        "--tls-key", str(write(tmp_path, "server.key", server.key)),
        "--tls-client-ca", str(write(tmp_path, "ca.pem", authority.certificate)),
    ]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    env.update({"AUTHTUNA_BOOTSTRAP_TOKEN": "atk_tls-flag-token", "AUTHTUNA_ARGON2_MEMORY_KIB": "64"})
    process = subprocess.Popen(
        [sys.executable, "-m", "authtuna_grpc", "serve", "--listen", f"127.0.0.1:{port}", *flags],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        credentials = grpc.ssl_channel_credentials(authority.certificate, client.key, client.certificate)
        with grpc.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            stub = user_service_pb2_grpc.UserServiceStub(channel)
            found = stub.GetUser(pb.GetUserRequest(username="admin"), metadata=bearer("atk_tls-flag-token"))
        assert found.user.username == "admin"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_serve_refuses_a_certificate_without_its_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    result = subprocess.run(
        [sys.executable, "-m", "authtuna_grpc", "serve", "--tls-cert", str(tmp_path / "server.pem")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "tls_cert and tls_key must be set together" in result.stderr
