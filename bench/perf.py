"""The service against its ceilings, in one run: `python bench/perf.py`.

Measures the bare grpc.aio echo ceiling and the argon2id ceiling, then the service on
PostgreSQL (GetUser at 1/16/64 in flight, CreateUser with a password, GetUser while 20
hashes run, and the lifecycle mutations when served) with 1 and 2 workers, and writes the
figures and ratios into docs/benchmarks.md with a chart. Starts its own PostgreSQL (via
scripts/postgres) unless AUTHTUNA_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ceilings, launch, report, service  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of each load run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--loop", choices=launch.LOOPS, default="uvloop",
        help="event loop of the echo server and the service (the service's default: uvloop)",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="echo and GetUser at 64 in flight, 1 worker, printed as JSON (bench/candidates.py)",
    )
    args = parser.parse_args()
    if not os.environ.get("AUTHTUNA_TEST_POSTGRES_URL"):
        return subprocess.call([str(ROOT / "scripts" / "postgres"), sys.executable, *sys.argv])

    if args.quick:
        return _quick(args.seconds, args.loop)
    results = report.Results()
    results.loop = args.loop
    results.echo = ceilings.echo(seconds=args.seconds, loop=args.loop)
    results.argon2_per_second = ceilings.argon2_throughput(seconds=args.seconds)
    for workers in args.workers:
        if workers > 1 and not service.supports_workers():
            print(f"serve has no --workers option; skipping {workers} workers", file=sys.stderr)
            continue
        results.service[workers] = service.measure(
            os.environ["AUTHTUNA_TEST_POSTGRES_URL"], workers=workers, seconds=args.seconds,
            loop=args.loop,
        )
    print(report.render_console(results))
    report.write(results, args.output)
    return 0


def _quick(seconds: float, loop: str) -> int:
    [(echo, echo_cpu)] = ceilings.echo(seconds=seconds, loop=loop, concurrency=(64,)).values()
    service_results = service.measure(
        os.environ["AUTHTUNA_TEST_POSTGRES_URL"], workers=1, seconds=seconds, loop=loop,
        quick=True, concurrency=(64,),
    )
    [(get, get_cpu)] = service_results.get_user.values()
    print(json.dumps({
        "grpcio": metadata.version("grpcio"),
        "loop": loop,
        "echo_qps": echo.qps, "echo_cpu_us": echo_cpu,
        "get_user_qps": get.qps, "get_user_cpu_us": get_cpu, "get_user_p99_ms": get.p99_ms,
        "errors": echo.errors + get.errors,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
