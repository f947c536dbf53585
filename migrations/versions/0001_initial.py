"""Initial schema: users, roles, API tokens, audit events; built-in roles.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigSequence = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "Admin": (
        "Full control of users, roles, tokens and the audit trail.",
        [
            "users.read",
            "users.read_basic",
            "users.create",
            "users.update",
            "users.set_password",
            "users.suspend",
            "users.delete",
            "audit.read",
            "roles.manage",
            "tokens.manage",
        ],
    ),
    "UserManager": (
        "Manages user accounts; cannot delete users or manage roles.",
        [
            "users.read",
            "users.read_basic",
            "users.create",
            "users.update",
            "users.set_password",
            "users.suspend",
        ],
    ),
    "Auditor": ("Reads users and the audit trail.", ["users.read", "users.read_basic", "audit.read"]),
    "Member": ("A signed-up user: may look others up by username only.", ["users.read_basic"]),
}


def upgrade() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("username_key", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("is_service_account", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("last_login_at", Timestamp, nullable=True),
        sa.Column("suspended_at", Timestamp, nullable=True),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user"),
        sa.UniqueConstraint("email_key", name="uq_user_email_key"),
        sa.UniqueConstraint("username_key", name="uq_user_username_key"),
    )
    role = op.create_table(
        "role",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_role"),
        sa.UniqueConstraint("name_key", name="uq_role_name_key"),
    )
    role_permission = op.create_table(
        "role_permission",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("permission", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"], ["role.id"], name="fk_role_permission_role_id_role", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("role_id", "permission", name="pk_role_permission"),
    )
    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("granted_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_role_assignment_user_id_user", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["role_id"], ["role.id"], name="fk_role_assignment_role_id_role"),
        sa.PrimaryKeyConstraint("id", name="pk_role_assignment"),
        sa.UniqueConstraint(
            "user_id", "role_id", "scope", name="uq_role_assignment_user_id_role_id_scope"
        ),
    )
    op.create_index("ix_role_assignment_role_id_scope", "role_assignment", ["role_id", "scope"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_api_token_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_token_hash"),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])
    op.create_table(
        "audit_event",
        sa.Column("id", BigSequence, autoincrement=True, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("ip_address", sa.String(255), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
    )
    op.create_index("ix_audit_event_user_id_id", "audit_event", ["user_id", "id"])
    op.create_index("ix_audit_event_actor_id_id", "audit_event", ["actor_id", "id"])
    op.create_index("ix_audit_event_event_type_id", "audit_event", ["event_type", "id"])
    op.create_index("ix_audit_event_occurred_at", "audit_event", ["occurred_at"])

    now = datetime(2026, 11, 25, tzinfo=UTC)
    roles, permissions = [], []
    for name, (description, granted) in BUILTIN_ROLES.items():
        role_id = uuid.uuid5(uuid.NAMESPACE_URL, f"authtuna:role:{name}")
        roles.append(
            {
                "id": role_id,
                "name": name,
                "name_key": name.casefold(),
                "description": description,
                "is_builtin": True,
                "created_at": now,
            }
        )
        permissions.extend({"role_id": role_id, "permission": p} for p in granted)
    op.bulk_insert(role, roles)
    op.bulk_insert(role_permission, permissions)


def downgrade() -> None:
    for table in ("audit_event", "api_token", "role_assignment", "role_permission", "role", "user"):
        op.drop_table(table)
