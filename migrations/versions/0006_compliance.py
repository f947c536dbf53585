"""Compliance: consent records, the audit hash chain (head and retention anchor), and the
permissions users.export, users.import and consents.manage.

Events written before this revision are chained here, in id order, exactly as
AuditEventRepository chains new ones.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from authtuna_grpc.domain.audit_chain import GENESIS_HASH, ChainedEvent, content_hash

revision = "0006"
down_revision = "0007"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
PAGE = 1000

EXPORT = "users.export"
IMPORT = "users.import"
CONSENTS = "consents.manage"
GRANTS: dict[str, list[str]] = {"Admin": [EXPORT, IMPORT, CONSENTS], "UserManager": [CONSENTS]}

audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.BigInteger()),
    sa.column("event_type", sa.String()),
    sa.column("user_id", sa.Uuid()),
    sa.column("actor_id", sa.Uuid()),
    sa.column("ip_address", sa.String()),
    sa.column("request_id", sa.String()),
    sa.column("occurred_at", Timestamp),
    sa.column("details", sa.JSON()),
    sa.column("previous_hash", sa.String()),
    sa.column("chain_hash", sa.String()),
)


def upgrade() -> None:
    _create_consent()
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain_head"),
    )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("purged_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_anchor"),
    )
    op.add_column("audit_event", sa.Column("previous_hash", sa.String(64), nullable=True))
    op.add_column("audit_event", sa.Column("chain_hash", sa.String(64), nullable=True))
    head_id, head_hash = _chain_existing_events()
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("previous_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("chain_hash", existing_type=sa.String(64), nullable=False)
    op.bulk_insert(
        sa.table("audit_chain_head", sa.column("id"), sa.column("event_id"), sa.column("chain_hash")),
        [{"id": 1, "event_id": head_id, "chain_hash": head_hash}],
    )
    op.bulk_insert(
        sa.table("audit_anchor", sa.column("id"), sa.column("event_id"), sa.column("chain_hash")),
        [{"id": 1, "event_id": 0, "chain_hash": GENESIS_HASH}],
    )
    _grant_permissions()


def _create_consent() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("granted_at", Timestamp, nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("granted_ip_address", sa.String(255), nullable=True),
        sa.Column("withdrawn_at", Timestamp, nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawn_ip_address", sa.String(255), nullable=True),
        sa.Column("superseded_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consent"),
    )
    op.create_index("ix_consent_user_id_id", "consent", ["user_id", "id"])
    op.create_index(
        "ix_consent_user_id_purpose",
        "consent",
        ["user_id", "purpose"],
        unique=True,
        sqlite_where=sa.text("withdrawn_at IS NULL"),
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )


def _chain_existing_events() -> tuple[int, str]:
    """Hash every existing event in id order; the last id and hash (the head)."""
    bind = op.get_bind()
    head_id, head_hash = 0, GENESIS_HASH
    while True:
        rows = bind.execute(
            sa.select(audit_event).where(audit_event.c.id > head_id).order_by(audit_event.c.id).limit(PAGE)
        ).all()
        if not rows:
            return head_id, head_hash
        updates = []
        for row in rows:
            event = ChainedEvent(
                id=row.id,
                event_type=row.event_type,
                user_id=row.user_id,
                actor_id=row.actor_id,
                ip_address=row.ip_address,
                request_id=row.request_id,
                occurred_at=row.occurred_at,
                details=dict(row.details or {}),
                previous_hash=head_hash,
                chain_hash="",
            )
            head_id, head_hash = row.id, content_hash(event)
            updates.append({"b_id": row.id, "b_previous": event.previous_hash, "b_chain": head_hash})
        bind.execute(
            sa.update(audit_event)
            .where(audit_event.c.id == sa.bindparam("b_id"))
            .values(previous_hash=sa.bindparam("b_previous"), chain_hash=sa.bindparam("b_chain")),
            updates,
        )


def _grant_permissions() -> None:
    # Through the role's name, as in 0005: a renamed or removed built-in role gets nothing.
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
        sa.text("DELETE FROM role_permission WHERE permission IN (:a, :b, :c)").bindparams(
            a=EXPORT, b=IMPORT, c=CONSENTS
        )
    )
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("chain_hash")
        batch.drop_column("previous_hash")
    op.drop_table("audit_anchor")
    op.drop_table("audit_chain_head")
    op.drop_table("consent")
