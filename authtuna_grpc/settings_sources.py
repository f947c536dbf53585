"""Where settings come from: flags > AUTHTUNA_* environment > a settings file > defaults.

A bad value is reported naming the setting and the place it came from.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import DotEnvSettingsSource, EnvSettingsSource

from authtuna_grpc.config import ENV_PREFIX, Settings, env_name


def read_settings_file(path: Path) -> dict[str, Any]:
    """A TOML file of `name = value` (field names), or an env file of AUTHTUNA_NAME=value lines."""
    if path.suffix == ".toml":
        with path.open("rb") as handle:
            return tomllib.load(handle)
    return dict(DotEnvSettingsSource(Settings, env_file=path)())


class InvalidSettings(Exception):
    """Settings that cannot be used; each problem names the setting and where it came from."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def load_settings(flags: Mapping[str, Any], file: Path | None = None) -> Settings:
    """Settings from flags, then AUTHTUNA_* variables, then `file`, then defaults."""
    from_env = EnvSettingsSource(Settings)()
    try:
        from_file = read_settings_file(file) if file is not None else {}
    except (OSError, ValueError) as error:
        raise InvalidSettings([f"cannot read settings file {file}: {error}"]) from None
    values = {name: v for name, v in from_file.items() if name not in from_env}
    values.update(from_env)
    values.update(flags)
    try:
        return Settings(**values)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            # A rule across several settings has no single name; its message names them.
            where = _origin(str(problem["loc"][0]), flags, from_env, file) if problem["loc"] else "settings"
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"invalid setting {where}: {message}")
        raise InvalidSettings(problems) from None


def _origin(name: str, flags: Mapping[str, Any], env: Mapping[str, Any], file: Path | None) -> str:
    variable = env_name(name.removeprefix(ENV_PREFIX.lower()))
    if name in flags:
        return f"--{name.replace('_', '-')} ({variable})"
    if name in env or file is None:
        return variable
    if file.suffix == ".toml":
        return f"{name} in {file} ({variable})"
    return f"{variable} in {file}"
