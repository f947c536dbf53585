"""What only PostgreSQL can show: concurrent writers committing out of order, and the
plans of prepared statements."""

from __future__ import annotations

import hashlib
import os

import pytest
from authtuna_api.user.v1 import user_service_pb2 as pb
from google.protobuf import duration_pb2
from sqlalchemy import text
from sqlalchemy.engine import make_url

from authtuna_grpc.domain.search import UserFilter
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.reads import create_read_engine
from authtuna_grpc.storage.user_search import UserSearchReader
from tests.backends import POSTGRES_ADMIN_ENV, selected_backends
from tests.callers import Callers
from tests.seeding import event
from tests.streams import is_heartbeat, read_until


@pytest.fixture(params=[b for b in selected_backends() if b == "postgresql"])
async def database_url(request: pytest.FixtureRequest, databases) -> str:
    return await databases[request.param].fresh()


def _watch(users, callers: Callers):
    return users.WatchAuditEvents(
        pb.WatchAuditEventsRequest(heartbeat_interval=duration_pb2.Duration(nanos=500_000_000)),
        metadata=callers.admin,
    )


async def test_events_reach_the_watch_in_commit_order(users, units, callers: Callers) -> None:
    """Ids are taken from the hash chain's head at commit, so the order is commit order."""
    call = _watch(users, callers)
    await read_until(call, is_heartbeat)
    async with units() as slow:
        await slow.audit_events.append(event(details={"n": "slow"}))  # appended first
        async with units() as fast:
            await fast.audit_events.append(event(details={"n": "fast"}))
            await fast.commit()
        first = await read_until(call, lambda m: bool(m.events))
        assert [e.details["n"] for m in first for e in m.events] == ["fast"]
        await slow.commit()
    late = await read_until(call, lambda m: bool(m.events))
    [slow_event] = [e for m in late for e in m.events]
    assert slow_event.details["n"] == "slow"
    assert slow_event.id == first[-1].events[0].id + 1
    call.cancel()


RAW_EVENT = text(
    "INSERT INTO audit_event (id, event_type, request_id, occurred_at, details, previous_hash, chain_hash) "
    "VALUES (:id, 'USER_CREATED', 'raw', now(), CAST(:details AS json), :hash, :hash)"
)


async def test_a_row_committed_late_below_the_newest_id_still_reaches_the_watch(
    server, users, units, callers: Callers
) -> None:
    """A writer outside the chain (an import script, a restore) may commit ids out of
    order; the watch keeps asking for the ids it skipped."""
    call = _watch(users, callers)
    start = (await read_until(call, is_heartbeat))[-1].resume_after_id
    async with server.engine.connect() as slow, server.engine.connect() as fast:
        await slow.begin()
        await slow.execute(RAW_EVENT, {"id": start + 1, "details": '{"n": "slow"}', "hash": "0" * 64})
        await fast.begin()
        await fast.execute(RAW_EVENT, {"id": start + 2, "details": '{"n": "fast"}', "hash": "0" * 64})
        await fast.commit()
        first = await read_until(call, lambda m: bool(m.events))
        assert [e.id for m in first for e in m.events] == [start + 2]
        assert first[-1].resume_after_id == start, "start + 1 is still outstanding"
        await slow.commit()
    late = await read_until(call, lambda m: bool(m.events))
    assert [e.id for m in late for e in m.events] == [start + 1]
    assert late[-1].resume_after_id == start + 2
    call.cancel()


SEED_USERS = """
INSERT INTO "user" (id, email, email_key, username, username_key, password_hash, is_active,
                    email_verified, is_service_account, attributes, created_at, updated_at, version)
SELECT gen_random_uuid(), 'p' || md5(i::text) || '@example.com', 'p' || md5(i::text) || '@example.com',
       'plan' || i, 'plan' || i, NULL, true, true, false, '{}', now(), now(), 1
FROM generate_series(1, 50000) AS i
"""


def _direct(database_url: str) -> str:
    """The same database without PgBouncer in between, when the run goes through it:
    named prepared statements and session settings are what this test is about, and
    behind PgBouncer's transaction mode the server uses neither (every statement is
    unnamed, so PostgreSQL plans it with its values each time)."""
    admin = os.environ.get(POSTGRES_ADMIN_ENV)
    if not admin:
        return database_url
    database = make_url(database_url).database
    return make_url(admin).set(database=database).render_as_string(hide_password=False)


async def test_identity_search_uses_the_trigram_index_on_every_execution(database_url: str) -> None:
    """asyncpg prepares each statement; after five executions PostgreSQL may switch to a
    generic plan that cannot see the pattern and ignores the trigram index. The search
    forces custom plans: the tenth execution is still planned with the index."""
    database_url = _direct(database_url)
    writer = create_engine(database_url)
    async with writer.begin() as connection:
        await connection.execute(text(SEED_USERS))
        await connection.execute(text('ANALYZE "user"'))
    await writer.dispose()
    engine = create_read_engine(database_url, db_pool_size=2)
    try:
        reader = UserSearchReader(engine)
        for n in range(10):
            term = _fragment(1000 + n)
            found = await reader.records(UserFilter(identity=term), after=None, skip=0, limit=11)
            assert f"plan{1000 + n}" in {record[2] for record in found}
        async with engine.connect() as connection:
            [(name, statement, generic, custom)] = (
                await connection.execute(
                    text(
                        "SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements "
                        "WHERE statement LIKE '%ESCAPE%' AND statement NOT LIKE '%pg_prepared%'"
                    )
                )
            ).all()
            assert (generic, custom) == (0, 10)
            pattern = f"'%{_fragment(1010)}%'"
            arguments = f"{pattern}, {pattern}, 11"
            custom_plan = await _explain(connection, name, arguments)
            await connection.execute(text("SET plan_cache_mode = force_generic_plan"))
            generic_plan = await _explain(connection, name, arguments)
            await connection.execute(text("RESET plan_cache_mode"))
        assert "ix_user_email_key_trgm" in custom_plan and "ix_user_username_key_trgm" in custom_plan
        assert "trgm" not in generic_plan, "the trap this test guards against"
    finally:
        await engine.dispose()


def _fragment(i: int) -> str:
    """Part of user i's email that is (almost certainly) nobody else's."""
    return hashlib.md5(str(i).encode()).hexdigest()[4:12]


async def _explain(connection, name: str, arguments: str) -> str:
    rows = (await connection.execute(text(f"EXPLAIN EXECUTE {name}({arguments})"))).scalars().all()
    return "\n".join(rows)


async def test_key_lookups_use_the_unique_indexes_not_the_trigram_ones(database_url: str) -> None:
    """pg_trgm's operator class supports `=` too. With the trigram indexes on the key
    columns, the planner answered a bulk import's `username_key = ANY(1000 keys)` probe
    from the GIN index (1.9 s at 50,000 users instead of 3 ms); on lower(key) they
    cannot serve an equality on the key."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            # Written in the same transaction, as an import does: no statistics yet.
            await connection.execute(text(SEED_USERS))
            await connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            # Which index wins depends on the statistics of the moment; with sequential
            # scans ruled out, every index that could serve the probe is a candidate.
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
            keys = [f"plan{i}" for i in range(20_000, 21_000)]
            for column in ("username_key", "email_key"):
                plan = "\n".join(
                    (
                        await connection.execute(
                            text(f'EXPLAIN SELECT {column} FROM "user" WHERE {column} = ANY(CAST(:keys AS varchar[]))'),
                            {"keys": keys},
                        )
                    ).scalars()
                )
                assert "trgm" not in plan, plan
    finally:
        await engine.dispose()
