"""`authtuna-grpc purge [--dry-run]` and the periodic purge in `serve`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from authtuna_grpc.config import Settings
from authtuna_grpc.server import start_server
from authtuna_grpc.services.audit_verification import AuditVerifier
from authtuna_grpc.services.clock import utc_now
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.accounts import count
from tests.audit_rows import audit_rows
from tests.retention_data import add_archived_user, add_events
from tests.compliance_processes import ROOT

LONG_AGO = timedelta(days=500)


def purge(database_url: str, *flags: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    if "AUTHTUNA_DB_PGBOUNCER" in os.environ:  # keep the run's PgBouncer mode
        env["AUTHTUNA_DB_PGBOUNCER"] = os.environ["AUTHTUNA_DB_PGBOUNCER"]
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "clients" / "python")])
    env.update({f"AUTHTUNA_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "authtuna_grpc", "purge", "--database-url", database_url, *flags],
        env=env, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture
async def units_on(database_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    """The fresh database, with no server: its chain starts empty."""
    engine = create_engine(database_url)
    yield UnitOfWorkFactory(engine)
    await engine.dispose()


async def test_purge_command_counts_on_a_dry_run_then_removes(database_url: str, units_on) -> None:
    await add_events(units_on, 5, utc_now() - LONG_AGO, "old")
    await add_archived_user(units_on, "gone-long-ago", utc_now() - LONG_AGO)
    await add_events(units_on, 3, utc_now(), "recent")
    retention = {"audit_retention_days": "400", "deleted_user_retention_days": "400"}

    dry = purge(database_url, "--dry-run", **retention)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0].startswith("audit events: 5 would be removed (occurred before ")
    assert lines[1].startswith("archived users: 1 would be removed (deleted before ")
    assert lines[1].endswith(", with 1 consent records")
    assert await count(units_on, tables.audit_event, tables.audit_event.c.id > 0) == 8

    done = purge(database_url, **retention)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("audit events: 5 removed")
    assert [r.request_id for r in await audit_rows(units_on, "USER_UPDATED")] == [f"recent-{i}" for i in range(3)]
    assert await count(units_on, tables.deleted_user, tables.deleted_user.c.id.is_not(None)) == 0
    report = await AuditVerifier(units_on).verify()
    assert report.intact and report.anchor.event_id == 5


async def test_purge_command_without_retention_keeps_everything(database_url: str, units_on) -> None:
    await add_events(units_on, 2, utc_now() - LONG_AGO, "old")
    result = purge(database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "audit events: kept forever (AUTHTUNA_AUDIT_RETENTION_DAYS is 0)",
        "archived users: kept forever (AUTHTUNA_DELETED_USER_RETENTION_DAYS is 0)",
    ]
    assert await count(units_on, tables.audit_event, tables.audit_event.c.id > 0) == 2


async def test_serve_purges_periodically_when_asked_to(settings: Settings) -> None:
    periodic = Settings(
        **{**settings.model_dump(), "purge_interval_seconds": 1, "deleted_user_retention_days": 400}
    )
    running = await start_server(periodic)
    try:
        units = UnitOfWorkFactory(running.engine)
        await add_archived_user(units, "purged-by-serve", utc_now() - LONG_AGO)
        deadline = time.monotonic() + 15
        while await count(units, tables.deleted_user, tables.deleted_user.c.id.is_not(None)):
            assert time.monotonic() < deadline, "the periodic purge did not run"
            await asyncio.sleep(0.2)
        [event] = await audit_rows(units, "DELETED_USERS_PURGED")
        assert event.details["deleted_users_removed"] == "1"
    finally:
        await running.stop(grace=1)
    assert all(task.done() for task in running.background)
