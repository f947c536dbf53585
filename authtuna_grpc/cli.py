"""Command line: `authtuna-grpc serve`, `migrate`, `health`, `token`, `identity`, `mfa`
and `purge`.

Every setting of config.Settings is a flag of serve, migrate and health, built from the
field itself, so a new setting needs no change here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from authtuna_grpc import credential_commands, mfa_commands, purge_command
from authtuna_grpc.config import Settings, env_name
from authtuna_grpc.logs import configure_logging
from authtuna_grpc.settings_sources import InvalidSettings, load_settings
from authtuna_grpc.settings_reference import (
    default_text,
    flag_name,
    is_secret,
    is_sequence,
    unwrap,
)

def _metavar(name: str, field: FieldInfo) -> str:
    kind = unwrap(field.annotation)
    if typing.get_origin(kind) is typing.Literal:
        return "{" + ",".join(str(choice) for choice in typing.get_args(kind)) + "}"
    if is_sequence(field):
        return "A,B,…"
    return {int: "N", float: "SECONDS"}.get(kind, name.rpartition("_")[2].upper())


def _parse(field: FieldInfo) -> Callable[[str], Any]:
    if is_sequence(field):
        return lambda value: [item.strip() for item in value.split(",") if item.strip()]
    return str  # pydantic converts and validates, naming the setting when it fails


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "settings", "each flag overrides its AUTHTUNA_* environment variable and the --config file"
    )
    for name, field in Settings.model_fields.items():
        if is_secret(field):
            continue
        flag = flag_name(name)
        text = f"{field.description} [{env_name(name)}; default: {default_text(field)}]"
        text = text.replace("%", "%%")
        if unwrap(field.annotation) is bool:
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, help=text)
        else:
            group.add_argument(flag, dest=name, metavar=_metavar(name, field), type=_parse(field), help=text)
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file: TOML (name = value, *.toml) or an env file (AUTHTUNA_NAME=value); "
        "the environment and flags override it",
    )


def _secrets_epilog() -> str:
    lines = [
        f"  {env_name(name)}: {field.description}"
        for name, field in Settings.model_fields.items()
        if is_secret(field)
    ]
    return "secrets, read only from the environment or the --config file (never a flag):\n" + "\n".join(
        lines
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authtuna-grpc",
        description="User management over gRPC. Settings: flags > AUTHTUNA_* environment "
        "variables > --config file > defaults; see docs/configuration.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("serve", "run the gRPC server (migrates an empty database)"),
        ("migrate", "apply database migrations and exit"),
        ("health", "exit 0 when the server at --listen reports SERVING (for container health checks)"),
    ):
        command = commands.add_parser(
            name,
            help=text,
            description=text,
            epilog=_secrets_epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_setting_flags(command)
    credential_commands.add_parsers(commands)
    mfa_commands.add_parser(commands)
    _add_setting_flags(purge_command.add_parser(commands))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    flags = {
        name: value
        for name in Settings.model_fields
        if (value := getattr(args, name, None)) is not None
    }
    try:
        settings = load_settings(flags, getattr(args, "config", None))
    except InvalidSettings as error:
        for problem in error.problems:
            print(f"authtuna-grpc: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "serve":
        return _serve(settings)
    if args.command == "health":
        from authtuna_grpc.health_check import check

        return check(settings.listen)
    if args.command in credential_commands.COMMANDS:
        return asyncio.run(credential_commands.run(args, settings))
    if args.command == mfa_commands.COMMAND:
        return asyncio.run(mfa_commands.run(args, settings))
    if args.command == purge_command.COMMAND:
        return asyncio.run(purge_command.run(args, settings))
    asyncio.run(_migrate(settings))
    return 0


def _serve(settings: Settings) -> int:
    from authtuna_grpc import event_loops

    try:
        event_loops.loop_factory(settings.event_loop)  # refused here, before any worker starts
    except event_loops.LoopUnavailable as error:
        print(f"authtuna-grpc: {error}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        from authtuna_grpc.workers import supervise

        return supervise(settings)
    from authtuna_grpc.server import serve

    event_loops.run(serve(settings), settings.event_loop)
    return 0


async def _migrate(settings: Settings) -> None:
    from authtuna_grpc.server import create_database_engine
    from authtuna_grpc.storage import migrations

    engine = create_database_engine(settings)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()
    print("authtuna-grpc: database is at the latest schema", file=sys.stderr)
