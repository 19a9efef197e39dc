"""account security: password resets, two-factor sign-in, sign-in history, per-app address throttle

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from internal.models.types import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: A commit's forecast is the supplier's share of the week's demand at the site (planning.commit_forecast).
RECOMPUTE_COMMIT_FORECASTS = """
UPDATE forecast_commit SET forecast_qty = ROUND(
    COALESCE((SELECT SUM(b.qty) FROM forecast_bucket b
              WHERE b.plan_id = forecast_commit.plan_id AND b.item_id = forecast_commit.item_id
                AND b.site_id = forecast_commit.site_id AND b.week_start = forecast_commit.week_start), 0)
    * COALESCE((SELECT s.share_pct FROM source_list_entry s
                WHERE s.supplier_id = forecast_commit.supplier_id AND s.item_id = forecast_commit.item_id
                  AND (s.site_id = forecast_commit.site_id OR s.site_id IS NULL)
                ORDER BY s.site_id IS NULL LIMIT 1), 100) / 100.0, 3)
"""


def upgrade() -> None:
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('audience', sa.String(length=20), nullable=False, server_default='extranet')
        )
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('requires_two_factor', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('totp_enabled_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proven_until', UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['account.id'], name=op.f('fk_password_reset_account_id_account'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_hash')),
    )
    op.create_index(op.f('ix_password_reset_account_id'), 'password_reset', ['account_id'])
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=200), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['account.id'], name=op.f('fk_recovery_code_account_id_account'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    op.create_index(op.f('ix_recovery_code_account_id'), 'recovery_code', ['account_id'])
    op.create_table(
        'sign_in_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('method', sa.String(length=40), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['account.id'], name=op.f('fk_sign_in_event_account_id_account'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_event')),
    )
    op.create_index('ix_sign_in_event_account_at', 'sign_in_event', ['account_id', 'at'])
    # Forecast commits of the demo and of earlier versions could hold the whole week's demand where the
    # supplier's share of it belongs: recompute them as the planning service does.
    op.execute(RECOMPUTE_COMMIT_FORECASTS)


def downgrade() -> None:
    op.drop_index('ix_sign_in_event_account_at', table_name='sign_in_event')
    op.drop_table('sign_in_event')
    op.drop_index(op.f('ix_recovery_code_account_id'), table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_index(op.f('ix_password_reset_account_id'), table_name='password_reset')
    op.drop_table('password_reset')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('proven_until')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.drop_column('requires_two_factor')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_column('audience')
