"""`authtuna-grpc mfa new-key` and `mfa rotate-key`, as operators run them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from pydantic import SecretStr

from authtuna_grpc.config import Settings
from authtuna_grpc.domain.two_factor import parse_key_ring
from authtuna_grpc.services.clock import utc_now
from authtuna_grpc.storage import tables
from tests.accounts import rows
from tests.sign_ins import MovableClock, audit_rows, create_user, serving, sign_in
from tests.two_factor import TEST_MFA_KEYS, code_at, complete, enrol


async def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "authtuna_grpc", *args],
        env={**environment, **env}, capture_output=True, text=True, timeout=60,
    )


async def test_new_key_prints_one_usable_entry() -> None:
    result = await _cli("mfa", "new-key", "--id", "2027-01")
    assert result.returncode == 0, result.stderr
    [entry] = result.stdout.splitlines()
    [key] = parse_key_ring(entry)
    assert key.key_id == "2027-01" and len(key.key) == 32
    other = (await _cli("mfa", "new-key")).stdout.strip()
    assert other.startswith("k") and other.split(":")[1] != entry.split(":")[1]
    refused = await _cli("mfa", "new-key", "--id", "no spaces")
    assert refused.returncode == 2 and refused.stdout == ""


async def test_rotate_key_re_encrypts_every_secret_so_the_old_key_can_go(settings: Settings, callers) -> None:
    clock = MovableClock()
    async with serving(settings, clock) as served:
        user = await create_user(served.users, callers.admin, "rotating")
        enrolled = await enrol(served.sessions, callers.admin, user.id, clock.now)
    new_key = (await _cli("mfa", "new-key", "--id", "next")).stdout.strip()
    ring = f"{new_key},{TEST_MFA_KEYS}"
    result = await _cli(
        "mfa", "rotate-key", "--database-url", settings.database_url, AUTHTUNA_MFA_ENCRYPTION_KEYS=ring
    )
    assert result.returncode == 0, result.stderr
    assert "re-encrypted 1 TOTP secret(s) with key 'next'" in result.stderr
    assert enrolled.secret not in result.stdout + result.stderr
    clock.advance(seconds=30)
    async with serving(settings, clock, mfa_encryption_keys=SecretStr(new_key)) as served:
        [stored] = await rows(served.units, tables.totp_factor)
        assert stored["key_id"] == "next"
        [event] = await audit_rows(served.units, "MFA_SECRETS_RESEALED")
        assert event.actor_id is None and event.details == {"key_id": "next", "resealed": "1"}
        challenge = (await sign_in(served.sessions, callers.admin, "rotating")).challenge
        await complete(served.sessions, callers.admin, challenge.token, code_at(enrolled.secret, clock.now))


async def test_rotate_key_refuses_without_keys_or_with_a_missing_old_key(
    settings: Settings, sessions, users, callers, units
) -> None:
    unset = await _cli("mfa", "rotate-key", "--database-url", settings.database_url)
    assert unset.returncode == 2 and "AUTHTUNA_MFA_ENCRYPTION_KEYS is not set" in unset.stderr
    user = await create_user(users, callers.admin, "stranded")
    await enrol(sessions, callers.admin, user.id, utc_now())
    lone = (await _cli("mfa", "new-key", "--id", "lone")).stdout.strip()
    missing = await _cli(
        "mfa", "rotate-key", "--database-url", settings.database_url, AUTHTUNA_MFA_ENCRYPTION_KEYS=lone
    )
    assert missing.returncode == 1 and "not configured" in missing.stderr
    assert (await rows(units, tables.totp_factor))[0]["key_id"] == "test-1"


async def test_an_invalid_key_setting_is_refused_without_echoing_it() -> None:
    bad = "k1:" + "A" * 20
    result = await _cli("mfa", "rotate-key", AUTHTUNA_MFA_ENCRYPTION_KEYS=bad)
    assert result.returncode == 2
    assert "AUTHTUNA_MFA_ENCRYPTION_KEYS" in result.stderr and "A" * 20 not in result.stderr
