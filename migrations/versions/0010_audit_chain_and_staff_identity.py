"""audit events chained by hash (seq, actor, address, entry_hash); staff company identity

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("actor", sa.String(length=254), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=False, server_default=""))
    _chain_existing_events()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_seq"), ["seq"])

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_account_oidc_issuer_oidc_subject"), ["oidc_issuer", "oidc_subject"]
        )


def _chain_existing_events() -> None:
    """Events written before the chain existed join it in the order they were written."""
    from internal.audit import GENESIS, chain_hash
    from internal.models import AuditEvent
    from internal.models.types import UTCDateTime

    conn = op.get_bind()
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer()),
        sa.column("seq", sa.Integer()),
        sa.column("at", UTCDateTime()),
        sa.column("account_id", sa.Integer()),
        sa.column("actor", sa.String()),
        sa.column("address", sa.String()),
        sa.column("action", sa.String()),
        sa.column("object_type", sa.String()),
        sa.column("object_id", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("entry_hash", sa.String()),
    )
    accounts = sa.table("account", sa.column("id", sa.Integer()), sa.column("email", sa.String()))
    rows = conn.execute(
        sa.select(events, accounts.c.email)
        .select_from(events.outerjoin(accounts, accounts.c.id == events.c.account_id))
        .order_by(events.c.id)
    ).all()
    previous = GENESIS
    for seq, row in enumerate(rows, start=1):
        entry = AuditEvent(
            seq=seq,
            at=row.at,
            actor=row.email or "",
            address="",
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            detail=row.detail or {},
        )
        previous = chain_hash(previous, entry)
        conn.execute(
            events.update()
            .where(events.c.id == row.id)
            .values(seq=seq, actor=entry.actor, entry_hash=previous)
        )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_account_oidc_issuer_oidc_subject"), type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_seq"), type_="unique")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("address")
        batch_op.drop_column("actor")
        batch_op.drop_column("seq")
