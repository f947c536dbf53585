"""Several server processes writing to one database at once keep one valid audit chain."""

from __future__ import annotations

import asyncio
import signal

import grpc
from authtuna_api.user.v1 import compliance_service_pb2 as cpb
from authtuna_api.user.v1 import compliance_service_pb2_grpc, user_service_pb2_grpc

from authtuna_grpc.config import Settings
from tests.accounts import create_user, total_audit_events
from tests.callers import Callers
from tests.compliance_processes import free_port, serve_process, until_serving

WRITES_PER_SERVER = 40


async def _write(channel: grpc.aio.Channel, callers: Callers, tag: str) -> None:
    users = user_service_pb2_grpc.UserServiceStub(channel)
    compliance = compliance_service_pb2_grpc.ComplianceServiceStub(channel)

    async def one(i: int) -> None:
        user = await create_user(users, callers.admin, f"{tag}-{i}")
        await compliance.GrantConsent(
            cpb.GrantConsentRequest(user_id=user.id, purpose="newsletter", version="v1"),
            metadata=callers.admin,
        )

    await asyncio.gather(*(one(i) for i in range(WRITES_PER_SERVER)))


async def test_two_server_processes_appending_at_once_keep_one_valid_chain(
    settings: Settings, channel, compliance, callers: Callers, units
) -> None:
    # The in-process server has bootstrapped the database; two more processes join it.
    ports = [free_port(), free_port()]
    processes = [serve_process(settings.database_url, port) for port in ports]
    try:
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for port in ports]
        for other in channels:
            await until_serving(other, callers.admin)
        before = await total_audit_events(units)
        await asyncio.gather(
            *(_write(c, callers, f"p{i}") for i, c in enumerate([channel, *channels]))
        )
        for other in channels:
            await other.close()
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[1] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    written = await total_audit_events(units) - before
    assert written == 3 * WRITES_PER_SERVER * 2
    report = await compliance.VerifyAuditLog(cpb.VerifyAuditLogRequest(), metadata=callers.admin)
    assert report.intact, report.first_break
    assert report.events_verified == await total_audit_events(units)
