"""goods issues (consumption) and the disclosure ledger's subject index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:57:20.827056
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import internal.models.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consumption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['partner.id'], name=op.f('fk_consumption_customer_id_partner'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_consumption_item_id_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_consumption_site_id_site'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consumption'))
    )
    with op.batch_alter_table('consumption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consumption_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_consumption_item_issued', ['item_id', 'issued_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_consumption_site_id'), ['site_id'], unique=False)

    op.create_table('disclosure_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_disclosure_subject_partner_id_partner'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['record_id'], ['disclosure_record.id'], name=op.f('fk_disclosure_subject_record_id_disclosure_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_subject'))
    )
    with op.batch_alter_table('disclosure_subject', schema=None) as batch_op:
        batch_op.create_index('ix_disclosure_subject_lookup', ['partner_id', 'subject', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_subject_record_id'), ['record_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('disclosure_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_subject_record_id'))
        batch_op.drop_index('ix_disclosure_subject_lookup')

    op.drop_table('disclosure_subject')
    with op.batch_alter_table('consumption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consumption_site_id'))
        batch_op.drop_index('ix_consumption_item_issued')
        batch_op.drop_index(batch_op.f('ix_consumption_customer_id'))

    op.drop_table('consumption')
