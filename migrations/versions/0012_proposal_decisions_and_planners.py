"""buyers decide suppliers' proposals (with a reason when they decline); a planner staff role

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import internal.models.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ROLES_BEFORE = "staff_role IN ('policy_admin', 'buyer', 'viewer')"
ROLES_AFTER = "staff_role IN ('policy_admin', 'buyer', 'viewer', 'planner')"


def upgrade() -> None:
    with op.batch_alter_table('purchase_order_line_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.Enum('accepted', 'declined', name='proposaldecision', native_enum=False, create_constraint=True, length=30), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.String(length=400), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', internal.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_purchase_order_line_response_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_purchase_order_line_response_decided_by_id_account'), 'account', ['decided_by_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_account_staffrole'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_account_staffrole'), ROLES_AFTER)


def downgrade() -> None:
    op.execute("UPDATE account SET staff_role = 'viewer' WHERE staff_role = 'planner'")
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_account_staffrole'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_account_staffrole'), ROLES_BEFORE)
    with op.batch_alter_table('purchase_order_line_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_purchase_order_line_response_decided_by_id_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_purchase_order_line_response_decided_by_id'))
        batch_op.drop_constraint(batch_op.f('ck_purchase_order_line_response_proposaldecision'), type_='check')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('decision')
