"""serve's event loop: uvloop when installed (event_loop=auto), else asyncio's."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from authtuna_grpc import event_loops


def test_auto_and_uvloop_choose_uvloop_when_it_is_installed() -> None:
    assert event_loops.loop_factory("auto") is uvloop.new_event_loop
    assert event_loops.loop_factory("uvloop") is uvloop.new_event_loop


def test_asyncio_keeps_the_standard_loop() -> None:
    assert event_loops.loop_factory("asyncio") is None

    async def loop_type() -> type:
        return type(asyncio.get_running_loop())

    assert not issubclass(event_loops.run(loop_type(), "asyncio"), uvloop.Loop)
    assert issubclass(event_loops.run(loop_type(), "auto"), uvloop.Loop)


def test_without_uvloop_auto_falls_back_and_uvloop_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now fails
    assert event_loops.loop_factory("auto") is None
    with pytest.raises(event_loops.LoopUnavailable, match="AUTHTUNA_EVENT_LOOP=asyncio"):
        event_loops.loop_factory("uvloop")
