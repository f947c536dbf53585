"""Sign-in: failed-attempt counters and locks; session permissions for the built-in roles
and the SignInService role.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)

SIGN_IN = "sessions.sign_in"
VALIDATE = "sessions.validate"
MANAGE = "sessions.manage"

# Permissions added to the roles 0001 created.
GRANTS: dict[str, list[str]] = {
    "Admin": [SIGN_IN, VALIDATE, MANAGE],
    "UserManager": [MANAGE],
}

SIGN_IN_SERVICE = "SignInService"
SIGN_IN_SERVICE_DESCRIPTION = (
    "A service that signs its end users in and out and validates their sessions "
    "(a web front end, an API gateway)."
)


def _role_id(name: str) -> uuid.UUID:
    # As in 0001: built-in roles have the same id in every database.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"authtuna:role:{name}")


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", Timestamp, nullable=False),
        sa.Column("locked_until", Timestamp, nullable=True),
        sa.Column("stale_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", name="pk_sign_in_throttle"),
    )
    op.create_index("ix_sign_in_throttle_stale_at", "sign_in_throttle", ["stale_at"])

    role = sa.table(
        "role",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("is_builtin", sa.Boolean()),
        sa.column("created_at", Timestamp),
    )
    op.bulk_insert(
        role,
        [
            {
                "id": _role_id(SIGN_IN_SERVICE),
                "name": SIGN_IN_SERVICE,
                "name_key": SIGN_IN_SERVICE.casefold(),
                "description": SIGN_IN_SERVICE_DESCRIPTION,
                "is_builtin": True,
                "created_at": datetime(2026, 11, 27, tzinfo=UTC),
            }
        ],
    )
    grants = {**GRANTS, SIGN_IN_SERVICE: [SIGN_IN, VALIDATE]}
    # Through the role's name, so a database whose built-in role was renamed or removed
    # gets no orphan grant.
    for name, permissions in grants.items():
        for permission in permissions:
            op.execute(
                sa.text(
                    "INSERT INTO role_permission (role_id, permission) "
                    "SELECT id, :permission FROM role WHERE name_key = :name_key"
                ).bindparams(permission=permission, name_key=name.casefold())
            )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM role_permission WHERE permission IN (:a, :b, :c)").bindparams(
            a=SIGN_IN, b=VALIDATE, c=MANAGE
        )
    )
    role_id = _role_id(SIGN_IN_SERVICE)
    role_assignment = sa.table("role_assignment", sa.column("role_id", sa.Uuid()))
    role = sa.table("role", sa.column("id", sa.Uuid()))
    op.execute(sa.delete(role_assignment).where(role_assignment.c.role_id == role_id))
    op.execute(sa.delete(role).where(role.c.id == role_id))
    op.drop_table("sign_in_throttle")
