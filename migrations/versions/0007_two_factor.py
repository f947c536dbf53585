"""Two-factor sign-in: TOTP authenticators, recovery codes, sign-in challenges; the
mfa.enroll and mfa.reset permissions for the built-in roles.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)

ENROLL = "mfa.enroll"
RESET = "mfa.reset"

# Permissions added to built-in roles (by name, as in 0005: a renamed or removed
# built-in role gets no orphan grant).
GRANTS: dict[str, list[str]] = {
    "Admin": [ENROLL, RESET],
    "UserManager": [RESET],
    "SignInService": [ENROLL],
}


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["user.id"], name=f"fk_{table}_user_id_user", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "totp_factor",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("confirmed_at", Timestamp, nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        _user_fk("totp_factor"),
        sa.PrimaryKeyConstraint("user_id", name="pk_totp_factor"),
    )
    op.create_index("ix_totp_factor_key_id", "totp_factor", ["key_id"])

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
        _user_fk("recovery_code"),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_code"),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])

    op.create_table(
        "sign_in_challenge",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _user_fk("sign_in_challenge"),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_challenge"),
        sa.UniqueConstraint("token_hash", name="uq_sign_in_challenge_token_hash"),
    )
    op.create_index("ix_sign_in_challenge_user_id", "sign_in_challenge", ["user_id"])
    op.create_index("ix_sign_in_challenge_expires_at", "sign_in_challenge", ["expires_at"])

    for name, permissions in GRANTS.items():
        for permission in permissions:
            op.execute(
                sa.text(
                    "INSERT INTO role_permission (role_id, permission) "
                    "SELECT id, :permission FROM role WHERE name_key = :name_key"
                ).bindparams(permission=permission, name_key=name.casefold())
            )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM role_permission WHERE permission IN (:a, :b)").bindparams(
            a=ENROLL, b=RESET
        )
    )
    op.drop_table("sign_in_challenge")
    op.drop_table("recovery_code")
    op.drop_table("totp_factor")
