"""Soak: a bounded mixed workload against one server process on loopback, with the
server's memory (RSS) and its database connections (pg_stat_activity) sampled. Both must
stay flat once warmed up.

    python -m bench.soak --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres --seconds 300
    python -m bench.soak --seconds 120            # SQLite in a temporary directory

A fresh database is made for the run (a new PostgreSQL database next to the one named,
or a new SQLite file). The report (JSON on stdout) has every sample, the calls by
outcome, and the flatness figures; tests/integration/test_soak.py runs a short form.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from bench.ports import free_port
from bench.workload import MixedWorkload

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "atk_soak-token-" + "x" * 32
# The first part of a run is warm-up (caches, pools, allocator arenas filling); flatness
# is judged on the rest.
WARM_UP_SHARE = 0.3


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the load started
    rss_kib: int
    connections: int | None  # the server's sessions on PostgreSQL; None on SQLite


@dataclass
class SoakReport:
    seconds: float
    workers: int
    database: str
    lives: int
    calls: dict[str, int]
    samples: list[Sample] = field(default_factory=list)

    def _settled(self) -> list[Sample]:
        return [s for s in self.samples if s.at >= self.seconds * WARM_UP_SHARE]

    @property
    def rss_growth_kib(self) -> int:
        """Median RSS of the last third of the settled samples minus that of the first."""
        settled = self._settled()
        third = max(1, len(settled) // 3)
        early = statistics.median(s.rss_kib for s in settled[:third])
        late = statistics.median(s.rss_kib for s in settled[-third:])
        return int(late - early)

    @property
    def rss_settled_kib(self) -> int:
        return int(statistics.median(s.rss_kib for s in self._settled()))

    @property
    def connections_max(self) -> int | None:
        counts = [s.connections for s in self.samples if s.connections is not None]
        return max(counts) if counts else None

    @property
    def connections_growth(self) -> int | None:
        settled = [s.connections for s in self._settled() if s.connections is not None]
        if not settled:
            return None
        third = max(1, len(settled) // 3)
        return max(settled[-third:]) - max(settled[:third])

    def summary(self) -> dict[str, object]:
        return {
            "seconds": self.seconds,
            "workers": self.workers,
            "database": self.database,
            "lives": self.lives,
            "calls": self.calls,
            "rss_settled_kib": self.rss_settled_kib,
            "rss_growth_kib": self.rss_growth_kib,
            "connections_max": self.connections_max,
            "connections_growth": self.connections_growth,
        }


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def fresh_database(url: str | None) -> str:
    """A new, empty database beside `url` (None: a new SQLite file)."""
    if url is None or not is_postgres(url):
        folder = Path(tempfile.mkdtemp(prefix="authtuna-soak."))
        return f"sqlite+aiosqlite:///{folder / 'soak.db'}"
    name = f"authtuna_soak_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(_admin_dsn(url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


class SoakServer:
    """`authtuna-grpc serve` in a process of its own, its log in a file."""

    def __init__(self, database_url: str, log: Path, settings: dict[str, str]) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), str(ROOT / "clients" / "python"), env.get("PYTHONPATH", "")) if p
        )
        values = {"database_url": database_url, "bootstrap_token": TOKEN, "log_level": "WARNING", **settings}
        env.update({f"AUTHTUNA_{k.upper()}": v for k, v in values.items()})
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "authtuna_grpc", "serve", "--listen", self.address],
                env=env, stdout=out, stderr=out,
            )

    async def until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with grpc.aio.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                try:
                    response = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
                    if response.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start serving")
                await asyncio.sleep(0.2)

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=60)


async def _connections(database_url: str) -> int | None:
    if not is_postgres(database_url):
        return None
    name = make_url(database_url).database
    connection = await asyncpg.connect(_admin_dsn(database_url))
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name
        )
    finally:
        await connection.close()
    return int(count)


async def _sample(server: SoakServer, database_url: str, started: float) -> Sample:
    return Sample(
        at=round(time.monotonic() - started, 2),
        rss_kib=rss_kib(server.process.pid),
        connections=await _connections(database_url),
    )


async def soak(
    database_url: str,
    *,
    seconds: float,
    workers: int = 4,
    sample_every: float = 1.0,
    log: Path,
    settings: dict[str, str] | None = None,
) -> SoakReport:
    """Run the mixed workload for `seconds` against a fresh server on `database_url`."""
    server = SoakServer(database_url, log, settings or {})
    try:
        await server.until_serving()
        async with grpc.aio.insecure_channel(server.address) as channel:
            load = MixedWorkload(channel, (("authorization", f"Bearer {TOKEN}"),), "soak")
            stop = asyncio.Event()
            started = time.monotonic()
            running = asyncio.create_task(load.run(stop, workers))
            samples = []
            while time.monotonic() - started < seconds:
                await asyncio.sleep(sample_every)
                samples.append(await _sample(server, database_url, started))
            stop.set()
            await running
    finally:
        server.stop()
    lives = sum(1 for o in load.outcomes if o.rpc == "DeleteUser" and o.code == "OK")
    calls = Counter(o.code for o in load.outcomes)
    backend = "postgresql" if is_postgres(database_url) else "sqlite"
    return SoakReport(seconds, workers, backend, lives, dict(calls), samples)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server to make a fresh database on; default SQLite")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--workers", type=int, default=4, help="concurrent client loops")
    parser.add_argument("--sample-every", type=float, default=2.0)
    args = parser.parse_args()

    async def run() -> SoakReport:
        url = await fresh_database(args.database_url)
        log = Path(tempfile.mkdtemp(prefix="authtuna-soak-log.")) / "server.log"
        return await soak(url, seconds=args.seconds, workers=args.workers, sample_every=args.sample_every, log=log)

    report = asyncio.run(run())
    print(json.dumps({**report.summary(), "samples": [asdict(s) for s in report.samples]}, indent=1))


if __name__ == "__main__":
    main()
