"""The service against its ceilings, in one run: `python bench/perf.py`.

Measures the bare grpc.aio echo ceiling and the argon2id ceiling, then the service on
PostgreSQL (GetUser at 1/16/64 in flight, CreateUser with a password, GetUser while 20
hashes run, and the lifecycle mutations when served) with 1 and 2 workers, and writes the
figures and ratios into docs/benchmarks.md with a chart. Starts its own PostgreSQL (via
scripts/postgres) unless AUTHTUNA_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ceilings, report, service  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of each load run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if not os.environ.get("AUTHTUNA_TEST_POSTGRES_URL"):
        return subprocess.call([str(ROOT / "scripts" / "postgres"), sys.executable, *sys.argv])

    results = report.Results()
    results.echo = ceilings.echo(seconds=args.seconds)
    results.argon2_per_second = ceilings.argon2_throughput(seconds=args.seconds)
    for workers in args.workers:
        if workers > 1 and not service.supports_workers():
            print(f"serve has no --workers option; skipping {workers} workers", file=sys.stderr)
            continue
        results.service[workers] = service.measure(
            os.environ["AUTHTUNA_TEST_POSTGRES_URL"], workers=workers, seconds=args.seconds
        )
    print(report.render_console(results))
    report.write(results, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
