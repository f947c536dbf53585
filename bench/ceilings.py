"""The two ceilings the service is judged against."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import argon2

from authtuna_grpc.config import Settings
from bench.loadgen import LoadResult, run_ghz
from bench.machine import cpu_seconds
from bench.ports import free_port

CONCURRENCY = (1, 16, 64)
ROOT = Path(__file__).resolve().parent.parent
LAUNCH = ROOT / "bench" / "launch.py"
HEALTH_CHECK = "grpc.health.v1.Health/Check"


def echo(
    seconds: float, *, loop: str = "uvloop", concurrency: tuple[int, ...] = CONCURRENCY
) -> dict[int, tuple[LoadResult, float]]:
    """Echo QPS per concurrency, with the server's CPU microseconds per call."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(LAUNCH), loop, "bench.echo_server", f"127.0.0.1:{port}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        address = f"127.0.0.1:{port}"
        run_ghz(address, HEALTH_CHECK, concurrency=8, seconds=1)  # warm-up
        results = {}
        for level in concurrency:
            before = cpu_seconds([server.pid])
            load = run_ghz(address, HEALTH_CHECK, concurrency=level, seconds=seconds)
            used = cpu_seconds([server.pid]) - before
            results[level] = (load, used / max(load.calls, 1) * 1e6)
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def argon2_throughput(seconds: float) -> float:
    """Hashes per second at the configured parameters, one thread per core."""
    settings = Settings()
    hasher = argon2.PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=argon2.Type.ID,
    )
    workers = os.cpu_count() or 2
    deadline = time.monotonic() + seconds

    def hash_until_deadline(_: int) -> int:
        done = 0
        while time.monotonic() < deadline:
            hasher.hash("Correct-Horse-9")
            done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        total = sum(pool.map(hash_until_deadline, range(workers)))
    return total / (time.monotonic() - started)
