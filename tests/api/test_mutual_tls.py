"""TLS, and client certificates that sign a service account in without a bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from sqlalchemy import update

from authtuna_grpc.config import Settings
from authtuna_grpc.server import RunningServer, start_server
from authtuna_grpc.services.clock import new_id, utc_now
from authtuna_grpc.services.service_accounts import ServiceAccounts
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.audit_rows import audit_rows
from tests.callers import ADMIN_TOKEN, bearer
from tests.certificates import CertificateAuthority, KeyPair, write
from tests.rich_status import rich_error

BILLING = "spiffe://authtuna.test/ns/prod/sa/billing"
LOOKUP = pb.GetUserRequest(username="admin")


@dataclass
class TlsServer:
    running: RunningServer
    authority: CertificateAuthority
    units: UnitOfWorkFactory
    accounts: ServiceAccounts

    def channel(self, client: KeyPair | None = None) -> grpc.aio.Channel:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=self.authority.certificate,
            private_key=client.key if client else None,
            certificate_chain=client.certificate if client else None,
        )
        return grpc.aio.secure_channel(f"127.0.0.1:{self.running.port}", credentials)


async def _start(settings: Settings, directory: Path, *, client_ca: bool) -> TlsServer:
    authority = CertificateAuthority()
    server = authority.server()
    tls = {
        "tls_cert": write(directory, "server.pem", server.certificate),
        "tls_key": write(directory, "server.key", server.key),
        "tls_client_ca": write(directory, "ca.pem", authority.certificate) if client_ca else None,
    }
    running = await start_server(Settings(**{**settings.model_dump(), **tls}))
    units = UnitOfWorkFactory(running.engine)
    return TlsServer(running, authority, units, ServiceAccounts(units, utc_now, new_id))


@pytest.fixture
async def mtls(settings: Settings, tmp_path: Path) -> AsyncIterator[TlsServer]:
    server = await _start(settings, tmp_path, client_ca=True)
    yield server
    await server.running.stop(grace=1)


@pytest.fixture
async def tls(settings: Settings, tmp_path: Path) -> AsyncIterator[TlsServer]:
    server = await _start(settings, tmp_path, client_ca=False)
    yield server
    await server.running.stop(grace=1)


async def _create_user(channel: grpc.aio.Channel, name: str, metadata=()) -> None:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    await stub.CreateUser(pb.CreateUserRequest(email=f"{name}@example.com", username=name), metadata=metadata)


async def test_a_bound_certificate_signs_in_without_a_token(mtls: TlsServer) -> None:
    await mtls.accounts.bind_identity(username="billing", san=BILLING, role="UserManager", create=True)
    async with mtls.channel(mtls.authority.client(uris=(BILLING,))) as channel:
        found = await user_service_pb2_grpc.UserServiceStub(channel).GetUser(LOOKUP)
        await _create_user(channel, "made-by-billing")
    assert found.user.username == "admin"
    async with mtls.units() as uow:
        billing = await uow.users.by_username("billing")
    [row] = [r for r in await audit_rows(mtls.units, "USER_CREATED") if r.details.get("username") == "made-by-billing"]
    assert billing is not None and billing.is_service_account
    assert row.actor_id == str(billing.id)


async def test_a_dns_name_in_the_certificate_can_be_bound_too(mtls: TlsServer) -> None:
    await mtls.accounts.bind_identity(username="reports", san="reports.internal", role="Auditor", create=True)
    async with mtls.channel(mtls.authority.client(dns=("reports.internal",))) as channel:
        found = await user_service_pb2_grpc.UserServiceStub(channel).GetUser(LOOKUP)
    assert found.user.username == "admin"


async def test_an_unbound_certificate_is_unauthenticated(mtls: TlsServer) -> None:
    await mtls.accounts.bind_identity(username="billing", san=BILLING, role="Admin", create=True)
    stranger = mtls.authority.client(uris=("spiffe://authtuna.test/ns/prod/sa/billing-2",), dns=("billing",))
    async with mtls.channel(stranger) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await user_service_pb2_grpc.UserServiceStub(channel).GetUser(LOOKUP)
    error = rich_error(caught.value)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")


async def test_a_suspended_service_accounts_certificate_is_unauthenticated(mtls: TlsServer) -> None:
    await mtls.accounts.bind_identity(username="billing", san=BILLING, role="Admin", create=True)
    async with mtls.units() as uow:
        await uow.users._connection.execute(
            update(tables.user).values(is_active=False, suspended_at=datetime.now(UTC))
            .where(tables.user.c.username == "billing")
        )
        await uow.commit()
    async with mtls.channel(mtls.authority.client(uris=(BILLING,))) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await user_service_pb2_grpc.UserServiceStub(channel).GetUser(LOOKUP)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_bearer_token_takes_precedence_over_the_certificate(mtls: TlsServer) -> None:
    await mtls.accounts.bind_identity(username="billing", san=BILLING, role="Admin", create=True)
    async with mtls.channel(mtls.authority.client(uris=(BILLING,))) as channel:
        await _create_user(channel, "made-by-admin", bearer(ADMIN_TOKEN))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await user_service_pb2_grpc.UserServiceStub(channel).GetUser(LOOKUP, metadata=bearer("atk_wrong"))
    async with mtls.units() as uow:
        admin = await uow.users.by_username("admin")
    [row] = [r for r in await audit_rows(mtls.units, "USER_CREATED") if r.details.get("username") == "made-by-admin"]
    assert admin is not None and row.actor_id == str(admin.id)
    assert rich_error(caught.value).reason == "INVALID_CREDENTIALS"


async def test_a_client_without_a_certificate_cannot_connect(mtls: TlsServer) -> None:
    async with mtls.channel() as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await user_service_pb2_grpc.UserServiceStub(channel).GetUser(LOOKUP, metadata=bearer(ADMIN_TOKEN), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_unbinding_an_identity_stops_it_signing_in(mtls: TlsServer) -> None:
    await mtls.accounts.bind_identity(username="billing", san=BILLING, role="Admin", create=True)
    await mtls.accounts.unbind_identity(BILLING)
    async with mtls.channel(mtls.authority.client(uris=(BILLING,))) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await user_service_pb2_grpc.UserServiceStub(channel).GetUser(LOOKUP)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    events = [r.event_type for r in await audit_rows(mtls.units) if r.details.get("san") == BILLING]
    assert events == ["SERVICE_IDENTITY_BOUND", "SERVICE_IDENTITY_UNBOUND"]


async def test_tls_without_a_client_ca_serves_bearer_tokens(tls: TlsServer) -> None:
    async with tls.channel() as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        found = await stub.GetUser(LOOKUP, metadata=bearer(ADMIN_TOKEN))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetUser(LOOKUP)
    assert found.user.username == "admin"
    assert rich_error(caught.value).reason == "MISSING_CREDENTIALS"
