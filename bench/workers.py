"""GetUser throughput with 1 and with 2 workers, on PostgreSQL: `python bench/workers.py`.

Starts `authtuna-grpc serve --workers N` for each N against a fresh database, drives
GetUser with ghz (a Go load generator in its own process, many connections so that the
kernel spreads them over the workers), and writes a "Workers" section into
docs/benchmarks.md between markers, leaving the rest of the page alone. Starts its own
PostgreSQL (via scripts/postgres) unless AUTHTUNA_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import LoadResult, run_ghz  # noqa: E402
from bench.machine import describe  # noqa: E402
from bench.sections import replace_section  # noqa: E402
from bench.service import SERVICE, TOKEN, Server, create_target, fresh_database  # noqa: E402

BEGIN, END = "<!-- workers:begin -->", "<!-- workers:end -->"
CONNECTIONS = 16


@dataclass(frozen=True)
class Run:
    workers: int
    concurrency: int
    load: LoadResult
    cpu_us_per_call: float
    load_average: float  # of the machine just before the run: other work skews the figures


def _load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def median_runs(runs: list[Run]) -> list[Run]:
    """Per (workers, in flight), the run with the median throughput over the rounds."""
    chosen = []
    for key in sorted({(run.workers, run.concurrency) for run in runs}):
        same = sorted((r for r in runs if (r.workers, r.concurrency) == key), key=lambda r: r.load.qps)
        chosen.append(same[(len(same) - 1) // 2])
    return chosen


def measure(base_url: str, workers: int, concurrencies: list[int], seconds: float) -> list[Run]:
    server = Server(fresh_database(base_url), workers)
    runs = []
    try:
        user_id = create_target(server.address)
        method = f"{SERVICE}/GetUser"
        data = {"id": user_id}
        run_ghz(server.address, method, data=data, token=TOKEN, concurrency=16, seconds=1,
                connections=CONNECTIONS)
        for concurrency in concurrencies:
            load_average = _load_average()
            before = server.cpu()
            load = run_ghz(server.address, method, data=data, token=TOKEN, concurrency=concurrency,
                           seconds=seconds, connections=CONNECTIONS)
            used = server.cpu() - before
            runs.append(Run(workers, concurrency, load, used / max(load.calls, 1) * 1e6, load_average))
            print(f"workers={workers} in-flight={concurrency}: {load.qps:,.0f} calls/s "
                  f"p50 {load.p50_ms:.1f} ms p99 {load.p99_ms:.1f} ms errors {load.errors}",
                  file=sys.stderr)
    finally:
        server.stop()
    return runs


def section(runs: list[Run], command: str, rounds: int) -> str:
    base = {run.concurrency: run.load.qps for run in runs if run.workers == 1}
    rows = [
        f"| {run.workers} | {run.concurrency} | {run.load.qps:,.0f} | "
        f"{run.load.qps / base[run.concurrency]:.2f}× | {run.load.p50_ms:.1f} | "
        f"{run.load.p99_ms:.1f} | {run.cpu_us_per_call:,.0f} | {run.load.errors} | "
        f"{run.load_average:.1f} |"
        for run in runs
    ]
    return "\n".join([
        BEGIN,
        "## Workers",
        "",
        f"Measured {datetime.date.today().isoformat()} on {describe()}.",
        "",
        f"Command: `{command}`. GetUser by id on PostgreSQL 15 (same machine), through "
        f"`authtuna-grpc serve --workers N`; load from ghz with {CONNECTIONS} connections, "
        "so both workers get traffic; the load generator shares the 2 cores with the server "
        f"and PostgreSQL. {rounds} rounds alternating 1 and 2 workers; each row is the round "
        "with the median throughput. The last column is the machine's 1-minute load average "
        "just before the run (2 = both cores busy before the benchmark added anything).",
        "",
        "| workers | in flight | GetUser/s | vs 1 worker | p50 ms | p99 ms | server CPU µs/call "
        "| errors | load before |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        END,
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each load run")
    parser.add_argument("--in-flight", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=3, help="alternations of 1 and 2 workers")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if not os.environ.get("AUTHTUNA_TEST_POSTGRES_URL"):
        return subprocess.call([str(ROOT / "scripts" / "postgres"), sys.executable, *sys.argv])
    runs = []
    for _ in range(args.rounds):
        for workers in (1, 2):
            runs += measure(os.environ["AUTHTUNA_TEST_POSTGRES_URL"], workers, args.in_flight, args.seconds)
    command = "python bench/workers.py " + " ".join(sys.argv[1:])
    replace_section(args.output, BEGIN, END, section(median_runs(runs), command.strip(), args.rounds))
    print(f"wrote the Workers section of {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
