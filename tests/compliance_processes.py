"""`authtuna-grpc serve` from this checkout as a separate process, on a given database
(the compliance tests: concurrent audit appends from two processes)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc

from tests.callers import Metadata

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_process(database_url: str, port: int, **settings: str) -> subprocess.Popen[str]:
    """Start a server on `port` with cheap argon2; `settings` are more AUTHTUNA_ values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    if "AUTHTUNA_DB_PGBOUNCER" in os.environ:  # keep the run's PgBouncer mode
        env["AUTHTUNA_DB_PGBOUNCER"] = os.environ["AUTHTUNA_DB_PGBOUNCER"]
    path = [str(ROOT), str(ROOT / "clients" / "python"), env.get("PYTHONPATH", "")]
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in path if p),
        AUTHTUNA_DATABASE_URL=database_url,
        AUTHTUNA_ARGON2_MEMORY_KIB="64",
        AUTHTUNA_ARGON2_TIME_COST="1",
        AUTHTUNA_LOG_LEVEL="WARNING",
        **{f"AUTHTUNA_{name.upper()}": value for name, value in settings.items()},
    )
    return subprocess.Popen(
        [sys.executable, "-m", "authtuna_grpc", "serve", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


async def until_serving(channel: grpc.aio.Channel, metadata: Metadata) -> None:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    deadline = time.monotonic() + 30
    while True:
        try:
            await stub.GetUser(pb.GetUserRequest(username="admin"), metadata=metadata)
            return
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)
