"""Sign-in test set-up: users with passwords, servers with their own settings and clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import session_service_pb2_grpc, user_pb2, user_service_pb2_grpc
from authtuna_api.user.v1 import user_service_pb2 as upb
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy import select

from authtuna_grpc.config import Settings
from authtuna_grpc.server import RunningServer, start_server
from authtuna_grpc.services.clock import Clock
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import Metadata
from tests.rich_status import DETAILS_KEY

STRONG = "Correct-Horse-9"


class MovableClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Served:
    """A server of the test's own, with stubs on a channel to it."""

    server: RunningServer
    users: user_service_pb2_grpc.UserServiceStub
    sessions: session_service_pb2_grpc.SessionServiceStub
    units: UnitOfWorkFactory


@asynccontextmanager
async def serving(
    settings: Settings, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Served]:
    """Start a server on `settings` changed by `overrides` (e.g. other argon2 costs or
    lockout limits), on the same database."""
    changed = settings.model_copy(update=overrides)
    running = await start_server(changed, clock=clock) if clock else await start_server(changed)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield Served(
                server=running,
                users=user_service_pb2_grpc.UserServiceStub(channel),
                sessions=session_service_pb2_grpc.SessionServiceStub(channel),
                units=UnitOfWorkFactory(running.engine),
            )
    finally:
        await running.stop(grace=1)


async def create_user(
    users: Any, metadata: Metadata, username: str, password: str | None = STRONG
) -> user_pb2.User:
    request = upb.CreateUserRequest(email=f"{username}@example.com", username=username)
    if password is not None:
        request.password = password
    return (await users.CreateUser(request, metadata=metadata)).user


async def sign_in(
    sessions: Any, metadata: Metadata, identity: str, password: str = STRONG
) -> spb.SignInResponse:
    request = spb.SignInRequest(identity=identity, password=password)
    response: spb.SignInResponse = await sessions.SignIn(request, metadata=metadata)
    return response


async def validate(sessions: Any, metadata: Metadata, token: str) -> spb.ValidateSessionResponse:
    request = spb.ValidateSessionRequest(session_token=token)
    response: spb.ValidateSessionResponse = await sessions.ValidateSession(request, metadata=metadata)
    return response


def retry_delay_seconds(error: grpc.aio.AioRpcError) -> float | None:
    """The google.rpc.RetryInfo delay on a failed call, if any."""
    status = status_pb2.Status()
    for key, value in error.trailing_metadata() or ():
        if key == DETAILS_KEY:
            status.MergeFromString(value)
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return float(info.retry_delay.ToTimedelta().total_seconds())
    return None


async def audit_rows(units: UnitOfWorkFactory, *event_types: str) -> list[Any]:
    """Audit rows of the given types, oldest first."""
    t = tables.audit_event
    async with units() as uow:
        query = select(t).where(t.c.event_type.in_(event_types)).order_by(t.c.id)
        return list((await uow.users._connection.execute(query)).all())
