from __future__ import annotations

import asyncio

from authtuna_grpc.services.passwords import Argon2Parameters, PasswordHasher

MEASURABLE = Argon2Parameters(time_cost=2, memory_cost_kib=8 * 1024, parallelism=1)


async def test_the_hasher_reports_queued_and_running_jobs_as_they_change() -> None:
    seen: list[tuple[int, int]] = []
    hasher = PasswordHasher(MEASURABLE, workers=1, observer=lambda q, r: seen.append((q, r)))
    try:
        await asyncio.gather(*(hasher.hash(f"password-{n}") for n in range(4)))
    finally:
        hasher.close()
    assert max(queued for queued, _ in seen) >= 3
    assert max(running for _, running in seen) == 1
    assert seen[-1] == (0, 0)
    assert (hasher.queued, hasher.running) == (0, 0)


async def test_a_cancelled_job_leaves_the_queue() -> None:
    seen: list[tuple[int, int]] = []
    hasher = PasswordHasher(MEASURABLE, workers=1, observer=lambda q, r: seen.append((q, r)))
    try:
        jobs = [asyncio.ensure_future(hasher.hash(f"password-{n}")) for n in range(3)]
        await asyncio.sleep(0.001)
        jobs[2].cancel()
        results = await asyncio.gather(*jobs, return_exceptions=True)
    finally:
        hasher.close()
    assert isinstance(results[2], asyncio.CancelledError)
    assert all(isinstance(r, str) for r in results[:2])
    assert (hasher.queued, hasher.running) == (0, 0)
    assert seen[-1] == (0, 0)
