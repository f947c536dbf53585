"""Server-side seeding for the search benchmark: users, role assignments, audit events.

Everything is generated inside PostgreSQL with INSERT … SELECT generate_series, so a
million users and five million events take a minute or two, not an hour of round trips.
Secondary indexes are dropped before the bulk load and rebuilt from their own
definitions afterwards (faster than maintaining them row by row).

Data shape (i = 1..N):
- user i: id a UUIDv7 of its created_at (one every 31 s from 2024-01-01), username
  `user<i>`, email `u<first 8 hex of md5(i)>.<i>@<one of 10 domains>`; 2 % suspended,
  two thirds verified, one in 1000 a service account, half with an attribute.
- every user holds Member at `global`; every 10th holds Auditor at `team:<k>` (k < 100);
  every 1000th holds UserManager at `global`.
- audit event j: user (j·7919 mod N)+1, actor one of the first 100 users, address one
  of 100,000 in 10.0.0.0/15, a type among the three known ones, one every 6 s; stand-in
  chain hashes, and the chain head moved past them.
"""

from __future__ import annotations

import time

import asyncpg

DOMAINS = [
    "example.com", "corp.example", "mail.example", "acme.test", "globex.test",
    "initech.test", "umbrella.test", "hooli.test", "vandelay.test", "stark.test",
]

BASE_EPOCH = "2024-01-01 00:00:00+00"
BASE_EPOCH_MS = 1_704_067_200_000

# User i's id, computed once: a join on this table is far cheaper than building
# millions of UUIDs from strings a second time for the role assignments and events.
USER_IDS = f"""
CREATE TEMP TABLE seed_user AS
SELECT i, (lpad(to_hex({BASE_EPOCH_MS} + i * 31000), 12, '0')
           || '7' || lpad(to_hex((i * 2654435761) % 4096), 3, '0')
           || '8' || lpad(to_hex(i), 15, '0'))::uuid AS id
FROM generate_series(1, $1::bigint) AS i;
"""
USER_IDS_KEY = "ALTER TABLE seed_user ADD PRIMARY KEY (i); ANALYZE seed_user"

USERS = f"""
INSERT INTO "user" (id, email, email_key, username, username_key, password_hash, is_active,
                    email_verified, is_service_account, attributes, created_at, updated_at,
                    last_login_at, suspended_at, suspension_reason, version)
SELECT u.id, e, e, 'user' || u.i, 'user' || u.i,
       CASE WHEN u.i % 10 <> 0 THEN '$argon2id$v=19$m=19456,t=2,p=1$c2VlZHNhbHRzZWVkc2FsdA$'
            || md5(u.i::text) END,
       u.i % 50 <> 0, u.i % 3 <> 0, u.i % 1000 = 0,
       CASE WHEN u.i % 2 = 0 THEN ('{{"department": "dept-' || u.i % 40 || '"}}')::json
            ELSE '{{}}'::json END,
       t, t, CASE WHEN u.i % 4 = 0 THEN t + interval '1 day' END,
       CASE WHEN u.i % 50 = 0 THEN t + interval '2 days' END,
       CASE WHEN u.i % 50 = 0 THEN 'seeded suspension' END,
       1
FROM (
  SELECT i, id, timestamptz '{BASE_EPOCH}' + i * interval '31 seconds' AS t,
         'u' || substr(md5(i::text), 1, 8) || '.' || i || '@'
         || (ARRAY{DOMAINS!r})[i % {len(DOMAINS)} + 1] AS e
  FROM seed_user
) AS u
"""

ASSIGNMENTS = f"""
INSERT INTO role_assignment (id, user_id, role_id, scope, granted_by, granted_at)
SELECT gen_random_uuid(), u.id, r.id, a.scope, NULL,
       timestamptz '{BASE_EPOCH}' + u.i * interval '31 seconds'
FROM seed_user AS u
CROSS JOIN LATERAL (
  VALUES ('member', 'global', true),
         ('auditor', 'team:' || (u.i / 10) % 100, u.i % 10 = 0),
         ('usermanager', 'global', u.i % 1000 = 0)
) AS a(role_key, scope, held)
JOIN role AS r ON r.name_key = a.role_key
WHERE a.held
"""

EVENTS = f"""
INSERT INTO audit_event (id, event_type, user_id, actor_id, ip_address, ip_address_key,
                         request_id, occurred_at, details, previous_hash, chain_hash)
SELECT $3::bigint + j, (ARRAY['USER_CREATED', 'ROLE_ASSIGNED', 'API_TOKEN_CREATED'])[j % 3 + 1],
       subject.id, actor.id,
       '10.' || (p >> 16) || '.' || ((p >> 8) & 255) || '.' || (p & 255),
       lpad('ffff' || lpad(to_hex((10 << 24) + p), 8, '0'), 32, '0'),
       substr(md5(j::text), 1, 16),
       timestamptz '{BASE_EPOCH}' + j * interval '6 seconds',
       ('{{"seq": "' || j || '"}}')::json,
       md5((j - 1)::text) || md5((j - 1)::text), md5(j::text) || md5(j::text)
FROM (SELECT j, (j * 7) % 100000 AS p FROM generate_series(1, $1::bigint) AS j) AS s
JOIN seed_user AS subject ON subject.i = (s.j * 7919) % $2::bigint + 1
JOIN seed_user AS actor ON actor.i = s.j % 100 + 1
"""

# New events go after the seeded ones on the hash chain. (The seeded hashes are stand-ins:
# VerifyAuditLog would reject them; the benchmark never asks it to.)
CHAIN_HEAD = """
UPDATE audit_chain_head
SET event_id = (SELECT coalesce(max(id), 0) FROM audit_event),
    chain_hash = (SELECT chain_hash FROM audit_event ORDER BY id DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM audit_event)
"""

SECONDARY_INDEXES = """
SELECT c.relname, pg_get_indexdef(c.oid)
FROM pg_index AS x
JOIN pg_class AS c ON c.oid = x.indexrelid
JOIN pg_class AS t ON t.oid = x.indrelid
WHERE t.relname = ANY($1::text[]) AND NOT x.indisprimary AND NOT x.indisunique
"""


async def _chain_end(connection: asyncpg.Connection) -> int:
    """Events take their ids from the hash chain's head, not a sequence: continue after it."""
    return int(await connection.fetchval("SELECT event_id FROM audit_chain_head"))


async def seed(dsn: str, *, users: int, events: int, log: object = print) -> dict[str, float]:
    """Fill an empty, migrated database; returns seconds per step."""
    timings: dict[str, float] = {}
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "SET maintenance_work_mem = '512MB'; SET synchronous_commit = off;"
            " SET max_parallel_maintenance_workers = 2"
        )
        await connection.execute(USER_IDS, users)
        await connection.execute(USER_IDS_KEY)
        tables = ["user", "role_assignment", "audit_event"]
        indexes = await connection.fetch(SECONDARY_INDEXES, tables)
        for row in indexes:
            await connection.execute(f'DROP INDEX "{row["relname"]}"')
        for name, sql, args in (
            ("users", USERS, ()),
            ("role assignments", ASSIGNMENTS, ()),
            ("audit events", EVENTS, (events, users, await _chain_end(connection))),
        ):
            started = time.perf_counter()
            await connection.execute(sql, *args)
            timings[name] = time.perf_counter() - started
            log(f"seeded {name} in {timings[name]:.1f} s")  # type: ignore[operator]
        await connection.execute(CHAIN_HEAD)
        started = time.perf_counter()
        for row in indexes:
            await connection.execute(row["pg_get_indexdef"])
        timings["indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - started
        log(  # type: ignore[operator]
            f"rebuilt {len(indexes)} indexes in {timings['indexes']:.1f} s, "
            f"vacuum analyze {timings['vacuum analyze']:.1f} s"
        )
    finally:
        await connection.close()
    return timings
