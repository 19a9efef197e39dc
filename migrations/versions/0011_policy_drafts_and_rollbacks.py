"""policy drafts saved before they are proposed, and rollbacks proposed for a second person's approval

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import internal.models.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('policy_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('comment', sa.String(length=400), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('base_version_id', sa.Integer(), nullable=True),
    sa.Column('proposed_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['account.id'], name=op.f('fk_policy_draft_author_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['base_version_id'], ['policy_version.id'], name=op.f('fk_policy_draft_base_version_id_policy_version')),
    sa.ForeignKeyConstraint(['proposed_version_id'], ['policy_version.id'], name=op.f('fk_policy_draft_proposed_version_id_policy_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_draft'))
    )
    with op.batch_alter_table('policy_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_draft_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_draft_base_version_id'), ['base_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_draft_proposed_version_id'), ['proposed_version_id'], unique=False)

    op.create_table('policy_rollback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=400), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', internal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['account.id'], name=op.f('fk_policy_rollback_approved_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['account.id'], name=op.f('fk_policy_rollback_proposed_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['policy_version.id'], name=op.f('fk_policy_rollback_version_id_policy_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_rollback'))
    )
    with op.batch_alter_table('policy_rollback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_rollback_approved_by_id'), ['approved_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_rollback_proposed_by_id'), ['proposed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_rollback_version_id'), ['version_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('policy_rollback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_rollback_version_id'))
        batch_op.drop_index(batch_op.f('ix_policy_rollback_proposed_by_id'))
        batch_op.drop_index(batch_op.f('ix_policy_rollback_approved_by_id'))
    op.drop_table('policy_rollback')
    with op.batch_alter_table('policy_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_draft_proposed_version_id'))
        batch_op.drop_index(batch_op.f('ix_policy_draft_base_version_id'))
        batch_op.drop_index(batch_op.f('ix_policy_draft_author_id'))
    op.drop_table('policy_draft')
