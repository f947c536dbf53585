"""Search and audit indexes: trigram search, role+scope in user order, audit by IP.

- PostgreSQL: the pg_trgm extension and GIN trigram indexes on lower(user.email_key)
  and lower(user.username_key), which serve the substring search
  (`lower(key) LIKE '%term%'`). On expressions rather than the columns, so that the
  equality lookups on the keys never use them (see storage/tables.py). SQLite has no
  such index and does without.
- role_assignment (role_id, scope) becomes (role_id, scope, user_id), and (scope,
  user_id) is new, so the users holding a role (at a scope), or any role at a scope,
  come out of an index in id order.
- audit_event gets ip_address_key (the address as a sortable key, see
  authtuna_grpc/domain/network.py) with an (ip_address_key, id) index, so that an
  address or CIDR filter is an index range; (event_type, occurred_at, id) for a type
  and a time window; and (occurred_at) becomes (occurred_at, id). Every audit filter
  then has an index ending in id, from which a page's ids can be chosen without
  reading the table.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from authtuna_grpc.domain.network import address_key

revision = "0004"
down_revision = "0006"
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = {"ix_user_email_key_trgm": "email_key", "ix_user_username_key_trgm": "username_key"}
BACKFILL_BATCH = 5000


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in TRIGRAM_INDEXES.items():
            op.execute(f'CREATE INDEX {name} ON "user" USING gin (lower({column}) gin_trgm_ops)')
    op.drop_index("ix_role_assignment_role_id_scope", table_name="role_assignment")
    op.create_index(
        "ix_role_assignment_role_id_scope_user_id", "role_assignment", ["role_id", "scope", "user_id"]
    )
    op.create_index("ix_role_assignment_scope_user_id", "role_assignment", ["scope", "user_id"])
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("ip_address_key", sa.String(32), nullable=True))
    _backfill_address_keys()
    op.create_index("ix_audit_event_ip_address_key_id", "audit_event", ["ip_address_key", "id"])
    op.create_index(
        "ix_audit_event_event_type_occurred_at_id", "audit_event", ["event_type", "occurred_at", "id"]
    )
    op.drop_index("ix_audit_event_occurred_at", table_name="audit_event")
    op.create_index("ix_audit_event_occurred_at_id", "audit_event", ["occurred_at", "id"])


def _backfill_address_keys() -> None:
    """Key the addresses already recorded, in id order and bounded batches."""
    bind = op.get_bind()
    events = sa.table(
        "audit_event",
        sa.column("id", sa.BigInteger()),
        sa.column("ip_address", sa.String()),
        sa.column("ip_address_key", sa.String()),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, events.c.ip_address)
            .where(events.c.id > last_id, events.c.ip_address.is_not(None))
            .order_by(events.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        keyed = [{"row_id": r.id, "key": address_key(r.ip_address)} for r in rows]
        keyed = [k for k in keyed if k["key"] is not None]
        if keyed:
            bind.execute(
                events.update()
                .where(events.c.id == sa.bindparam("row_id"))
                .values(ip_address_key=sa.bindparam("key")),
                keyed,
            )
        last_id = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_audit_event_occurred_at_id", table_name="audit_event")
    op.create_index("ix_audit_event_occurred_at", "audit_event", ["occurred_at"])
    op.drop_index("ix_audit_event_event_type_occurred_at_id", table_name="audit_event")
    op.drop_index("ix_audit_event_ip_address_key_id", table_name="audit_event")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("ip_address_key")
    op.drop_index("ix_role_assignment_scope_user_id", table_name="role_assignment")
    op.drop_index("ix_role_assignment_role_id_scope_user_id", table_name="role_assignment")
    op.create_index("ix_role_assignment_role_id_scope", "role_assignment", ["role_id", "scope"])
    if _is_postgresql():
        for name in TRIGRAM_INDEXES:
            op.drop_index(name, table_name="user")
        # pg_trgm stays: other objects may have come to depend on it.
