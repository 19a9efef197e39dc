"""purchase orders remember the revision their supplier was last e-mailed about

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_revision', sa.Integer(), nullable=False, server_default='0'))
    # Orders that exist already were sent to their suppliers before: do not announce them again.
    op.execute('UPDATE purchase_order SET notified_revision = revision')


def downgrade() -> None:
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_column('notified_revision')
