"""Alembic migrations for the authtuna-grpc schema (installed as authtuna_grpc.migrations)."""
