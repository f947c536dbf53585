"""Search and audit streams at a million users: `python bench/search.py`.

Starts a throwaway PostgreSQL (scripts/postgres), seeds 1M users with role assignments
and 5M audit events (bench/search_seed.py), starts the real server (`python -m authtuna_grpc
serve`) and measures over gRPC from this process; writes the results into the "Search
and audit streams" section of docs/benchmarks.md, and removes the cluster.

  python bench/search.py [--users 1000000] [--events 5000000] [--no-report]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

import asyncpg  # noqa: E402
import grpc  # noqa: E402
from authtuna_api.user.v1 import user_service_pb2_grpc  # noqa: E402
from authtuna_api.user.v1 import user_service_pb2 as pb  # noqa: E402
from google.protobuf import duration_pb2, timestamp_pb2  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from authtuna_grpc.domain.audit import AuditEvent, EventType  # noqa: E402
from authtuna_grpc.domain.paging import encode_page_token  # noqa: E402
from authtuna_grpc.services import clock  # noqa: E402
from authtuna_grpc.services.bootstrap import bootstrap_admin  # noqa: E402
from authtuna_grpc.storage import migrations  # noqa: E402
from authtuna_grpc.storage.database import create_engine  # noqa: E402
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory  # noqa: E402
from bench.search_processes import Postgres, Server  # noqa: E402
from bench.search_report import write_report  # noqa: E402
from bench.search_seed import BASE_EPOCH_MS, seed  # noqa: E402

TOKEN = "atk_search-benchmark-token-0123456789abcdefghij"
METADATA = (("authorization", f"Bearer {TOKEN}"),)
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]


@dataclass
class Stream:
    first_ms: float
    items: int
    seconds: float
    messages: int

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    seeding: dict[str, float] = field(default_factory=dict)
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    explain: str = ""

    def add(self, what: str, first: str, rate: str, target: str = "") -> None:
        self.rows.append((what, first, rate, target))
        print(f"{what:55} {first:>14} {rate:>20}  {target}", flush=True)


async def timed(call, count) -> Stream:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    first, items, messages = 0.0, 0, 0
    async for message in call:
        if not messages:
            first = (time.perf_counter() - started) * 1000
        messages += 1
        items += count(message)
    return Stream(first, items, time.perf_counter() - started, messages)


async def first_batch(stub, request) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds until the first message; then the stream is cancelled."""
    started = time.perf_counter()
    call = stub.SearchUsers(request, metadata=METADATA)
    await call.read()
    elapsed = (time.perf_counter() - started) * 1000
    call.cancel()
    return elapsed


def users_in(message) -> int:  # type: ignore[no-untyped-def]
    return len(message.users)


def events_in(message) -> int:  # type: ignore[no-untyped-def]
    return len(message.events)


def fragment(i: int) -> str:
    """Six characters of user i's email that almost no other email contains."""
    return hashlib.md5(str(i).encode()).hexdigest()[1:7]


def ms(value: float) -> str:
    return f"{value:.1f} ms"


async def prepare(url: str, users: int, events: int, results: Results) -> None:
    admin = await asyncpg.connect(make_url(url).set(drivername="postgresql", database="postgres").render_as_string(False))
    await admin.execute("CREATE DATABASE authtuna_bench")
    await admin.close()
    engine = create_engine(bench_url(url))
    await migrations.upgrade(engine)
    await bootstrap_admin(UnitOfWorkFactory(engine), clock.utc_now, clock.new_id, TOKEN)
    await engine.dispose()
    started = time.perf_counter()
    results.seeding = await seed(driver_url(url), users=users, events=events)
    results.seeding["total"] = time.perf_counter() - started


def bench_url(url: str) -> str:
    return make_url(url).set(database="authtuna_bench").render_as_string(False)


def driver_url(url: str) -> str:
    return make_url(bench_url(url)).set(drivername="postgresql").render_as_string(False)


async def search_benchmarks(stub, server: Server, url: str, users: int, results: Results) -> None:  # type: ignore[no-untyped-def]
    search = stub.SearchUsers
    await timed(search(pb.SearchUsersRequest(identity=fragment(1)), metadata=METADATA), users_in)
    firsts = []
    for i in range(20):
        term = fragment((7919 * i + 11) % users + 1)
        run = await timed(search(pb.SearchUsersRequest(identity=term), metadata=METADATA), users_in)
        firsts.append(run.first_ms)
    results.add(
        "SearchUsers identity, selective (1 match), 20 terms",
        f"p50 {ms(statistics.median(firsts))}",
        f"max {ms(max(firsts))}",
        "first batch < 20 ms",
    )
    domains = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "corp.ex", "mail.ex", "example.com"]
    firsts = [await first_batch(stub, pb.SearchUsersRequest(identity=d)) for d in domains]
    broad = await timed(search(pb.SearchUsersRequest(identity="acme"), metadata=METADATA), users_in)
    results.add(
        f"SearchUsers identity, broad (a domain: {broad.items:,} users)",
        f"p50 {ms(statistics.median(firsts))}, max {ms(max(firsts))} (10 domains)",
        f"{broad.rate:,.0f} users/s",
        "first batch < 50 ms",
    )
    firsts = [await first_batch(stub, pb.SearchUsersRequest(role="auditor", scope=f"team:{k}")) for k in range(10)]
    role = await timed(search(pb.SearchUsersRequest(role="auditor", scope="team:7"), metadata=METADATA), users_in)
    results.add(
        f"SearchUsers role+scope (Auditor@team:<k>: {role.items:,} users)",
        f"p50 {ms(statistics.median(firsts))}, max {ms(max(firsts))} (10 teams)",
        f"{role.rate:,.0f} users/s",
    )
    member = await timed(search(pb.SearchUsersRequest(role="member", scope="global", limit=200_000), metadata=METADATA), users_in)
    results.add(f"SearchUsers role+scope (Member@global, first {member.items:,})", ms(member.first_ms), f"{member.rate:,.0f} users/s")
    await memory_and_full_stream(stub, server, results)
    await resumed_page(stub, url, users, results)


async def memory_and_full_stream(stub, server: Server, results: Results) -> None:  # type: ignore[no-untyped-def]
    peaks = {}
    for limit in (100_000, 0):
        server.reset_peak_rss()
        baseline, cpu = server.rss_kib(), server.cpu_seconds()
        run = await timed(stub.SearchUsers(pb.SearchUsersRequest(limit=limit), metadata=METADATA), users_in)
        peaks[limit] = server.peak_rss_kib()
        per_user = (server.cpu_seconds() - cpu) / run.items * 1e6
        label = f"SearchUsers unfiltered, {run.items:,} users"
        results.add(label, ms(run.first_ms), f"{run.rate:,.0f} users/s", "≥ 250k users/s")
        results.notes.append(
            f"Server CPU streaming {run.items:,} users: {per_user:.1f} µs a user, i.e. "
            f"{1e6 / per_user:,.0f} users/s if the server had a core to itself."
        )
        results.notes.append(
            f"Server RSS streaming {run.items:,} users: {baseline / 1024:.1f} MiB before, peak {peaks[limit] / 1024:.1f} MiB."
        )
    growth = (peaks[0] - peaks[100_000]) / 1024
    results.add("Server peak RSS, 1M-user stream minus 100k-user stream", "", f"{growth:+.1f} MiB", "< +10 MiB")


async def resumed_page(stub, url: str, users: int, results: Results) -> None:  # type: ignore[no-untyped-def]
    depth = users * 99 // 100
    connection = await asyncpg.connect(driver_url(url))
    try:
        after = await connection.fetchval('SELECT id FROM "user" ORDER BY id OFFSET $1 LIMIT 1', depth - 1)
        keyset = await connection.fetch('EXPLAIN ANALYZE SELECT * FROM "user" WHERE id > $1 ORDER BY id LIMIT 1000', after)
        offset = await connection.fetch('EXPLAIN ANALYZE SELECT * FROM "user" ORDER BY id OFFSET $1 LIMIT 1000', depth)
    finally:
        await connection.close()
    token = encode_page_token(uuid.UUID(str(after)))
    for size in (100, 1000):
        firsts = []
        for _ in range(10):
            request = pb.SearchUsersRequest(page_token=token, limit=size, batch_size=size)
            firsts.append((await timed(stub.SearchUsers(request, metadata=METADATA), users_in)).first_ms)
        results.add(f"SearchUsers resumed at depth {depth:,} ({size} users), 10 runs", f"p50 {ms(statistics.median(firsts))}", f"max {ms(max(firsts))}", "< 5 ms")
    results.notes.append(
        f"The database page itself at depth {depth:,}: keyset {_execution(keyset)}, "
        f"OFFSET {_execution(offset)} (EXPLAIN ANALYZE)."
    )


def _execution(plan: list[asyncpg.Record]) -> str:
    line = next(r[0] for r in plan if r[0].startswith("Execution Time"))
    return line.split(":", 1)[1].strip()


async def audit_benchmarks(stub, url: str, events: int, results: Results) -> None:  # type: ignore[no-untyped-def]
    connection = await asyncpg.connect(driver_url(url))
    try:
        subjects = [str(r[0]) for r in await connection.fetch('SELECT id FROM "user" ORDER BY id OFFSET 1000 LIMIT 20')]
    finally:
        await connection.close()
    listing = stub.ListAuditEvents
    await timed(listing(pb.ListAuditEventsRequest(user_id=subjects[0]), metadata=METADATA), events_in)
    runs = [await timed(listing(pb.ListAuditEventsRequest(user_id=s), metadata=METADATA), events_in) for s in subjects]
    results.add(
        f"ListAuditEvents by user (~{statistics.mean(r.items for r in runs):.0f} events), 20 users",
        f"p50 {ms(statistics.median(r.first_ms for r in runs))}", f"complete p50 {ms(statistics.median(r.seconds * 1000 for r in runs))}",
    )
    runs = [await timed(listing(pb.ListAuditEventsRequest(ip_address=f"10.0.{k}.{k}"), metadata=METADATA), events_in) for k in range(20)]
    results.add(
        f"ListAuditEvents by IP address (~{statistics.mean(r.items for r in runs):.0f} events), 20 addresses",
        f"p50 {ms(statistics.median(r.first_ms for r in runs))}", f"complete p50 {ms(statistics.median(r.seconds * 1000 for r in runs))}",
    )
    cidr = await timed(listing(pb.ListAuditEventsRequest(ip_address="10.0.3.0/24"), metadata=METADATA), events_in)
    results.add(f"ListAuditEvents by CIDR 10.0.3.0/24 ({cidr.items:,} events)", ms(cidr.first_ms), f"{cidr.rate:,.0f} events/s")
    day = BASE_EPOCH_MS // 1000 + events * 6 // 2 // 86400 * 86400  # mid-trail (one event every 6 s)
    window = pb.ListAuditEventsRequest(
        event_types=["ROLE_ASSIGNED"], since=timestamp_pb2.Timestamp(seconds=day), until=timestamp_pb2.Timestamp(seconds=day + 86400)
    )
    typed = await timed(listing(window, metadata=METADATA), events_in)
    results.add(f"ListAuditEvents by type + one day ({typed.items:,} events)", ms(typed.first_ms), f"{typed.rate:,.0f} events/s")
    everything = await timed(listing(pb.ListAuditEventsRequest(limit=1_000_000), metadata=METADATA), events_in)
    results.add(f"ListAuditEvents unfiltered, newest {everything.items:,}", ms(everything.first_ms), f"{everything.rate:,.0f} events/s")
    await watch_latency(stub, url, results)


async def watch_latency(stub, url: str, results: Results) -> None:  # type: ignore[no-untyped-def]
    """Commit an event through a separate connection; time until the watch delivers it."""
    call = stub.WatchAuditEvents(
        pb.WatchAuditEventsRequest(event_types=["API_TOKEN_CREATED"], heartbeat_interval=duration_pb2.Duration(seconds=1)),
        metadata=METADATA,
    )
    await call.read()  # the first heartbeat: the watch runs
    committed: dict[str, float] = {}
    latencies: list[float] = []

    async def receive() -> None:
        while len(latencies) < 40:
            message = await call.read()
            for event in message.events:
                if (tag := event.details.get("bench")) in committed:
                    latencies.append((time.perf_counter() - committed[tag]) * 1000)

    receiver = asyncio.ensure_future(receive())
    # A separate engine in this process: to the server, a writer like any other process.
    writer = UnitOfWorkFactory(create_engine(bench_url(url)))
    try:
        for n in range(40):
            async with writer() as uow:
                await uow.audit_events.append(
                    AuditEvent(EventType.API_TOKEN_CREATED, None, None, None, "bench", clock.utc_now(), {"bench": str(n)})
                )
                await uow.commit()
            committed[str(n)] = time.perf_counter()
            await asyncio.sleep(0.05 + (n % 7) * 0.037)
        await asyncio.wait_for(receiver, 10)
    finally:
        await writer.engine.dispose()
        call.cancel()
    latencies.sort()
    results.add(
        "WatchAuditEvents commit-to-delivery, 40 events (poll 250 ms)",
        f"p50 {ms(latencies[len(latencies) // 2])}",
        f"p95 {ms(latencies[int(len(latencies) * 0.95)])}, max {ms(latencies[-1])}",
    )


async def read_paths(url: str, results: Results) -> None:
    """Reading users without gRPC, in this process: the ceiling the stream works against,
    and the ordinary SQLAlchemy Core path (Row objects, type processing, a User each)
    that the PostgreSQL stream path avoids."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    from authtuna_grpc.domain.search import UserFilter
    from authtuna_grpc.storage.user_search import page_bounds, postgresql_statement

    statement = postgresql_statement(dialect(), UserFilter(), True, False)
    connection = await asyncpg.connect(driver_url(url))
    try:
        after, count, started = uuid.UUID(int=0), 0, time.perf_counter()
        while rows := await connection.fetch(statement.sql, *statement.arguments(page_bounds(after, 0, 1000))):
            count += len(rows)
            after = uuid.UUID(rows[-1][0])
        rate = count / (time.perf_counter() - started)
    finally:
        await connection.close()
    results.add(f"Ceiling: asyncpg keyset read of {count:,} user rows, as the stream reads them (no gRPC)", "", f"{rate:,.0f} rows/s")
    engine = create_engine(bench_url(url))
    try:
        core_after, core_count, started = None, 0, time.perf_counter()
        while core_count < 100_000:
            async with UnitOfWorkFactory(engine)() as uow:
                page = await uow.users.page(after=core_after, skip=0, limit=1000)
            core_count += len(page)
            core_after = page[-1].id
        core_rate = core_count / (time.perf_counter() - started)
    finally:
        await engine.dispose()
    results.add(f"For contrast: SQLAlchemy Core rows → User objects ({core_count:,} users, no gRPC)", "", f"{core_rate:,.0f} users/s")


async def explain_identity(url: str, results: Results) -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    from authtuna_grpc.domain.search import UserFilter
    from authtuna_grpc.storage.user_search import page_bounds, postgresql_statement

    statement = postgresql_statement(dialect(), UserFilter(identity=fragment(4242)), False, False)
    connection = await asyncpg.connect(driver_url(url))
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            plan = await connection.fetch(
                "EXPLAIN (ANALYZE, COSTS OFF) " + statement.sql, *statement.arguments(page_bounds(None, 0, 1001))
            )
    finally:
        await connection.close()
    results.explain = f"-- identity = {fragment(4242)!r} (part of user 4242's email)\n" + "\n".join(r[0] for r in plan)


def machine() -> dict[str, str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{int(memory) / 1024 / 1024:.0f} GiB",
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


async def run(users: int, events: int, report: bool) -> None:
    results = Results(machine=machine())
    postgres = Postgres.start()
    try:
        await prepare(postgres.url, users, events, results)
        server = Server.start(bench_url(postgres.url))
        try:
            async with grpc.aio.insecure_channel(server.address, options=CHANNEL_OPTIONS) as channel:
                stub = user_service_pb2_grpc.UserServiceStub(channel)
                await search_benchmarks(stub, server, postgres.url, users, results)
                await audit_benchmarks(stub, postgres.url, events, results)
        finally:
            server.stop()
        await read_paths(postgres.url, results)
        await explain_identity(postgres.url, results)
    finally:
        postgres.stop()
    results.machine["load after"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(results.explain)
    if report:
        write_report(ROOT / "docs" / "benchmarks.md", results, users=users, events=events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--no-report", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    asyncio.run(run(args.users, args.events, not args.no_report))


if __name__ == "__main__":
    main()
