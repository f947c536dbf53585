"""Users in the UserRecord form (domain/search.py), built for streaming a million.

On PostgreSQL the database renders ids as text, times as epoch microseconds and
attributes as JSON text, and the rows go straight from asyncpg to the message builder.
Through SQLAlchemy's result processing (UUID, JSON and datetime conversion, Row objects)
and a User object per row, reading cost several times what building the messages costs
(docs/benchmarks.md measures both ways). SQLite keeps the ordinary path and converts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Text, cast, extract, literal_column

from authtuna_grpc.domain.search import UserRecord
from authtuna_grpc.storage import tables
from authtuna_grpc.storage.rows import aware_required

_u = tables.user
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Everything a UserRecord needs, without reading the password hash itself.
USER_COLUMNS = (
    _u.c.id,
    _u.c.email,
    _u.c.username,
    _u.c.password_hash.is_not(None).label("has_password"),
    _u.c.is_active,
    _u.c.email_verified,
    _u.c.is_service_account,
    _u.c.attributes,
    _u.c.created_at,
    _u.c.updated_at,
    _u.c.last_login_at,
    _u.c.suspended_at,
    _u.c.suspension_reason,
    _u.c.version,
)



def _epoch_micros(column: Any) -> Any:
    return (extract("epoch", column) * literal_column("1000000")).cast(BigInteger)


POSTGRESQL_RECORD_COLUMNS = (
    cast(_u.c.id, Text),
    _u.c.email,
    _u.c.username,
    _u.c.password_hash.is_not(None),
    _u.c.is_active,
    _u.c.email_verified,
    _u.c.is_service_account,
    cast(_u.c.attributes, Text),
    _epoch_micros(_u.c.created_at),
    _epoch_micros(_u.c.updated_at),
    _epoch_micros(_u.c.last_login_at),
    _epoch_micros(_u.c.suspended_at),
    _u.c.suspension_reason,
    _u.c.version,
)


def _micros(value: datetime | None) -> int | None:
    return None if value is None else (aware_required(value) - _EPOCH) // _MICROSECOND


def to_record(row: Any) -> UserRecord:
    """A row of USER_COLUMNS in the UserRecord form."""
    return (
        str(row.id),
        row.email,
        row.username,
        row.has_password,
        row.is_active,
        row.email_verified,
        row.is_service_account,
        json.dumps(row.attributes or {}),
        (aware_required(row.created_at) - _EPOCH) // _MICROSECOND,
        (aware_required(row.updated_at) - _EPOCH) // _MICROSECOND,
        _micros(row.last_login_at),
        _micros(row.suspended_at),
        row.suspension_reason,
        row.version,
    )
