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
    func,
    text,
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

# Substring search on PostgreSQL: trigram GIN indexes on lower() of the case-folded
# keys, which serve `lower(key) LIKE '%term%'`. On an expression, not on the key columns
# themselves: pg_trgm's operator class also supports `=`, and the planner would then
# answer the `key = ANY(:keys)` uniqueness probe of a bulk import from the trigram index
# (1.9 s for 1000 keys at 50,000 users, against 3 ms from the unique btree). SQLite has
# no such index type and scans; it gets none.
Index(
    "ix_user_email_key_trgm",
    func.lower(user.c.email_key).label("email_key_lower"),
    postgresql_using="gin",
    postgresql_ops={"email_key_lower": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
Index(
    "ix_user_username_key_trgm",
    func.lower(user.c.username_key).label("username_key_lower"),
    postgresql_using="gin",
    postgresql_ops={"username_key_lower": "gin_trgm_ops"},
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
    # Kept to the minute (domain.credentials.LAST_USED_RESOLUTION), not per call.
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

# Client certificate identities (DNS or URI SANs) that authenticate as a service account
# on a server that requires client certificates.
service_identity = Table(
    "service_identity",
    metadata,
    Column("san", String(512), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Ids are assigned by AuditEventRepository while it holds the chain head (below), so they
# increase in commit order; each row chains to the one before it (domain/audit_chain.py).
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
    Column("previous_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Index("ix_audit_event_user_id_id", "user_id", "id"),
    Index("ix_audit_event_actor_id_id", "actor_id", "id"),
    Index("ix_audit_event_event_type_id", "event_type", "id"),
    Index("ix_audit_event_occurred_at_id", "occurred_at", "id"),
    Index("ix_audit_event_ip_address_key_id", "ip_address_key", "id"),
    # A time window and a type: the page's ids come from this index alone.
    Index("ix_audit_event_event_type_occurred_at_id", "event_type", "occurred_at", "id"),
)

# Sign-in sessions. Only the SHA-256 of a session secret is stored. Password changes,
# suspension and deletion revoke or remove a user's sessions.
session = Table(
    "session",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("idle_expires_at", DateTime(timezone=True), nullable=True),
    Column("ip_address", String(255), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# The archive of deleted users: the profile as it was, who deleted it and why. Never the
# password hash. No foreign keys: the user row is gone, and the deleter may be gone later.
deleted_user = Table(
    "deleted_user",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("username", String(32), nullable=False),
    Column("is_service_account", Boolean(), nullable=False),
    Column("email_verified", Boolean(), nullable=False),
    Column("attributes", JSON(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    Column("suspended_at", DateTime(timezone=True), nullable=True),
    Column("suspension_reason", Text(), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=False, index=True),
    Column("deleted_by", Uuid(), nullable=True),
    Column("reason", Text(), nullable=True),
)

# Failed sign-ins counted per account, per identity no account has (a SHA-256 digest)
# and per IP address, with the lock they lead to. Kept here, not in process memory, so
# a lockout holds across server processes. `stale_at` is when a row stops mattering.
sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("failures", Integer(), nullable=False),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("stale_at", DateTime(timezone=True), nullable=False, index=True),
)

# A user's TOTP authenticator: pending until confirmed by a code. The secret is stored
# only encrypted (AES-256-GCM) with the key `key_id` names, so keys can be rotated.
# `last_used_step` is the time step of the last accepted code: no code of it or an
# earlier step is accepted again.
totp_factor = Table(
    "totp_factor",
    metadata,
    Column("user_id", Uuid(), ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("secret_ciphertext", Text(), nullable=False),
    Column("key_id", String(32), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("last_used_step", BigInteger(), nullable=True),
)

# Single-use recovery codes, only as salted SHA-256 digests ("sha256$salt$digest").
recovery_code = Table(
    "recovery_code",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code_hash", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# Second steps of sign-ins: a password was verified, a code is still due. Only the
# SHA-256 of a challenge token is stored. Used, expired and void ones are swept.
sign_in_challenge = Table(
    "sign_in_challenge",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Uuid(), ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("failed_attempts", Integer(), nullable=False),
)

# The newest audit event's id and chain hash: one row, id 1. Every append updates it
# first, which serialises appends (a row lock on PostgreSQL, the write lock on SQLite)
# until the appending transaction ends.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("event_id", BigInteger(), nullable=False),
    Column("chain_hash", String(64), nullable=False),
)

# The retention anchor: the newest purged audit event's id and chain hash (0 and the
# genesis hash until a purge), so the oldest retained event can still be verified.
# One row, id 1.
audit_anchor = Table(
    "audit_anchor",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("event_id", BigInteger(), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("purged_at", DateTime(timezone=True), nullable=True),
)

# Consent records, never overwritten (domain/consents.py). No foreign key to user: they
# outlive the account as evidence of what it had agreed to, and are purged with its
# archived record (deleted_user) at the deleted-user retention.
consent = Table(
    "consent",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("granted_by", Uuid(), nullable=True),
    Column("granted_ip_address", String(255), nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("withdrawn_by", Uuid(), nullable=True),
    Column("withdrawn_ip_address", String(255), nullable=True),
    Column("superseded_by", Uuid(), nullable=True),
    Index("ix_consent_user_id_id", "user_id", "id"),
    # At most one consent in force per user and purpose.
    Index(
        "ix_consent_user_id_purpose",
        "user_id",
        "purpose",
        unique=True,
        sqlite_where=text("withdrawn_at IS NULL"),
        postgresql_where=text("withdrawn_at IS NULL"),
    ),
)
