"""Roles and tokens: API token last use, client certificate identities of service accounts.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("api_token", sa.Column("last_used_at", Timestamp, nullable=True))
    op.create_table(
        "service_identity",
        sa.Column("san", sa.String(512), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_service_identity_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("san", name="pk_service_identity"),
    )
    op.create_index("ix_service_identity_user_id", "service_identity", ["user_id"])


def downgrade() -> None:
    op.drop_table("service_identity")
    # SQLite cannot drop a column in place; batch mode copies the table.
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("last_used_at")
