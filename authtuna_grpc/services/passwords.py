"""argon2id hashing on a thread pool: the hash releases the GIL, so it never stalls the loop.

New hashes are always argon2id. Verification also accepts the hashes a bulk import may
bring (argon2i, argon2d, bcrypt), and reports them as needing a rehash, so a user's hash
becomes argon2id at the next successful sign-in.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import argon2
import bcrypt
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

T = TypeVar("T")

# Told (queued, running) whenever either changes; called from any thread.
LoadObserver = Callable[[int, int], None]


BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# bcrypt only ever hashed the first 72 bytes of a password.
BCRYPT_MAX_PASSWORD_BYTES = 72


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
            max_workers=workers or os.cpu_count() or 2,
            thread_name_prefix="argon2",
            initializer=_yield_to_the_event_loop,
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
        if password_hash.startswith(BCRYPT_PREFIXES):
            return _verify_bcrypt(password_hash, password)
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


HASH_THREAD_NICENESS = 10


def _yield_to_the_event_loop() -> None:
    """Lower this hashing thread's CPU priority (Linux schedules threads by their own nice
    value), so the event loop — and every call waiting on it — runs first whenever both
    want a core; hashes still use all the CPU nobody else wants."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)
    except (AttributeError, OSError):
        pass  # not Linux, or not permitted: hashing still works, only without the priority
def _verify_bcrypt(password_hash: str, password: str) -> Verification:
    # The systems that made these hashes ignored bytes past the 72nd; the bcrypt package
    # refuses them instead, so cut the same way to verify the same secret.
    secret = password.encode()[:BCRYPT_MAX_PASSWORD_BYTES]
    try:
        valid = bcrypt.checkpw(secret, password_hash.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        valid = False
    return Verification(valid=valid, needs_rehash=valid)
