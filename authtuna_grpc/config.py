"""One typed settings object: flags > AUTHTUNA_* environment > settings file > defaults.

Every field here is a setting: `serve --help` builds its flags from these fields and
docs/configuration.md lists them (a test keeps the page in step with this class).
settings_sources.load_settings reads them from flags, the environment and a file.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from authtuna_grpc.domain.retention import RetentionPolicy
from authtuna_grpc.domain.sessions import SessionPolicy
from authtuna_grpc.domain.sign_in import Limit, LockoutPolicy
from authtuna_grpc.domain.two_factor import ChallengePolicy, parse_key_ring
from authtuna_grpc.services.passwords import Argon2Parameters

ENV_PREFIX = "AUTHTUNA_"
MIB = 1024 * 1024


def _check_address(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be host:port, e.g. 127.0.0.1:50051 or [::]:50051")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

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
    workers: int = Field(
        default=1, ge=1, le=64,
        description="Server processes sharing the port (SO_REUSEPORT); more than 1 needs a fixed port.",
    )
    argon2_time_cost: int = Field(default=2, ge=1, le=20, description="argon2id iterations.")
    argon2_memory_kib: int = Field(
        default=19 * 1024, ge=8, le=4 * 1024 * 1024, description="argon2id memory in KiB."
    )
    argon2_parallelism: int = Field(default=1, ge=1, le=16, description="argon2id lanes.")
    hash_workers: int = Field(
        default=0, ge=0, le=64, description="Threads hashing passwords; 0 means one per core."
    )
    db_pool_size: int = Field(
        default=10, ge=1, le=200,
        description="PostgreSQL connections per process (and as many again as overflow).",
    )
    db_pgbouncer: bool = Field(
        default=False,
        description="The database URL points at PgBouncer in transaction mode: use unnamed "
        "prepared statements and no statement cache.",
    )
    audit_watch_poll_seconds: float = Field(
        default=0.25,
        ge=0.01,
        le=10,
        description="How often WatchAuditEvents looks for newly committed events.",
    )
    max_concurrent_rpcs: int = Field(
        default=256, ge=0, le=100_000,
        description="Calls served at once per process; beyond it a call fails at once with "
        "RESOURCE_EXHAUSTED. Health checks are exempt. 0 means no limit.",
    )
    max_message_bytes: int = Field(
        default=4 * MIB, ge=1024, le=256 * MIB,
        description="Largest request or response message; a larger one is RESOURCE_EXHAUSTED.",
    )
    keepalive_time_seconds: float = Field(
        default=120, gt=0, le=86400,
        description="Idle time after which the server pings a client to check the connection.",
    )
    keepalive_timeout_seconds: float = Field(
        default=20, gt=0, le=3600, description="How long the server waits for a ping's answer."
    )
    keepalive_min_client_interval_seconds: float = Field(
        default=10, ge=0, le=86400,
        description="Clients pinging more often than this are disconnected (GOAWAY).",
    )
    max_connection_idle_seconds: float = Field(
        default=0, ge=0, le=86400 * 7,
        description="Close connections idle this long; 0 keeps them.",
    )
    max_connection_age_seconds: float = Field(
        default=0, ge=0, le=86400 * 7,
        description="Close connections this old so clients rebalance across replicas; 0 never.",
    )
    metrics_listen: str = Field(
        default="",
        description="host:port serving Prometheus metrics at /metrics; empty disables them.",
    )
    event_loop: Literal["auto", "uvloop", "asyncio"] = Field(
        default="auto",
        description="Event loop of serve: auto takes uvloop when it is installed (it is on "
        "Linux and macOS, and costs less CPU per call), else Python's asyncio.",
    )
    access_log: bool = Field(default=True, description="Log one line per RPC.")
    log_format: Literal["json", "text"] = Field(
        default="json", description="json (one object per line) or text."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Python log level."
    )
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, le=600, description="How long in-flight calls may finish on SIGTERM."
    )
    health_probe_interval_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="How often the server probes the database (SELECT 1); while it does "
        "not answer, grpc.health.v1 reports NOT_SERVING.",
    )
    health_probe_timeout_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How long one database probe may take."
    )
    session_lifetime_seconds: int = Field(
        default=7 * 24 * 3600,
        ge=1,
        le=366 * 24 * 3600,
        description="Absolute session lifetime: a session ends this long after sign-in.",
    )
    session_idle_timeout_seconds: int = Field(
        default=3600,
        ge=1,
        le=366 * 24 * 3600,
        description="A session not validated for this long ends (sliding).",
    )
    session_refresh_seconds: int = Field(
        default=60,
        ge=0,
        le=3600,
        description="Validation records a session's last use at most this often.",
    )
    sign_in_max_failures: int = Field(
        default=5,
        ge=1,
        le=10_000,
        description="Failed sign-ins for one account within the window that lock it.",
    )
    sign_in_max_failures_per_ip: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="Failed sign-ins from one IP address (any accounts) within the window "
        "that lock the address; 0 turns the per-address limit off.",
    )
    sign_in_failure_window_seconds: int = Field(
        default=900, ge=1, le=7 * 24 * 3600, description="Window in which failures are counted."
    )
    sign_in_lock_seconds: int = Field(
        default=900, ge=1, le=7 * 24 * 3600, description="How long a lock lasts."
    )

    # --- Two-factor sign-in (docs/two-factor.md) ---
    mfa_encryption_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated id:key list of AES-256 keys (32 bytes, base64) that "
        "encrypt TOTP secrets; the first encrypts, every one decrypts (rotation). Unset: "
        "TOTP enrolment and TOTP codes are refused with MFA_NOT_CONFIGURED.",
    )
    mfa_issuer: str = Field(
        default="authtuna",
        min_length=1,
        max_length=64,
        pattern=r"^[^:]+$",
        description="Issuer shown by authenticator apps (no colon).",
    )
    mfa_challenge_seconds: int = Field(
        default=300, ge=30, le=3600, description="How long a sign-in challenge is valid."
    )
    mfa_challenge_max_attempts: int = Field(
        default=3, ge=1, le=100, description="Wrong codes that void a sign-in challenge."
    )

    # --- Retention (docs/compliance.md) ---
    audit_retention_days: int = Field(
        default=0,
        ge=0,
        le=36_500,
        description="Audit events older than this many days are removed by a purge; "
        "0 keeps them forever.",
    )
    deleted_user_retention_days: int = Field(
        default=0,
        ge=0,
        le=36_500,
        description="Archived (deleted) users, with their consent records, are removed "
        "this many days after deletion by a purge; 0 keeps them forever.",
    )
    purge_interval_seconds: int = Field(
        default=0,
        ge=0,
        le=7 * 24 * 3600,
        description="serve purges past-retention rows this often; 0 turns the periodic "
        "purge off (run `authtuna-grpc purge` instead).",
    )
    purge_batch_size: int = Field(
        default=1000, ge=1, le=100_000, description="Rows a purge removes per transaction."
    )

    # --- Who is calling: proxies and TLS (docs/authorization.md) ---
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated CIDRs (or addresses) of proxies whose x-forwarded-for "
        "is believed; empty: the caller's IP is always the gRPC peer.",
    )
    tls_cert: Path | None = Field(
        default=None, description="PEM certificate chain to serve TLS with (needs tls_key)."
    )
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert.")
    tls_client_ca: Path | None = Field(
        default=None,
        description="PEM CA bundle: when set, every client must present a certificate it "
        "signed, and a certificate bound to a service account authenticates without a token.",
    )

    @field_validator("listen")
    @classmethod
    def _listen_has_port(cls, value: str) -> str:
        return _check_address(value)

    @field_validator("metrics_listen")
    @classmethod
    def _metrics_listen_has_port(cls, value: str) -> str:
        return _check_address(value) if value else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("workers")
    @classmethod
    def _workers_need_a_fixed_port(cls, value: int, info: ValidationInfo) -> int:
        if value > 1 and str(info.data.get("listen", "")).endswith(":0"):
            raise ValueError("more than one worker needs a fixed port in listen")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=True)
            except ValueError as error:
                raise ValueError(f"{entry!r} is not a CIDR such as 10.0.0.0/8: {error}") from None
        return value

    @field_validator("mfa_encryption_keys")
    @classmethod
    def _keys_parse(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_key_ring(value.get_secret_value())  # its messages never quote a key
        return value

    @model_validator(mode="after")
    def _tls_is_complete(self) -> Self:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key must be set together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("tls_client_ca requires tls_cert and tls_key")
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(entry) for entry in self.trusted_proxies)

    @property
    def argon2(self) -> Argon2Parameters:
        return Argon2Parameters(
            time_cost=self.argon2_time_cost,
            memory_cost_kib=self.argon2_memory_kib,
            parallelism=self.argon2_parallelism,
        )

    @property
    def sessions(self) -> SessionPolicy:
        return SessionPolicy(
            lifetime=timedelta(seconds=self.session_lifetime_seconds),
            idle_timeout=timedelta(seconds=self.session_idle_timeout_seconds),
            refresh_interval=timedelta(seconds=self.session_refresh_seconds),
        )

    @property
    def retention(self) -> RetentionPolicy:
        return RetentionPolicy.of_days(
            self.audit_retention_days, self.deleted_user_retention_days, self.purge_batch_size
        )

    @property
    def lockout(self) -> LockoutPolicy:
        window = timedelta(seconds=self.sign_in_failure_window_seconds)
        lock_for = timedelta(seconds=self.sign_in_lock_seconds)
        per_ip = None
        if self.sign_in_max_failures_per_ip:
            per_ip = Limit(self.sign_in_max_failures_per_ip, window, lock_for)
        return LockoutPolicy(
            per_account=Limit(self.sign_in_max_failures, window, lock_for), per_ip=per_ip
        )

    @property
    def mfa_keys(self) -> str | None:
        return self.mfa_encryption_keys.get_secret_value() if self.mfa_encryption_keys else None

    @property
    def challenges(self) -> ChallengePolicy:
        return ChallengePolicy(
            lifetime=timedelta(seconds=self.mfa_challenge_seconds),
            max_attempts=self.mfa_challenge_max_attempts,
        )

def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()
