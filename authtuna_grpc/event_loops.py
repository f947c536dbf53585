"""The event loop `serve` runs on: uvloop when installed, else Python's asyncio.

Measured with bench/candidates.py (docs/benchmarks.md, "grpcio releases and event
loops"): on uvloop the bare grpc.aio server spends 10–22% less CPU per call than on the
standard loop, on each grpcio release measured, and the service 0–10% less per GetUser. `AUTHTUNA_EVENT_LOOP=asyncio` keeps the
standard loop; `uvloop` insists on uvloop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopUnavailable(Exception):
    pass


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The factory of the chosen loop; None for the standard one."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise LoopUnavailable(
                "event_loop is uvloop, but uvloop is not installed (it is not built for "
                "Windows); install it, or set AUTHTUNA_EVENT_LOOP=asyncio"
            ) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], choice: str) -> T:
    """asyncio.run(main) on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
