"""The per-call `timeout=` argument: a number of seconds, None for none, or the client's default."""

from __future__ import annotations

import enum


class Default(enum.Enum):
    TIMEOUT = "the client's default timeout"


DEFAULT = Default.TIMEOUT

Timeout = float | None | Default


def resolve(timeout: Timeout, default: float | None) -> float | None:
    return default if isinstance(timeout, Default) else timeout
