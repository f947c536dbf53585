"""Time and identifiers, injected into use cases so tests can fix them."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
IdFactory = Callable[[], uuid.UUID]

_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_last_value = 0
_lock = threading.Lock()


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): time-ordered, and strictly increasing within this process."""
    global _last_value
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & 0xFFFF_FFFF_FFFF) << 80
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF
    value |= _VERSION_AND_VARIANT
    with _lock:
        if value <= _last_value:
            # Same millisecond: step past the previous id, keeping version and variant bits.
            value = _last_value + 1
            if value & (0b11 << 62) != 0b10 << 62:
                value = (value | _VERSION_AND_VARIANT) & ~(0b01 << 62)
        _last_value = value
    return uuid.UUID(int=value)
