from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine
from authtuna_grpc.storage.tables import POSTGRESQL_ONLY_INDEXES, metadata


def _declared_for(dialect: str):
    """Skips exactly the indexes tables.py declares for PostgreSQL only, elsewhere."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        return dialect == "postgresql" or not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)

    return include


async def test_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await migrations.is_current(engine)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"include_object": _declared_for(sync.dialect.name)}
                    ),
                    metadata,
                )
            )
            roles = (await connection.execute(text("SELECT name FROM role ORDER BY name"))).scalars().all()
        assert diff == []
        assert roles == ["Admin", "Auditor", "Member", "SignInService", "UserManager"]
    finally:
        await engine.dispose()
