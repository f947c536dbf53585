"""Where a GetUser's CPU goes: `python bench/breakdown.py`.

One server process on PostgreSQL (started by the command, like bench/perf.py) and the echo
ceiling, each call kind at 64 in flight through ghz; prints the server's CPU per call for
the bare echo, the health check through the service's observability interceptor, GetUser
refused for an unknown token (one statement), GetUser refused for a malformed id (the token
statement), and GetUser (two statements and the response). The differences between rows
are what each step adds; docs/benchmarks.md ("Reading the ceilings") quotes a run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ceilings, service  # noqa: E402
from bench.loadgen import run_ghz  # noqa: E402
from bench.machine import describe  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("AUTHTUNA_TEST_POSTGRES_URL"):
        return subprocess.call([str(ROOT / "scripts" / "postgres"), sys.executable, *sys.argv])

    rows: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        [(_, echo_cpu)] = ceilings.echo(seconds=args.seconds, concurrency=(64,)).values()
        rows.setdefault("bare grpc.aio echo (the ceiling)", []).append(echo_cpu)
        server = service.Server(service.fresh_database(os.environ["AUTHTUNA_TEST_POSTGRES_URL"]), 1)
        try:
            user_id = service.create_target(server.address)
            get = f"{service.SERVICE}/GetUser"
            calls = [
                ("grpc.health.v1.Health/Check on the service", "grpc.health.v1.Health/Check", {}, None),
                ("GetUser, unknown token", get, {"id": user_id}, "atk_unknown"),
                ("GetUser, malformed id", get, {"id": "not-a-uuid"}, service.TOKEN),
                ("GetUser", get, {"id": user_id}, service.TOKEN),
            ]
            for name, method, data, token in calls:
                run_ghz(server.address, method, data=data, token=token, concurrency=8, seconds=1)
                before = server.cpu()
                load = run_ghz(server.address, method, data=data, token=token, concurrency=64, seconds=args.seconds)
                rows.setdefault(name, []).append((server.cpu() - before) / max(load.calls, 1) * 1e6)
        finally:
            server.stop()
    print(f"{describe()}; 64 in flight, {args.seconds:g} s per call kind, {args.rounds} rounds")
    print("| call | server CPU µs/call |\n|---|---:|")
    for name, values in rows.items():
        print(f"| {name} | {', '.join(f'{v:,.0f}' for v in values)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
