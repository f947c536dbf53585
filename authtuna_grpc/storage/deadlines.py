"""The current call's deadline, as storage sees it.

The API edge records when the call must end; a unit of work turns what is left into a
PostgreSQL statement timeout, so no query outlives the call that asked for it. Only the
edge writes this and only storage reads it: use cases and the domain never see it.
"""

from __future__ import annotations

import contextvars
import time

_ends_at: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "authtuna_call_ends_at", default=None
)

# A query gets at least this long, so an almost-expired call fails as a timeout
# rather than with a setting PostgreSQL would read as "no limit" (0).
MINIMUM_MILLISECONDS = 1


def set_remaining(seconds: float | None) -> None:
    """Called at the edge with the caller's remaining time (None: no deadline)."""
    _ends_at.set(None if seconds is None else time.monotonic() + seconds)


def remaining_milliseconds() -> int | None:
    ends_at = _ends_at.get()
    if ends_at is None:
        return None
    return max(MINIMUM_MILLISECONDS, int((ends_at - time.monotonic()) * 1000))
