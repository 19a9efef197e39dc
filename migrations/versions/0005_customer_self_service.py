"""customers' ship-to sites on their orders, draft orders (reorders awaiting staff), quoted lead times

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ship_to_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['partner.id'], name=op.f('fk_ship_to_site_customer_id_partner'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ship_to_site')),
    sa.UniqueConstraint('customer_id', 'code', name=op.f('uq_ship_to_site_customer_id_code'))
    )
    with op.batch_alter_table('ship_to_site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ship_to_site_customer_id'), ['customer_id'], unique=False)
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ship_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('draft', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_sales_order_ship_to_id_ship_to_site'), 'ship_to_site', ['ship_to_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_index('ix_sales_order_ship_to_date', ['ship_to_id', 'order_date', 'id'], unique=False)
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_time_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_column('lead_time_days')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_ship_to_date')
        batch_op.drop_constraint(batch_op.f('fk_sales_order_ship_to_id_ship_to_site'), type_='foreignkey')
        batch_op.drop_column('draft')
        batch_op.drop_column('ship_to_id')
    op.drop_table('ship_to_site')
