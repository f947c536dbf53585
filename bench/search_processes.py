"""The benchmark's throwaway PostgreSQL (scripts/postgres) and server (`serve`) processes."""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Postgres:
    """scripts/postgres without a command: it prints the URL and waits; SIGTERM deletes the cluster."""

    process: subprocess.Popen[str]
    url: str

    @classmethod
    def start(cls) -> Postgres:
        env = {k: v for k, v in os.environ.items() if k != "AUTHTUNA_TEST_POSTGRES_URL"}
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "postgres")],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("AUTHTUNA_TEST_POSTGRES_URL="):
                return cls(process, line.strip().split("=", 1)[1])
        raise RuntimeError("scripts/postgres did not start PostgreSQL")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @classmethod
    def start(cls, database_url: str) -> Server:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
        env.update({"AUTHTUNA_DATABASE_URL": database_url, "AUTHTUNA_LISTEN": f"127.0.0.1:{port}"})
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python"), env.get("PYTHONPATH", "")])
        process = subprocess.Popen(
            [sys.executable, "-m", "authtuna_grpc", "serve"], env=env, stderr=subprocess.DEVNULL
        )
        server = cls(process, port)
        server.wait_serving()
        return server

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_serving(self) -> None:
        deadline = time.monotonic() + 60
        with grpc.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                try:
                    if health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        return
                except grpc.RpcError:
                    time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def rss_kib(self) -> int:
        return _status_kib(self.process.pid, "VmRSS")

    def reset_peak_rss(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak_rss_kib(self) -> int:
        return _status_kib(self.process.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")
