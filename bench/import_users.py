"""ImportUsers throughput on PostgreSQL, in one command: `python bench/import_users.py`.

Starts its own PostgreSQL (via scripts/postgres, unless AUTHTUNA_TEST_POSTGRES_URL is
set). Each round (3 by default) starts a server process on a fresh database, streams
100,000 users sharing one bcrypt hash (no plaintext passwords: nothing is hashed on
import) from a client in this process — first as a validate_only dry run, then for real
— and signs one imported user in by its original password, to check that it works and
that its hash becomes argon2id. Writes every round and the median into docs/benchmarks.md
under "Bulk import" (between markers, so other sections stay).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import bcrypt  # noqa: E402
import grpc  # noqa: E402
from authtuna_api.user.v1 import compliance_pb2, compliance_service_pb2_grpc, session_service_pb2_grpc  # noqa: E402
from authtuna_api.user.v1 import compliance_service_pb2 as cpb  # noqa: E402
from authtuna_api.user.v1 import session_service_pb2 as spb  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.machine import cpu_seconds, describe, process_tree  # noqa: E402
from bench.sections import replace_section  # noqa: E402
from bench.service import TOKEN, Server, fresh_database  # noqa: E402

BEGIN, END = "<!-- import:begin -->", "<!-- import:end -->"
PASSWORD = "Imported-Pass-1"
TARGET = 5_000.0
AUTH = (("authorization", f"Bearer {TOKEN}"),)


@dataclass
class Run:
    rows: int
    seconds: float
    server_cpu: float
    database_cpu: float
    outcomes: dict[str, int]

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def requests(count: int, batch: int, password_hash: str, validate_only: bool) -> list[cpb.ImportUsersRequest]:
    """Built before the clock starts: the client's cost is not the server's."""
    return [
        cpb.ImportUsersRequest(
            users=[
                compliance_pb2.ImportedUser(
                    email=f"user{i}@example.com", username=f"user{i}", password_hash=password_hash
                )
                for i in range(start, min(start + batch, count))
            ],
            validate_only=validate_only,
        )
        for start in range(0, count, batch)
    ]


async def postmaster(database_url: str) -> int:
    """The PostgreSQL server's process id (it runs on this machine), to measure its CPU."""
    connection = await asyncpg.connect(_admin_dsn(database_url))
    try:
        backend = await connection.fetchval("SELECT pg_backend_pid()")
        # Read while the backend lives: its parent is the server.
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    finally:
        await connection.close()


async def stream(address: str, batches: list[cpb.ImportUsersRequest], server: Server, database: int) -> Run:
    outcomes: dict[str, int] = {}
    async with grpc.aio.insecure_channel(address) as channel:
        stub = compliance_service_pb2_grpc.ComplianceServiceStub(channel)
        database_before = cpu_seconds(process_tree(database))
        cpu_before, started = server.cpu(), time.perf_counter()
        async for response in stub.ImportUsers(iter(batches), metadata=AUTH):
            for result in response.results:
                name = compliance_pb2.ImportOutcome.Name(result.outcome)
                outcomes[name] = outcomes.get(name, 0) + 1
        seconds = time.perf_counter() - started
        server_cpu = server.cpu() - cpu_before
        database_cpu = cpu_seconds(process_tree(database)) - database_before
    rows = sum(len(b.users) for b in batches)
    return Run(rows, seconds, server_cpu, database_cpu, outcomes)


async def sign_in_and_check(address: str, database_url: str, username: str) -> tuple[str, str]:
    """(hash scheme before, after) of `username` around a sign-in with its password."""
    async def scheme() -> str:
        connection = await asyncpg.connect(_admin_dsn(database_url))
        try:
            value = await connection.fetchval('SELECT password_hash FROM "user" WHERE username = $1', username)
        finally:
            await connection.close()
        return str(value).split("$")[1]

    before = await scheme()
    async with grpc.aio.insecure_channel(address) as channel:
        sessions = session_service_pb2_grpc.SessionServiceStub(channel)
        await sessions.SignIn(spb.SignInRequest(identity=username, password=PASSWORD), metadata=AUTH)
    return before, await scheme()


@dataclass
class Round:
    load: float  # the machine's 1-minute load average just before the round
    dry: Run
    real: Run
    rehash: tuple[str, str]


def _row(name: str, load: float, run: Run) -> str:
    server_us = run.server_cpu / run.rows * 1e6
    database_us = run.database_cpu / run.rows * 1e6
    outcomes = ", ".join(f"{k.removeprefix('IMPORT_OUTCOME_').lower()} {v:,}" for k, v in sorted(run.outcomes.items()))
    return (
        f"| {name} | {load:.1f} | {run.rows:,} | {run.seconds:.1f} | {run.per_second:,.0f} | "
        f"{server_us:,.0f} | {database_us:,.0f} | {outcomes} |"
    )


def render(rounds: list[Round], batch: int) -> str:
    median = sorted(rounds, key=lambda r: r.real.per_second)[len(rounds) // 2]
    met = "met" if median.real.per_second >= TARGET else "NOT met"
    rows = []
    for number, one in enumerate(rounds, start=1):
        rows.append(_row(f"{number}: ImportUsers, validate_only", one.load, one.dry))
        rows.append(_row(f"{number}: ImportUsers", one.load, one.real))
    server_us = median.real.server_cpu / median.real.rows * 1e6
    return "\n".join(
        [
            BEGIN,
            "## Bulk import",
            "",
            f"Measured {datetime.date.today().isoformat()} on {describe()}.",
            f"Command: `python bench/import_users.py` ({len(rounds)} rounds, each on a fresh database with "
            "its own server process, on PostgreSQL 15 started by the command; a Python grpc.aio client "
            f"streams {batch} users per request, built before timing).",
            "Every user carries the same bcrypt hash (`$2b$04$…`): no plaintext password, so nothing is "
            "hashed during the import; each imported row writes its user and a USER_IMPORTED audit event "
            "on the hash chain. The load column is the machine's 1-minute load average before the round "
            "(2 = both cores already busy): users/s depends on it, the CPU columns hardly do.",
            "",
            "| round | load | users | seconds | users/s | server CPU µs/user | PostgreSQL CPU µs/user | results |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
            *rows,
            "",
            f"Target ≥ {TARGET:,.0f} users/s on PostgreSQL: **{met}** (median round "
            f"{median.real.per_second:,.0f} users/s). At {server_us:,.0f} µs of server CPU per user, one "
            f"idle core would allow about {1e6 / server_us:,.0f} users/s.",
            f"After each round one imported user signed in with its original password: its hash went from "
            f"`{median.rehash[0]}` to `{median.rehash[1]}`.",
            END,
        ]
    )


def one_round(base_url: str, users: int, batch: int, password_hash: str) -> Round:
    database_url = fresh_database(base_url)
    database = asyncio.run(postmaster(database_url))
    load = os.getloadavg()[0]
    server = Server(database_url, workers=1)
    try:
        dry = asyncio.run(stream(server.address, requests(users, batch, password_hash, True), server, database))
        real = asyncio.run(stream(server.address, requests(users, batch, password_hash, False), server, database))
        rehash = asyncio.run(sign_in_and_check(server.address, database_url, f"user{users // 2}"))
    finally:
        server.stop()
    for run in (dry, real):
        print(
            f"{run.rows:,} users in {run.seconds:.1f}s: {run.per_second:,.0f} users/s; CPU µs/user: "
            f"server {run.server_cpu / run.rows * 1e6:.0f}, PostgreSQL {run.database_cpu / run.rows * 1e6:.0f}; "
            f"{run.outcomes}"
        )
    print(f"sign-in after import: {rehash[0]} -> {rehash[1]}")
    return Round(load, dry, real, rehash)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="users per request (1-1000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if not os.environ.get("AUTHTUNA_TEST_POSTGRES_URL"):
        return subprocess.call([str(ROOT / "scripts" / "postgres"), sys.executable, *sys.argv])
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    rounds = [
        one_round(os.environ["AUTHTUNA_TEST_POSTGRES_URL"], args.users, args.batch, password_hash)
        for _ in range(args.rounds)
    ]
    replace_section(args.output, BEGIN, END, render(rounds, args.batch))
    ok = all(
        r.real.outcomes.get("IMPORT_OUTCOME_IMPORTED") == args.users and r.rehash[1] == "argon2id" for r in rounds
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
