"""argon2id hashing on a thread pool: the hash releases the GIL, so it never stalls the loop."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class Argon2Parameters:
    """OWASP's argon2id recommendation by default: t=2, m=19 MiB, p=1."""

    time_cost: int = 2
    memory_cost_kib: int = 19 * 1024
    parallelism: int = 1


@dataclass(frozen=True)
class Verification:
    valid: bool
    needs_rehash: bool


class PasswordHasher:
    def __init__(self, parameters: Argon2Parameters, workers: int | None = None) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 2, thread_name_prefix="argon2"
        )

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> Verification:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> Verification:
        try:
            self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(valid=False, needs_rehash=False)
        return Verification(valid=True, needs_rehash=self._hasher.check_needs_rehash(password_hash))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
