"""User search pages: the filters as SQL, in id order, one statement per page."""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, literal, or_, select, true
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from authtuna_grpc.domain.search import BasicUser, UserFilter, UserRecord
from authtuna_grpc.storage import driver_reads, tables
from authtuna_grpc.storage.driver_reads import Statement, compile_for_driver
from authtuna_grpc.storage.reads import page_connection
from authtuna_grpc.storage.user_records import POSTGRESQL_RECORD_COLUMNS, USER_COLUMNS, to_record

_u = tables.user
_ra = tables.role_assignment
_r = tables.role

LIKE_ESCAPE = "\\"

def contains_pattern(key: str) -> str:
    """A LIKE pattern matching `key` anywhere, with %, _ and the escape taken literally."""
    escaped = (
        key.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _contains(column: Any, key: str) -> ColumnElement[bool]:
    """`lower(key column) LIKE lower(pattern)`: the expression the trigram indexes are on
    (storage/tables.py says why they are not on the columns). The keys are case-folded
    already; lower() on both sides keeps them comparable where the two differ."""
    pattern = func.lower(literal(contains_pattern(key)))
    return func.lower(column).like(pattern, escape=LIKE_ESCAPE)


def _holds_role(role_key: str | None, scope: str | None, keyset: bool) -> ColumnElement[bool]:
    """The user has one assignment matching both the role and the scope that are set.

    PostgreSQL does not carry `user.id > :after_id` over to the assignments through the
    join, so the keyset bound is repeated here; otherwise every page would read the
    index from the first assignment onwards."""
    conditions = [_ra.c.user_id == _u.c.id]
    if keyset:
        conditions.append(_ra.c.user_id > bindparam("after_id"))
    if role_key is not None:
        role_id = select(_r.c.id).where(_r.c.name_key == role_key).scalar_subquery()
        conditions.append(_ra.c.role_id == role_id)
    if scope is not None:
        conditions.append(_ra.c.scope == scope)
    return exists().where(*conditions)


def _conditions(f: UserFilter, keyset: bool) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if f.identity is not None:
        found.append(or_(_contains(_u.c.email_key, f.identity), _contains(_u.c.username_key, f.identity)))
    if f.username is not None:
        found.append(_contains(_u.c.username_key, f.username))
    if f.role is not None or f.scope is not None:
        found.append(_holds_role(f.role, f.scope, keyset))
    for column, wanted in (
        (_u.c.is_active, f.is_active),
        (_u.c.email_verified, f.email_verified),
        (_u.c.is_service_account, f.is_service_account),
    ):
        if wanted is not None:
            found.append(column == wanted)
    if f.created_after is not None:
        found.append(_u.c.created_at > f.created_after)
    if f.created_before is not None:
        found.append(_u.c.created_at < f.created_before)
    return found


def page_query(columns: tuple[Any, ...], f: UserFilter, *, keyset: bool, offset: bool) -> Select[Any]:
    """Matching users in id order, `page_limit` of them: after the id `after_id` (keyset),
    or skipping `page_skip` (OFFSET). The page bounds are parameters, so one compiled
    statement serves every page of a stream."""
    conditions = _conditions(f, keyset)
    if keyset:
        conditions.append(_u.c.id > bindparam("after_id"))
    query = (
        select(*columns)
        .where(and_(true(), *conditions))
        .order_by(_u.c.id)
        .limit(bindparam("page_limit"))
    )
    return query.offset(bindparam("page_skip")) if offset else query


def page_bounds(after: uuid.UUID | None, skip: int, limit: int) -> dict[str, Any]:
    return {"after_id": after, "page_skip": skip, "page_limit": limit}


@lru_cache(maxsize=256)
def postgresql_statement(dialect: Dialect, f: UserFilter, keyset: bool, offset: bool) -> Statement:
    """Compiling costs about as much as reading a page; a stream's pages only change
    the bounds, so each filter and shape is compiled once."""
    query = page_query(POSTGRESQL_RECORD_COLUMNS, f, keyset=keyset, offset=offset)
    return compile_for_driver(dialect, query)


class UserSearchReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def records(
        self, f: UserFilter, *, after: uuid.UUID | None, skip: int, limit: int
    ) -> list[UserRecord]:
        keyset, offset, bounds = after is not None, skip > 0, page_bounds(after, skip, limit)
        async with page_connection(self._engine) as connection:
            if connection.dialect.name == "postgresql":
                statement = postgresql_statement(connection.dialect, f, keyset, offset)
                # Records unpack like tuples, which is all a UserRecord is used for.
                records: list[UserRecord] = await driver_reads.run(connection, statement, bounds)
                return records
            query = page_query(USER_COLUMNS, f, keyset=keyset, offset=offset)
            rows = (await connection.execute(query, bounds)).all()
        return [to_record(row) for row in rows]

    async def basic_users(
        self, f: UserFilter, *, after: uuid.UUID | None, skip: int, limit: int
    ) -> list[BasicUser]:
        query = page_query((_u.c.id, _u.c.username), f, keyset=after is not None, offset=skip > 0)
        async with page_connection(self._engine) as connection:
            rows = (await connection.execute(query, page_bounds(after, skip, limit))).all()
        return [BasicUser(id=row.id, username=row.username) for row in rows]
