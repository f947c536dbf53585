"""One typed settings object, read from AUTHTUNA_* environment variables and flags."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from authtuna_grpc.services.passwords import Argon2Parameters


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTHTUNA_", extra="forbid", frozen=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./authtuna.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db.",
    )
    listen: str = Field(default="127.0.0.1:50051", description="host:port the gRPC server binds.")
    bootstrap_token: SecretStr | None = Field(
        default=None,
        description="Token of the admin service account created on an empty database; "
        "generated and printed once to stderr when unset.",
    )
    argon2_time_cost: int = Field(default=2, ge=1, le=20, description="argon2id iterations.")
    argon2_memory_kib: int = Field(
        default=19 * 1024, ge=8, le=4 * 1024 * 1024, description="argon2id memory in KiB."
    )
    argon2_parallelism: int = Field(default=1, ge=1, le=16, description="argon2id lanes.")
    hash_workers: int = Field(
        default=0, ge=0, le=64, description="Threads hashing passwords; 0 means one per core."
    )
    db_pool_size: int = Field(default=10, ge=1, le=200, description="PostgreSQL pool size.")
    audit_watch_poll_seconds: float = Field(
        default=0.25,
        ge=0.01,
        le=10,
        description="How often WatchAuditEvents looks for newly committed events.",
    )
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, le=600, description="How long in-flight calls may finish on SIGTERM."
    )
    log_level: str = Field(default="INFO", description="Python log level.")

    @field_validator("listen")
    @classmethod
    def _listen_has_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("must be host:port, e.g. 127.0.0.1:50051 or [::]:50051")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @property
    def argon2(self) -> Argon2Parameters:
        return Argon2Parameters(
            time_cost=self.argon2_time_cost,
            memory_cost_kib=self.argon2_memory_kib,
            parallelism=self.argon2_parallelism,
        )
