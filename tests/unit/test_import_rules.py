from __future__ import annotations

from datetime import UTC, datetime, timedelta

import argon2
import bcrypt
import pytest

from authtuna_grpc.domain.consents import consent_grant
from authtuna_grpc.domain.errors import InvalidInput
from authtuna_grpc.domain.imports import HashScheme, RawImportRow, import_row, inspect_hash
from authtuna_grpc.services.passwords import Argon2Parameters, PasswordHasher, Verification

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BCRYPT_4 = bcrypt.hashpw(b"Imported-Pass-1", bcrypt.gensalt(4)).decode()
SALT_AND_HASH = "c29tZXNhbHRzb21lc2FsdA$jfeZe7Eb6ymu2RmE3X1Wk7JgjCYxjdGfHaDq2IIU0cE"


def _row(**fields: object) -> RawImportRow:
    values: dict[str, object] = {
        "email": "ann@example.com",
        "username": "ann",
        "password_hash": None,
        "email_verified": False,
        "attributes": {},
        "created_at": None,
    }
    values.update(fields)
    return RawImportRow(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        (f"$argon2id$v=19$m=65536,t=3,p=4${SALT_AND_HASH}", HashScheme.ARGON2ID),
        (f"$argon2i$v=19$m=4096,t=3,p=1${SALT_AND_HASH}", HashScheme.ARGON2I),
        (f"$argon2d$m=4096,t=3,p=1${SALT_AND_HASH}", HashScheme.ARGON2D),
        (BCRYPT_4, HashScheme.BCRYPT),
        ("$2a$" + BCRYPT_4[4:], HashScheme.BCRYPT),
        ("$2y$" + BCRYPT_4[4:], HashScheme.BCRYPT),
    ],
)
def test_phc_hashes_of_each_scheme_are_accepted(value: str, scheme: HashScheme) -> None:
    assert inspect_hash(value) == ("", scheme)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain-text-password",
        "$pbkdf2-sha256$29000$c2FsdA$aGFzaA",
        f"$argon2id$v=19$m=67108864,t=3,p=4${SALT_AND_HASH}",  # 64 GiB
        f"$argon2id$v=19$m=65536,t=99,p=4${SALT_AND_HASH}",
        f"$argon2id$v=19$m=16,t=3,p=4${SALT_AND_HASH}",  # less than 8 KiB per lane
        "$2b$31$" + BCRYPT_4[7:],  # hours per verification
        BCRYPT_4[:-1],
        BCRYPT_4 + "x",
    ],
)
def test_malformed_or_unbounded_hashes_are_rejected(value: str) -> None:
    problem, scheme = inspect_hash(value)
    assert scheme is None and problem


def test_a_row_names_every_bad_field_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        import_row(
            _row(email="no-at", password_hash="nope", created_at=NOW + timedelta(days=1)), NOW
        )
    assert [v.field for v in raised.value.violations] == ["email", "password_hash", "created_at"]


def test_a_valid_row_keeps_its_hash_scheme_and_creation_time() -> None:
    created = NOW - timedelta(days=400)
    row = import_row(_row(email="Ann@Example.com", password_hash=BCRYPT_4, created_at=created), NOW)
    assert (row.registration.email, row.scheme, row.created_at) == ("Ann@Example.com", HashScheme.BCRYPT, created)


def test_consent_purpose_and_version_rules() -> None:
    assert consent_grant("marketing-email", "2026-01").purpose == "marketing-email"
    for purpose, version in [("Marketing", "v1"), ("", "v1"), ("x" * 65, "v1"), ("ok", "has space"), ("ok", "")]:
        with pytest.raises(InvalidInput):
            consent_grant(purpose, version)


async def test_bcrypt_hashes_verify_and_ask_for_a_rehash() -> None:
    hasher = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64), workers=1)
    try:
        assert await hasher.verify(BCRYPT_4, "Imported-Pass-1") == Verification(True, True)
        assert await hasher.verify(BCRYPT_4, "Wrong-Pass-1") == Verification(False, False)
        assert await hasher.verify("$2b$04$" + "x" * 53, "Imported-Pass-1") == Verification(False, False)
        long_password = "Long-Pass-1" + "x" * 100
        long_hash = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
        # The systems that made such hashes looked at the first 72 bytes only.
        assert (await hasher.verify(long_hash, long_password)).valid
    finally:
        hasher.close()


async def test_argon2i_hashes_verify_and_ask_for_a_rehash_to_argon2id() -> None:
    hasher = PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=64), workers=1)
    try:
        old = argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=argon2.Type.I)
        assert await hasher.verify(old.hash("Imported-Pass-1"), "Imported-Pass-1") == Verification(True, True)
        current = await hasher.hash("Imported-Pass-1")
        assert await hasher.verify(current, "Imported-Pass-1") == Verification(True, False)
    finally:
        hasher.close()
