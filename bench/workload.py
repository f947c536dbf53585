"""A mixed workload: concurrent loops, each taking a fresh user through its whole life.

Create (with a password) → get → list → update by etag → sign in → validate the
session → suspend → delete. Each loop records how every call ended, with the time, and
starts over with a new user as soon as a call fails, so a failure never cascades into
calls that could not succeed. Used by bench/soak.py and the outage and soak tests.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from authtuna_api.user.v1 import session_service_pb2 as spb
from authtuna_api.user.v1 import session_service_pb2_grpc, user_pb2, user_service_pb2_grpc
from authtuna_api.user.v1 import user_service_pb2 as upb
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2, status_pb2

PASSWORD = "Soak-Horse-9"
CALL_TIMEOUT = 10.0

Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Outcome:
    at: float  # time.monotonic()
    rpc: str
    code: str  # grpc.StatusCode name; "OK" on success
    reason: str = ""


@dataclass
class MixedWorkload:
    channel: grpc.aio.Channel
    metadata: Metadata
    prefix: str
    outcomes: list[Outcome] = field(default_factory=list)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._users = user_service_pb2_grpc.UserServiceStub(self.channel)
        self._sessions = session_service_pb2_grpc.SessionServiceStub(self.channel)

    def codes(self, since: float = 0.0, until: float = float("inf")) -> Counter[str]:
        return Counter(o.code for o in self.outcomes if since <= o.at < until)

    async def run(self, stop: asyncio.Event, workers: int) -> None:
        await asyncio.gather(*(self._loop(stop) for _ in range(workers)))

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.one_life()

    async def one_life(self) -> bool:
        """One user's life; False as soon as a call fails."""
        name = f"{self.prefix}-{next(self._serial)}"
        created = await self._call("CreateUser", self._users.CreateUser, upb.CreateUserRequest(
            email=f"{name}@example.com", username=name, password=PASSWORD, attributes={"soak": "1"},
        ))
        if created is None:
            return False
        user = created.user
        steps: list[tuple[str, Callable[..., Awaitable[Any]], Any]] = [
            ("GetUser", self._users.GetUser, upb.GetUserRequest(id=user.id)),
            ("ListUsers", self._users.ListUsers, upb.ListUsersRequest(limit=10)),
            ("UpdateUser", self._users.UpdateUser, upb.UpdateUserRequest(
                id=user.id, etag=user.etag, user=user_pb2.User(attributes={"soak": "2"}),
                update_mask=field_mask_pb2.FieldMask(paths=["attributes"]),
            )),
            ("SignIn", self._sessions.SignIn, spb.SignInRequest(identity=name, password=PASSWORD)),
        ]
        for rpc, method, request in steps:
            response = await self._call(rpc, method, request)
            if response is None:
                return False
        token = response.session.token
        tail: list[tuple[str, Callable[..., Awaitable[Any]], Any]] = [
            ("ValidateSession", self._sessions.ValidateSession, spb.ValidateSessionRequest(session_token=token)),
            ("SuspendUser", self._users.SuspendUser, upb.SuspendUserRequest(id=user.id, reason="soak")),
            ("DeleteUser", self._users.DeleteUser, upb.DeleteUserRequest(id=user.id, reason="soak")),
        ]
        for rpc, method, request in tail:
            if await self._call(rpc, method, request) is None:
                return False
        return True

    async def _call(self, rpc: str, method: Callable[..., Awaitable[Any]], request: Any) -> Any:
        try:
            response = await method(request, metadata=self.metadata, timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError as error:
            self.outcomes.append(Outcome(time.monotonic(), rpc, error.code().name, _reason(error)))
            return None
        self.outcomes.append(Outcome(time.monotonic(), rpc, "OK"))
        return response


def _reason(error: grpc.aio.AioRpcError) -> str:
    status = status_pb2.Status()
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            status.MergeFromString(value)
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""
