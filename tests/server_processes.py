"""`authtuna-grpc serve` from this checkout, as real server processes.

The reliability tests talk to servers in processes of their own: a crash shows as a dead
process, two processes share one database as in production, and the server log is read
afterwards for unhandled errors.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
SERVING = health_pb2.HealthCheckResponse.SERVING
# The traceback line the error interceptor logs for anything it maps to INTERNAL.
UNHANDLED_MARK = "unhandled error in"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def unhandled_errors(self) -> list[str]:
        return [line for line in self.log().splitlines() if UNHANDLED_MARK in line]

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait; the exit code."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=timeout)


def start_server_process(
    database_url: str,
    log_path: Path,
    *,
    bootstrap_token: str | None = None,
    **settings: str,
) -> ServerProcess:
    """A server on a free port; `settings` are AUTHTUNA_* values by lower-case name.
    Its log (stderr) goes to `log_path`, never to a pipe that could fill up."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    if "AUTHTUNA_DB_PGBOUNCER" in os.environ:  # keep the run's PgBouncer mode
        env["AUTHTUNA_DB_PGBOUNCER"] = os.environ["AUTHTUNA_DB_PGBOUNCER"]
    path = [str(ROOT), str(ROOT / "clients" / "python"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    values = {
        "database_url": database_url,
        "argon2_memory_kib": "64",
        "argon2_time_cost": "1",
        "log_level": "WARNING",
        **settings,
    }
    if bootstrap_token is not None:
        values["bootstrap_token"] = bootstrap_token
    env.update({f"AUTHTUNA_{name.upper()}": value for name, value in values.items()})
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "authtuna_grpc", "serve", "--listen", f"127.0.0.1:{port}"],
            env=env,
            stdout=log,
            stderr=log,
        )
    return ServerProcess(process, port, log_path)


def wait_serving(server: ServerProcess, timeout: float = 60) -> None:
    """Block until the server's health says SERVING (for synchronous tests)."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            if not server.alive:
                raise AssertionError(f"the server exited:\n{server.log()}")
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status == SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not start serving:\n{server.log()}")
            time.sleep(0.2)


async def until_serving(server: ServerProcess, timeout: float = 60) -> None:
    """Wait until the server's health says SERVING (for asyncio tests)."""
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            if not server.alive:
                raise AssertionError(f"the server exited:\n{server.log()}")
            try:
                response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
                if response.status == SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not start serving:\n{server.log()}")
            await asyncio.sleep(0.2)
