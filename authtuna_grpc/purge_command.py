"""`authtuna-grpc purge [--dry-run]`: remove audit events and archived users past the
configured retention (AUTHTUNA_AUDIT_RETENTION_DAYS, AUTHTUNA_DELETED_USER_RETENTION_DAYS).

Works on the database directly, as the system (each batch is audited with no actor and
request id "system"). The counts go to stdout, one line per kind of row.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from authtuna_grpc.config import Settings
from authtuna_grpc.services import clock
from authtuna_grpc.services.retention import PurgeReport, Purger
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

COMMAND = "purge"


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """The `purge` parser; the caller adds the settings flags."""
    purge = commands.add_parser(
        COMMAND, help="remove audit events and archived users past their retention"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    return purge


async def run(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url, pgbouncer=settings.db_pgbouncer)
    try:
        if not await migrations.is_current(engine):
            print("authtuna-grpc: the database schema is not current: run `authtuna-grpc migrate` first", file=sys.stderr)
            return 1
        purger = Purger(UnitOfWorkFactory(engine), settings.retention, clock.utc_now)
        report = await purger.purge(dry_run=args.dry_run)
    finally:
        await engine.dispose()
    for line in describe(report):
        print(line)
    return 0


def describe(report: PurgeReport) -> list[str]:
    verb = "would be removed" if report.dry_run else "removed"
    return [
        _line("audit events", report.audit_events, verb, "occurred", report.audit_cutoff,
              "AUTHTUNA_AUDIT_RETENTION_DAYS"),
        _line("archived users", report.deleted_users, verb, "deleted", report.deleted_user_cutoff,
              "AUTHTUNA_DELETED_USER_RETENTION_DAYS")
        + (f", with {report.consents} consent records" if report.deleted_user_cutoff else ""),
    ]


def _line(kind: str, count: int, verb: str, happened: str, cutoff: datetime | None, setting: str) -> str:
    if cutoff is None:
        return f"{kind}: kept forever ({setting} is 0)"
    return f"{kind}: {count} {verb} ({happened} before {cutoff.isoformat(timespec='seconds')})"
