"""Health that follows the database: NOT_SERVING while it is out of reach, SERVING again
when it answers, without a restart.

A load balancer or orchestrator reading grpc.health.v1 then stops sending calls that
could only fail, and sends them again once they can succeed. The probe has an engine of
its own, with one connection, so a busy pool never looks like a database outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from grpc_health.v1 import health, health_pb2

log = logging.getLogger("authtuna_grpc")

Probe = Callable[[], Awaitable[bool]]
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def watch_database(
    probe: Probe,
    health_servicer: health.aio.HealthServicer,
    services: Sequence[str],
    interval: float,
) -> None:
    """Probe every `interval` seconds and report each change of reachability as the
    status of every service (and of the server, ""). Runs until cancelled."""
    serving = True
    while True:
        await asyncio.sleep(interval)
        reachable = await probe()
        if reachable == serving:
            continue
        serving = reachable
        status = _SERVING if serving else _NOT_SERVING
        for service in ("", *services):
            await health_servicer.set(service, status)
        if serving:
            log.warning("the database answers again: serving")
        else:
            log.error("the database does not answer: NOT_SERVING until it does")
