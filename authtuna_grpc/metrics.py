"""Prometheus metrics: per-RPC counts and latency, in-flight calls, pool and hash load.

Names follow the grpc-ecosystem convention (grpc_server_handled_total, …) so existing
dashboards apply. With several workers, each worker writes its samples to files in
PROMETHEUS_MULTIPROC_DIR and the supervisor serves their sum; gauges are therefore
updated on events (never computed at scrape time) and summed over live processes.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

RPC_LABELS = ("grpc_service", "grpc_method", "grpc_type")
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0
)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ServerMetrics:
    """The metrics of one server; each server gets its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.started = Counter(
            "grpc_server_started_total", "RPCs started.", RPC_LABELS, registry=r
        )
        self.handled = Counter(
            "grpc_server_handled_total", "RPCs finished, by status code.",
            (*RPC_LABELS, "grpc_code"), registry=r,
        )
        self.handling_seconds = Histogram(
            "grpc_server_handling_seconds", "Time from the start of an RPC to its status.",
            RPC_LABELS, buckets=LATENCY_BUCKETS, registry=r,
        )
        self.in_flight = Gauge(
            "grpc_server_in_flight", "RPCs being served (streams included) now.",
            RPC_LABELS, registry=r, multiprocess_mode="livesum",
        )
        self.db_connections = Gauge(
            "authtuna_db_pool_connections",
            "Database connections of the pool: open (in use or idle) and in_use.",
            ("state",), registry=r, multiprocess_mode="livesum",
        )
        self.password_hashes = Gauge(
            "authtuna_password_hash_jobs", "argon2 jobs waiting for a thread (queued) or running.",
            ("state",), registry=r, multiprocess_mode="livesum",
        )
        for state in ("open", "in_use"):
            self.db_connections.labels(state)
        self.observe_hash_load(0, 0)

    def observe_hash_load(self, queued: int, running: int) -> None:
        self.password_hashes.labels("queued").set(queued)
        self.password_hashes.labels("running").set(running)

    def watch_pool(self, engine: AsyncEngine) -> None:
        pool = engine.sync_engine.pool
        open_ = self.db_connections.labels("open")
        in_use = self.db_connections.labels("in_use")

        def on_connect(*_: Any) -> None:
            open_.inc()

        def on_close(*_: Any) -> None:
            open_.dec()

        def on_checkout(*_: Any) -> None:
            in_use.inc()

        def on_checkin(*_: Any) -> None:
            in_use.dec()

        event.listen(pool, "connect", on_connect)
        event.listen(pool, "close", on_close)
        event.listen(pool, "close_detached", on_close)
        event.listen(pool, "checkout", on_checkout)
        event.listen(pool, "checkin", on_checkin)


@dataclass
class MetricsEndpoint:
    """An HTTP server answering GET /metrics on its own thread."""

    server: Any
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_metrics(address: str, registry: CollectorRegistry) -> MetricsEndpoint:
    host, _, port = address.rpartition(":")
    server, thread = start_http_server(int(port), addr=host.strip("[]"), registry=registry)
    return MetricsEndpoint(server, thread)


def single_process_registry(metrics: ServerMetrics) -> CollectorRegistry:
    """The server's own metrics plus the process, platform and GC collectors."""
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        metrics.registry.register(collector)
    return metrics.registry


def multiprocess_registry() -> CollectorRegistry:
    """The sum over every worker writing to PROMETHEUS_MULTIPROC_DIR."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=os.environ[MULTIPROCESS_ENV])  # type: ignore[no-untyped-call]
    return registry
