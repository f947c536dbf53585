"""Command line for operators: `authtuna-grpc token …` and `authtuna-grpc identity …`.

These work on the database directly (no running server needed), as the system: every
change is audited with no actor and request id "system". A token's secret goes to
stdout, alone on its line, so it can be captured; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from authtuna_grpc.config import Settings
from authtuna_grpc.domain.errors import DomainError
from authtuna_grpc.services import clock
from authtuna_grpc.services.service_accounts import ServiceAccounts
from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory

COMMANDS = ("token", "identity")
MAX_EXPIRY_DAYS = 3650


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="issue API tokens (prints the secret once)")
    create = token.add_subparsers(dest="action", required=True).add_parser(
        "create", help="create a token for a user; the secret is printed once to stdout"
    )
    create.add_argument("--user", required=True, help="username the token authenticates as")
    create.add_argument("--role", help="also give the user this role at the global scope")
    create.add_argument("--name", default="command-line", help="label of the token")
    create.add_argument("--expires-in-days", type=int, help="days until it expires (default: never)")

    identity = commands.add_parser(
        "identity", help="bind client certificate identities (SANs) to service accounts"
    )
    actions = identity.add_subparsers(dest="action", required=True)
    bind = actions.add_parser("bind", help="let a certificate with this SAN authenticate as --user")
    bind.add_argument("--user", required=True, help="username of the service account")
    bind.add_argument("--san", required=True, help="DNS name or URI (e.g. spiffe://…) in the certificate")
    bind.add_argument("--role", help="also give the account this role at the global scope")
    unbind = actions.add_parser("unbind", help="remove a certificate identity")
    unbind.add_argument("--san", required=True, help="the bound DNS name or URI")

    for parser in (create, bind):
        parser.add_argument(
            "--create-service-account",
            action="store_true",
            help="create the user as a service account if there is none of that name",
        )
    for parser in (create, bind, unbind):
        parser.add_argument("--database-url", help="overrides AUTHTUNA_DATABASE_URL")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url, pgbouncer=settings.db_pgbouncer)
    try:
        if not await migrations.is_current(engine):
            _say("the database schema is not current: run `authtuna-grpc migrate` first")
            return 1
        accounts = ServiceAccounts(UnitOfWorkFactory(engine), clock.utc_now, clock.new_id)
        return await _dispatch(args, accounts)
    except DomainError as error:
        _say(error.message)
        return 1
    finally:
        await engine.dispose()


async def _dispatch(args: argparse.Namespace, accounts: ServiceAccounts) -> int:
    if args.command == "token":
        days = args.expires_in_days
        if days is not None and not 1 <= days <= MAX_EXPIRY_DAYS:
            _say(f"--expires-in-days must be between 1 and {MAX_EXPIRY_DAYS}")
            return 2
        issued = await accounts.issue_token(
            username=args.user,
            name=args.name,
            role=args.role,
            expires_at=clock.utc_now() + timedelta(days=days) if days else None,
            create=args.create_service_account,
        )
        _say(f"token {issued.token.id} for {args.user!r} (the secret is shown once, on stdout)")
        print(issued.secret)
    elif args.action == "bind":
        identity = await accounts.bind_identity(
            username=args.user, san=args.san, role=args.role, create=args.create_service_account
        )
        _say(f"{identity.san!r} now authenticates as {args.user!r}")
    else:
        identity = await accounts.unbind_identity(args.san)
        _say(f"{identity.san!r} no longer authenticates as user {identity.user_id}")
    return 0


def _say(message: str) -> None:
    print(f"authtuna-grpc: {message}", file=sys.stderr)
