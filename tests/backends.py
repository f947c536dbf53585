"""Fresh, migrated databases for tests: SQLite files and PostgreSQL databases.

Each backend is migrated once per test run into a template; every test gets a copy
(a file copy for SQLite, CREATE DATABASE … TEMPLATE for PostgreSQL), so tests are
isolated and fast.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine

POSTGRES_ENV = "AUTHTUNA_TEST_POSTGRES_URL"
# A direct connection to the same server, when POSTGRES_ENV goes through PgBouncer:
# CREATE DATABASE … TEMPLATE needs the template free of the pooler's idle connections.
POSTGRES_ADMIN_ENV = "AUTHTUNA_TEST_POSTGRES_ADMIN_URL"
BACKENDS_ENV = "AUTHTUNA_TEST_BACKENDS"
# Set by scripts/postgres when it made the cluster for this run and deletes it afterwards.
THROWAWAY_ENV = "AUTHTUNA_TEST_POSTGRES_THROWAWAY"


def selected_backends() -> list[str]:
    names = os.environ.get(BACKENDS_ENV, "sqlite,postgresql").split(",")
    return [name.strip() for name in names if name.strip()]


def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ADMIN_ENV) or os.environ.get(POSTGRES_ENV)
    if not url:
        raise RuntimeError(
            f"{POSTGRES_ENV} is not set: run the tests with scripts/test, which starts "
            f"PostgreSQL, or set {BACKENDS_ENV}=sqlite to run the SQLite half only"
        )
    return url


def postgres_admin_dsn() -> str:
    return make_url(postgres_admin_url()).set(drivername="postgresql").render_as_string(hide_password=False)


class SqliteDatabases:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._template = root / "template.db"

    async def prepare(self) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{self._template}")
        await migrations.upgrade(engine)
        await engine.dispose()

    async def fresh(self) -> str:
        path = self._root / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self._template, path)
        return f"sqlite+aiosqlite:///{path}"

    async def close(self) -> None:
        pass


class PostgresDatabases:
    def __init__(self) -> None:
        self._admin_dsn = postgres_admin_dsn()
        self._template = f"authtuna_tpl_{uuid.uuid4().hex[:12]}"
        self._created: list[str] = []
        self._next: asyncio.Future[str] | None = None

    def _url(self, database: str) -> str:
        base = make_url(os.environ[POSTGRES_ENV])
        return base.set(database=database).render_as_string(hide_password=False)

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self._admin_dsn)

    async def prepare(self) -> None:
        connection = await self._admin()
        try:
            await connection.execute(f'CREATE DATABASE "{self._template}"')
        finally:
            await connection.close()
        template = make_url(postgres_admin_url()).set(database=self._template)
        engine = create_engine(template.render_as_string(hide_password=False))
        await migrations.upgrade(engine)
        await engine.dispose()

    async def _copy(self) -> str:
        name = f"authtuna_t_{uuid.uuid4().hex[:16]}"
        connection = await self._admin()
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        finally:
            await connection.close()
        self._created.append(name)
        return name

    async def fresh(self) -> str:
        """A new copy of the template. The copy for the next test is made while this one
        runs (CREATE DATABASE takes about 0.1 s, on the database server's own process)."""
        pending = self._next if self._next is not None else asyncio.ensure_future(self._copy())
        self._next = None
        name = await pending
        self._next = asyncio.ensure_future(self._copy())
        return self._url(name)

    async def close(self) -> None:
        if self._next is not None:
            await asyncio.gather(self._next, return_exceptions=True)
        if os.environ.get(THROWAWAY_ENV):
            return  # the whole cluster is deleted when the run ends (scripts/postgres)
        connection = await self._admin()
        try:
            for name in [*self._created, self._template]:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
