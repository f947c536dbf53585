"""Alembic environment: runs on the connection handed over by authtuna_grpc.storage.migrations."""

from __future__ import annotations

from alembic import context

from authtuna_grpc.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `authtuna-grpc migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
