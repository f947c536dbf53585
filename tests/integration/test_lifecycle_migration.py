from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, inspect

from authtuna_grpc.storage import migrations
from authtuna_grpc.storage.database import create_engine


async def test_revision_0002_downgrades_to_0001_and_upgrades_again(database_url: str) -> None:
    engine = create_engine(database_url)
    config = migrations.alembic_config()

    def downgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")

    def table_names(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    try:
        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        async with engine.connect() as connection:
            remaining = await connection.run_sync(table_names)
        assert {"session", "deleted_user"}.isdisjoint(remaining) and "user" in remaining
        await migrations.upgrade(engine)
        assert await migrations.is_current(engine)
        async with engine.connect() as connection:
            assert {"session", "deleted_user"} <= await connection.run_sync(table_names)
    finally:
        await engine.dispose()
