"""Command line: `authtuna-grpc serve`, `migrate`, `token`, `identity` and `purge`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from authtuna_grpc import credential_commands, purge_command
from authtuna_grpc.config import Settings

# serve's TLS flags, each overriding the AUTHTUNA_ setting of the same name.
TLS_FLAGS = {
    "tls_cert": "PEM certificate chain to serve TLS with",
    "tls_key": "PEM private key of --tls-cert",
    "tls_client_ca": "PEM CA bundle; requires client certificates signed by it",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authtuna-grpc",
        description="User management over gRPC. Settings come from AUTHTUNA_* environment "
        "variables; flags override them.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gRPC server (migrates an empty database)")
    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    for sub in (serve, migrate):
        sub.add_argument("--database-url", help="overrides AUTHTUNA_DATABASE_URL")
    serve.add_argument("--listen", help="host:port to bind; overrides AUTHTUNA_LISTEN")
    for name, meaning in TLS_FLAGS.items():
        flag = "--" + name.replace("_", "-")
        serve.add_argument(flag, help=f"{meaning}; overrides AUTHTUNA_{name.upper()}")
    credential_commands.add_parsers(commands)
    purge_command.add_parser(commands)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        name: value
        for name in ("database_url", "listen", *TLS_FLAGS)
        if (value := getattr(args, name, None)) is not None
    }
    return Settings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValidationError as error:
        for problem in error.errors():
            name = "AUTHTUNA_" + "_".join(str(p) for p in problem["loc"]).upper()
            if not problem["loc"]:
                name = "settings"  # a rule across several settings; the message names them
            print(f"authtuna-grpc: invalid setting {name}: {problem['msg']}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command == "serve":
        from authtuna_grpc.server import serve

        asyncio.run(serve(settings))
    elif args.command in credential_commands.COMMANDS:
        return asyncio.run(credential_commands.run(args, settings))
    elif args.command == purge_command.COMMAND:
        return asyncio.run(purge_command.run(args, settings))
    else:
        asyncio.run(_migrate(settings))
    return 0


async def _migrate(settings: Settings) -> None:
    from authtuna_grpc.storage import migrations
    from authtuna_grpc.storage.database import create_engine

    engine = create_engine(settings.database_url)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()
    print("authtuna-grpc: database is at the latest schema", file=sys.stderr)
