"""The soak's short form (bench/soak.py runs it for minutes): memory and connections flat.

Twenty-five seconds of the mixed workload against a server process, on PostgreSQL when
the run has it (else SQLite). Bounds are generous, as a short run is noisy: after
warm-up, the server's RSS may not grow by more than 24 MiB, its PostgreSQL sessions
never exceed what its pool may open (plus the health probe's one) and do not creep up;
no call ends INTERNAL or UNKNOWN; afterwards no lifecycle invariant is broken.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from bench.soak import soak
from tests.backends import selected_backends
from tests.invariants import lifecycle_violations

SECONDS = 25
POOL_SIZE = 10
RSS_GROWTH_BOUND_KIB = 24 * 1024
BACKEND = "postgresql" if "postgresql" in selected_backends() else selected_backends()[0]


@pytest.fixture
async def soak_database(databases) -> str:
    return await databases[BACKEND].fresh()


async def test_short_soak_keeps_memory_and_connections_flat(soak_database: str, tmp_path: Path) -> None:
    report = await soak(
        soak_database,
        seconds=SECONDS,
        workers=4,
        sample_every=0.5,
        log=tmp_path / "server.log",
        settings={"argon2_memory_kib": "64", "argon2_time_cost": "1", "db_pool_size": str(POOL_SIZE)},
    )
    print(f"\nsoak: {report.summary()}")
    assert set(report.calls) == {"OK"}, report.calls
    assert report.lives > 50
    assert report.rss_growth_kib < RSS_GROWTH_BOUND_KIB, report.summary()
    if report.database == "postgresql":
        assert report.connections_max is not None and report.connections_max <= 2 * POOL_SIZE + 1
        assert report.connections_growth is not None and report.connections_growth <= 2
    engine = create_engine(soak_database)
    try:
        assert await lifecycle_violations(UnitOfWorkFactory(engine)) == {}
    finally:
        await engine.dispose()
    assert "unhandled error in" not in (tmp_path / "server.log").read_text()
