from __future__ import annotations

import os
import threading

from authtuna_grpc.services.passwords import HASH_THREAD_NICENESS, Argon2Parameters, PasswordHasher


async def test_hashing_threads_yield_the_cpu_to_the_event_loop() -> None:
    hasher = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64, parallelism=1), workers=2)
    try:
        await hasher.hash("Correct-Horse-9")
        hashing = [t for t in threading.enumerate() if t.name.startswith("argon2")]
        assert hashing
        loop_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        for thread in hashing:
            assert thread.native_id is not None
            niceness = os.getpriority(os.PRIO_PROCESS, thread.native_id)
            assert niceness == HASH_THREAD_NICENESS > loop_niceness
    finally:
        hasher.close()
