"""`authtuna-grpc serve` as a real process, for tests of the command line and workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import TEST_ARGON2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcess:
    """`serve` with the given settings as AUTHTUNA_* variables; stderr goes to a file."""

    def __init__(
        self, workdir: Path, settings: dict[str, str], *args: str, port: int | None = None
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
        env.update({f"AUTHTUNA_{k.upper()}": str(v) for k, v in TEST_ARGON2.items()})
        # Keep the PgBouncer mode of the run when the tests go through PgBouncer.
        if "AUTHTUNA_DB_PGBOUNCER" in os.environ:
            env["AUTHTUNA_DB_PGBOUNCER"] = os.environ["AUTHTUNA_DB_PGBOUNCER"]
        env.update({f"AUTHTUNA_{k.upper()}": v for k, v in settings.items()})
        # With `port`, the caller sets the address itself (e.g. in a --config file).
        self.port = port or free_port()
        if port is None:
            env.setdefault("AUTHTUNA_LISTEN", f"127.0.0.1:{self.port}")
        self._log = tempfile.NamedTemporaryFile(prefix="authtuna-serve-", suffix=".log", dir=workdir)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "authtuna_grpc", "serve", *args],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,  # its own process group: close() ends the workers too
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_serving(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            # A new channel each time: a channel that failed to connect backs off for seconds.
            with grpc.insecure_channel(self.address) as channel:
                try:
                    stub = health_pb2_grpc.HealthStub(channel)
                    status = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start:\n{self.log()}")
            time.sleep(0.1)

    def stop(self, signum: int = signal.SIGTERM, seconds: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"serve did not stop within {seconds}s:\n{self.log()}") from None

    def log(self) -> str:
        return Path(self._log.name).read_text()

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self._log.close()
