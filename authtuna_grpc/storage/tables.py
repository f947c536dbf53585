"""The schema. Alembic migrations in migrations/ create exactly this on every database."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigSequence = BigInteger().with_variant(Integer(), "sqlite")

user = Table(
    "user",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("username", String(32), nullable=False),
    Column("username_key", String(32), nullable=False, unique=True),
    Column("password_hash", Text(), nullable=True),
    Column("is_active", Boolean(), nullable=False),
    Column("email_verified", Boolean(), nullable=False),
    Column("is_service_account", Boolean(), nullable=False),
    Column("attributes", JSON(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    Column("suspended_at", DateTime(timezone=True), nullable=True),
    Column("suspension_reason", Text(), nullable=True),
    Column("version", Integer(), nullable=False),
)

# Substring search on PostgreSQL: trigram GIN indexes on the case-folded keys, which
# serve `LIKE '%term%'`. SQLite has no such index type and scans; it gets none.
Index(
    "ix_user_email_key_trgm",
    user.c.email_key,
    postgresql_using="gin",
    postgresql_ops={"email_key": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
Index(
    "ix_user_username_key_trgm",
    user.c.username_key,
    postgresql_using="gin",
    postgresql_ops={"username_key": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_user_email_key_trgm", "ix_user_username_key_trgm"})

role = Table(
    "role",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("name_key", String(64), nullable=False, unique=True),
    Column("description", Text(), nullable=False),
    Column("is_builtin", Boolean(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

role_permission = Table(
    "role_permission",
    metadata,
    Column("role_id", Uuid(), ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
    Column("permission", String(64), primary_key=True),
)

role_assignment = Table(
    "role_assignment",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
    Column("role_id", Uuid(), ForeignKey("role.id"), nullable=False),
    Column("scope", String(128), nullable=False),
    Column("granted_by", Uuid(), nullable=True),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "role_id", "scope"),
    # Both end in user_id so a role (+ scope) or scope search reads its users in id
    # order, as keyset pages need.
    Index("ix_role_assignment_role_id_scope_user_id", "role_id", "scope", "user_id"),
    Index("ix_role_assignment_scope_user_id", "scope", "user_id"),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    # SHA-256 of the secret, hex; the secret itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("id", BigSequence, primary_key=True, autoincrement=True),
    Column("event_type", String(64), nullable=False),
    Column("user_id", Uuid(), nullable=True),
    Column("actor_id", Uuid(), nullable=True),
    Column("ip_address", String(255), nullable=True),
    # ip_address as a sortable key (domain/network.py), so an address or a CIDR filter
    # is an index range on every database; NULL when ip_address is not an IP address.
    Column("ip_address_key", String(32), nullable=True),
    Column("request_id", String(128), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("details", JSON(), nullable=False),
    Index("ix_audit_event_user_id_id", "user_id", "id"),
    Index("ix_audit_event_actor_id_id", "actor_id", "id"),
    Index("ix_audit_event_event_type_id", "event_type", "id"),
    Index("ix_audit_event_occurred_at_id", "occurred_at", "id"),
    Index("ix_audit_event_ip_address_key_id", "ip_address_key", "id"),
    # A time window and a type: the page's ids come from this index alone.
    Index("ix_audit_event_event_type_occurred_at_id", "event_type", "occurred_at", "id"),
)
