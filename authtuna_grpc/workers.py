"""`serve --workers N`: a supervisor and N server processes sharing one port.

The supervisor migrates and bootstraps once, then starts the workers as fresh
interpreters (gRPC's threads do not survive fork), forwards SIGTERM and SIGINT to
them, restarts one that dies, and serves the metrics of all of them from one endpoint.
The kernel spreads new connections over the workers (SO_REUSEPORT).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

from authtuna_grpc.config import Settings

log = logging.getLogger("authtuna_grpc.workers")

# A worker that dies this soon after starting, this many times in a row, is not
# restarted again: the cause is its configuration or environment, not bad luck.
QUICK_EXIT_SECONDS = 10.0
QUICK_EXITS_ALLOWED = 3
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _run_worker(settings: Settings, index: int, supervisor: int) -> None:
    from authtuna_grpc import event_loops
    from authtuna_grpc.logs import configure_logging
    from authtuna_grpc.server import serve

    configure_logging(settings.log_level, settings.log_format)
    threading.Thread(target=_stop_when_orphaned, args=(supervisor,), daemon=True).start()
    log.info("worker %d started", index)
    event_loops.run(serve(settings, worker=True), settings.event_loop)


def _stop_when_orphaned(supervisor: int) -> None:
    """A worker whose supervisor died (even by SIGKILL) stops gracefully on its own."""
    while os.getppid() == supervisor:
        time.sleep(1.0)
    log.warning("the supervisor (pid %d) is gone; stopping", supervisor)
    os.kill(os.getpid(), signal.SIGTERM)


async def _prepare(settings: Settings) -> None:
    from authtuna_grpc.server import create_database_engine, prepare_storage
    from authtuna_grpc.services import clock

    engine = create_database_engine(settings)
    try:
        await prepare_storage(settings, engine, clock.utc_now, clock.new_id)
    finally:
        await engine.dispose()


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._context = multiprocessing.get_context("spawn")
        self._workers: dict[int, BaseProcess] = {}
        self._started_at: dict[int, float] = {}
        self._quick_exits = 0
        self.stopping = threading.Event()

    def start(self, index: int) -> None:
        process = self._context.Process(
            target=_run_worker,
            args=(self._settings, index, os.getpid()),
            name=f"authtuna-worker-{index}",
        )
        process.start()
        self._workers[index] = process
        self._started_at[index] = time.monotonic()

    def replace_dead(self) -> bool:
        """Restart workers that exited; False when they keep dying at once."""
        for index, process in list(self._workers.items()):
            if process.is_alive() or self.stopping.is_set():
                continue
            _forget_metrics_of(process.pid)
            lived = time.monotonic() - self._started_at[index]
            log.error("worker %d (pid %s) exited with %s after %.1fs", index, process.pid, process.exitcode, lived)
            self._quick_exits = self._quick_exits + 1 if lived < QUICK_EXIT_SECONDS else 0
            if self._quick_exits >= QUICK_EXITS_ALLOWED:
                return False
            self.start(index)
        return True

    def run(self) -> bool:
        """Start the workers and keep them running until asked to stop; False when they
        keep dying."""
        for index in range(self._settings.workers):
            self.start(index)
        log.info("started %d workers serving %s", self._settings.workers, self._settings.listen)
        while not self.stopping.wait(0.5):
            if not self.replace_dead():
                log.error("workers keep exiting at start; giving up")
                return False
        return True

    def stop(self) -> None:
        for process in self._workers.values():
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self._settings.shutdown_grace_seconds + 5
        for process in self._workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("worker pid %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()
            _forget_metrics_of(process.pid)


def _forget_metrics_of(pid: int | None) -> None:
    if pid is not None and MULTIPROCESS_ENV in os.environ:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def supervise(settings: Settings) -> int:
    metrics_dir = None
    if settings.metrics_listen:
        # Before anything imports prometheus_client, so every process writes to files.
        metrics_dir = tempfile.mkdtemp(prefix="authtuna-metrics-")
        os.environ[MULTIPROCESS_ENV] = metrics_dir
    asyncio.run(_prepare(settings))
    endpoint = None
    if metrics_dir is not None:
        from authtuna_grpc.metrics import multiprocess_registry, serve_metrics

        endpoint = serve_metrics(settings.metrics_listen, multiprocess_registry())
    supervisor = Supervisor(settings)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping the workers", signal.Signals(signum).name)
        supervisor.stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    healthy = False
    try:
        healthy = supervisor.run()
    finally:
        supervisor.stop()
        if endpoint is not None:
            endpoint.close()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0 if healthy else 1
