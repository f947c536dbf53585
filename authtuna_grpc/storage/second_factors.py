"""TOTP authenticators (secrets only encrypted) and recovery codes (only digests)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authtuna_grpc.domain.two_factor import SealedSecret, StoredRecoveryCode, TotpFactor
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware, aware_required

_f = tables.totp_factor
_c = tables.recovery_code
_u = tables.user


class SecondFactorRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def hold_user(self, user_id: uuid.UUID) -> bool:
        """Make a no-op write to the user row, first thing in a transaction that changes
        the user's second factor; False if there is no such user. The write locks the
        row (PostgreSQL) or the database (SQLite) until commit, as sign-in's first write
        to the same row does, so enrolment and sign-in never interleave."""
        result = await self._connection.execute(
            update(_u).where(_u.c.id == user_id).values(version=_u.c.version)
        )
        return bool(result.rowcount == 1)

    async def totp(self, user_id: uuid.UUID) -> TotpFactor | None:
        row = (await self._connection.execute(select(_f).where(_f.c.user_id == user_id))).first()
        return _to_factor(row) if row is not None else None

    async def is_enrolled(self, user_id: uuid.UUID) -> bool:
        """True if the user has a confirmed authenticator."""
        query = select(_f.c.user_id).where(_f.c.user_id == user_id, _f.c.confirmed_at.is_not(None))
        return (await self._connection.execute(query)).first() is not None

    async def put_pending(self, user_id: uuid.UUID, sealed: SealedSecret, now: datetime) -> None:
        """Store a new unconfirmed secret in place of any unconfirmed one."""
        await self._connection.execute(
            delete(_f).where(_f.c.user_id == user_id, _f.c.confirmed_at.is_(None))
        )
        await self._connection.execute(
            insert(_f).values(
                user_id=user_id,
                secret_ciphertext=sealed.ciphertext,
                key_id=sealed.key_id,
                created_at=now,
                confirmed_at=None,
                last_used_step=None,
            )
        )

    async def confirm(self, user_id: uuid.UUID, step: int, now: datetime) -> bool:
        result = await self._connection.execute(
            update(_f)
            .where(_f.c.user_id == user_id, _f.c.confirmed_at.is_(None))
            .values(confirmed_at=now, last_used_step=step)
        )
        return bool(result.rowcount == 1)

    async def use_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record `step` as the last accepted one, unless it (or a later one) already
        is: of two sign-ins with one code, exactly one gets True."""
        result = await self._connection.execute(
            update(_f)
            .where(
                _f.c.user_id == user_id,
                _f.c.confirmed_at.is_not(None),
                or_(_f.c.last_used_step.is_(None), _f.c.last_used_step < step),
            )
            .values(last_used_step=step)
        )
        return bool(result.rowcount == 1)

    async def delete_totp(self, user_id: uuid.UUID) -> TotpFactor | None:
        result = await self._connection.execute(
            delete(_f).where(_f.c.user_id == user_id).returning(_f)
        )
        row = result.first()
        return _to_factor(row) if row is not None else None

    async def sealed_with_other_keys(
        self, key_id: str, *, after: uuid.UUID | None, limit: int
    ) -> list[tuple[uuid.UUID, SealedSecret]]:
        """Secrets not encrypted with `key_id` (for re-encryption), by user id."""
        query = select(_f).where(_f.c.key_id != key_id).order_by(_f.c.user_id).limit(limit)
        if after is not None:
            query = query.where(_f.c.user_id > after)
        rows = (await self._connection.execute(query)).all()
        return [(row.user_id, _sealed(row)) for row in rows]

    async def reseal(self, user_id: uuid.UUID, old: SealedSecret, new: SealedSecret) -> bool:
        """Replace the ciphertext, unless the secret changed since it was read."""
        result = await self._connection.execute(
            update(_f)
            .where(
                _f.c.user_id == user_id,
                _f.c.key_id == old.key_id,
                _f.c.secret_ciphertext == old.ciphertext,
            )
            .values(key_id=new.key_id, secret_ciphertext=new.ciphertext)
        )
        return bool(result.rowcount == 1)

    async def replace_codes(
        self, user_id: uuid.UUID, codes: Sequence[tuple[uuid.UUID, str]], now: datetime
    ) -> None:
        """Delete every recovery code of the user and store these (id, hash) pairs."""
        await self.delete_codes(user_id)
        await self._connection.execute(
            insert(_c),
            [
                {"id": code_id, "user_id": user_id, "code_hash": code_hash, "created_at": now}
                for code_id, code_hash in codes
            ],
        )

    async def codes(self, user_id: uuid.UUID) -> tuple[list[StoredRecoveryCode], list[StoredRecoveryCode]]:
        """The user's recovery codes: (unused, used)."""
        rows = (await self._connection.execute(select(_c).where(_c.c.user_id == user_id))).all()
        unused = [StoredRecoveryCode(r.id, r.code_hash) for r in rows if r.used_at is None]
        used = [StoredRecoveryCode(r.id, r.code_hash) for r in rows if r.used_at is not None]
        return unused, used

    async def use_code(self, code_id: uuid.UUID, now: datetime) -> bool:
        """Mark a recovery code used; False if it already was (or is gone)."""
        result = await self._connection.execute(
            update(_c).where(_c.c.id == code_id, _c.c.used_at.is_(None)).values(used_at=now)
        )
        return bool(result.rowcount == 1)

    async def unused_code_count(self, user_id: uuid.UUID) -> int:
        query = select(func.count()).where(_c.c.user_id == user_id, _c.c.used_at.is_(None))
        return int((await self._connection.execute(query)).scalar_one())

    async def delete_codes(self, user_id: uuid.UUID) -> int:
        result = await self._connection.execute(delete(_c).where(_c.c.user_id == user_id))
        return int(result.rowcount)


def _sealed(row: Row[Any]) -> SealedSecret:
    return SealedSecret(key_id=row.key_id, ciphertext=row.secret_ciphertext)


def _to_factor(row: Row[Any]) -> TotpFactor:
    m = row._mapping
    return TotpFactor(
        user_id=m["user_id"],
        sealed=_sealed(row),
        created_at=aware_required(m["created_at"]),
        confirmed_at=aware(m["confirmed_at"]),
        last_used_step=m["last_used_step"],
    )
