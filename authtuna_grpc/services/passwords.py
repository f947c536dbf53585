"""argon2id hashing on a thread pool: the hash releases the GIL, so it never stalls the loop."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

T = TypeVar("T")

# Told (queued, running) whenever either changes; called from any thread.
LoadObserver = Callable[[int, int], None]


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


class _Job:
    __slots__ = ("started", "abandoned")

    def __init__(self) -> None:
        self.started = False
        self.abandoned = False


class PasswordHasher:
    def __init__(
        self,
        parameters: Argon2Parameters,
        workers: int | None = None,
        observer: LoadObserver | None = None,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 2, thread_name_prefix="argon2"
        )
        self._observer = observer
        self._lock = threading.Lock()
        self.queued = 0
        self.running = 0

    async def hash(self, password: str) -> str:
        return await self._submit(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str, password: str) -> Verification:
        return await self._submit(lambda: self._verify(password_hash, password))

    def _verify(self, password_hash: str, password: str) -> Verification:
        try:
            self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(valid=False, needs_rehash=False)
        return Verification(valid=True, needs_rehash=self._hasher.check_needs_rehash(password_hash))

    async def _submit(self, work: Callable[[], T]) -> T:
        job = _Job()
        self._count(queued=1)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, self._run, job, work)
        except asyncio.CancelledError:
            with self._lock:
                job.abandoned = not job.started
            if job.abandoned:
                self._count(queued=-1)
            raise

    def _run(self, job: _Job, work: Callable[[], T]) -> T:
        with self._lock:
            if job.abandoned:
                raise asyncio.CancelledError
            job.started = True
        self._count(queued=-1, running=1)
        try:
            return work()
        finally:
            self._count(running=-1)

    def _count(self, *, queued: int = 0, running: int = 0) -> None:
        with self._lock:
            self.queued += queued
            self.running += running
            if self._observer is not None:
                self._observer(self.queued, self.running)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
