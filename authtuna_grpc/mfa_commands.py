"""Command line for two-factor keys: `authtuna-grpc mfa new-key` and `mfa rotate-key`.

new-key prints a fresh `id:key` entry for AUTHTUNA_MFA_ENCRYPTION_KEYS to stdout, alone
on its line. rotate-key re-encrypts every stored TOTP secret under the first key of
AUTHTUNA_MFA_ENCRYPTION_KEYS, on the database directly (no running server needed).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
from datetime import UTC, datetime

from authtuna_grpc.config import Settings
from authtuna_grpc.domain.errors import DomainError
from authtuna_grpc.domain.two_factor import ENCRYPTION_KEY_BYTES
from authtuna_grpc.services import clock
from authtuna_grpc.services.key_rotation import reseal_secrets
from authtuna_grpc.services.secret_box import SecretBox
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

COMMAND = "mfa"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mfa = commands.add_parser("mfa", help="keys that encrypt TOTP secrets")
    actions = mfa.add_subparsers(dest="action", required=True)
    new_key = actions.add_parser("new-key", help="print a new id:key entry to stdout")
    new_key.add_argument("--id", help="key id (default: k<UTC date and time>)")
    rotate = actions.add_parser(
        "rotate-key",
        help="re-encrypt every TOTP secret with the first key of AUTHTUNA_MFA_ENCRYPTION_KEYS",
    )
    rotate.add_argument("--database-url", help="overrides AUTHTUNA_DATABASE_URL")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "new-key":
        return _new_key(args.id)
    box = SecretBox.from_setting(settings.mfa_keys)
    if box is None:
        _say("AUTHTUNA_MFA_ENCRYPTION_KEYS is not set")
        return 2
    engine = create_engine(settings.database_url, pgbouncer=settings.db_pgbouncer)
    try:
        if not await migrations.is_current(engine):
            _say("the database schema is not current: run `authtuna-grpc migrate` first")
            return 1
        count = await reseal_secrets(UnitOfWorkFactory(engine), box, clock.utc_now)
    except DomainError as error:
        _say(error.message)
        return 1
    finally:
        await engine.dispose()
    _say(f"re-encrypted {count} TOTP secret(s) with key {box.current_key_id!r}")
    return 0


def _new_key(key_id: str | None) -> int:
    key_id = key_id or datetime.now(UTC).strftime("k%Y%m%d%H%M%S")
    if not _KEY_ID.fullmatch(key_id):
        _say("--id must be 1-32 characters of A-Za-z0-9._-")
        return 2
    key = base64.urlsafe_b64encode(os.urandom(ENCRYPTION_KEY_BYTES)).decode("ascii")
    print(f"{key_id}:{key}")
    return 0


def _say(message: str) -> None:
    print(f"authtuna-grpc: {message}", file=sys.stderr)
