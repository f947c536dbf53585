"""Runs a Python entry point on the chosen event loop: `python bench/launch.py LOOP MODULE ARGS…`.

LOOP is `asyncio` (the standard loop) or `uvloop`; MODULE is run as `python -m MODULE` would
run it. The benchmark starts the echo ceiling through it on the loop the service is given
(AUTHTUNA_EVENT_LOOP), so both run on the same loop.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LOOPS = ("asyncio", "uvloop")


def main() -> None:
    loop, module, *arguments = sys.argv[1:]
    if loop not in LOOPS:
        raise SystemExit(f"unknown event loop {loop!r}; choose one of {', '.join(LOOPS)}")
    if loop == "uvloop":
        import uvloop

        uvloop.install()
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
