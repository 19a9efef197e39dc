"""partner API: clients, hashed bearer tokens, idempotent writes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:38:51.494821
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import internal.models.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', internal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', internal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', internal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_api_client_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_api_client_partner_id_partner'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['account.id'], name=op.f('fk_api_client_revoked_by_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
    sa.UniqueConstraint('client_id', name=op.f('uq_api_client_client_id'))
    )
    with op.batch_alter_table('api_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_client_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_client_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_client_revoked_by_id'), ['revoked_by_id'], unique=False)

    op.create_table('api_idempotency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_pk', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_pk'], ['api_client.id'], name=op.f('fk_api_idempotency_client_pk_api_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency')),
    sa.UniqueConstraint('client_pk', 'key', name=op.f('uq_api_idempotency_client_pk_key'))
    )
    with op.batch_alter_table('api_idempotency', schema=None) as batch_op:
        batch_op.create_index('ix_api_idempotency_created_at', ['created_at'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_pk', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('issued_at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', internal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_pk'], ['api_client.id'], name=op.f('fk_api_token_client_pk_api_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_client_pk'), ['client_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_client_pk'))

    op.drop_table('api_token')
    with op.batch_alter_table('api_idempotency', schema=None) as batch_op:
        batch_op.drop_index('ix_api_idempotency_created_at')

    op.drop_table('api_idempotency')
    with op.batch_alter_table('api_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_client_revoked_by_id'))
        batch_op.drop_index(batch_op.f('ix_api_client_partner_id'))
        batch_op.drop_index(batch_op.f('ix_api_client_account_id'))

    op.drop_table('api_client')
