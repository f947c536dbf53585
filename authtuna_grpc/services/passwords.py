"""argon2id hashing on a thread pool: the hash releases the GIL, so it never stalls the loop.

New hashes are always argon2id. Verification also accepts the hashes a bulk import may
bring (argon2i, argon2d, bcrypt), and reports them as needing a rehash, so a user's hash
becomes argon2id at the next successful sign-in.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import argon2
import bcrypt
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


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
        if password_hash.startswith(BCRYPT_PREFIXES):
            return _verify_bcrypt(password_hash, password)
        try:
            self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(valid=False, needs_rehash=False)
        return Verification(valid=True, needs_rehash=self._hasher.check_needs_rehash(password_hash))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _verify_bcrypt(password_hash: str, password: str) -> Verification:
    # The systems that made these hashes ignored bytes past the 72nd; the bcrypt package
    # refuses them instead, so cut the same way to verify the same secret.
    secret = password.encode()[:BCRYPT_MAX_PASSWORD_BYTES]
    try:
        valid = bcrypt.checkpw(secret, password_hash.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        valid = False
    return Verification(valid=valid, needs_rehash=valid)
