"""Conversions between database rows and domain objects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from authtuna_grpc.domain.user import User


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def aware_required(value: datetime) -> datetime:
    result = aware(value)
    assert result is not None
    return result


def to_user(row: Row[Any]) -> User:
    return to_user_from(row._mapping)


def to_user_from(m: Mapping[Any, Any]) -> User:
    """A user from a row's columns by name: a SQLAlchemy row's mapping or an asyncpg Record."""
    return User(
        id=m["id"],
        email=m["email"],
        username=m["username"],
        has_password=m["password_hash"] is not None,
        is_active=m["is_active"],
        email_verified=m["email_verified"],
        is_service_account=m["is_service_account"],
        attributes=dict(m["attributes"] or {}),
        created_at=aware_required(m["created_at"]),
        updated_at=aware_required(m["updated_at"]),
        last_login_at=aware(m["last_login_at"]),
        suspended_at=aware(m["suspended_at"]),
        suspension_reason=m["suspension_reason"],
        version=m["version"],
    )
