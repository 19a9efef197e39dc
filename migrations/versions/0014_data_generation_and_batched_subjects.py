"""data_generation, the number rendered pages are kept under; on SQLite, the ledger's subject index is
filled in batches (internal/disclosure_index.py) instead of by a trigger on every record; the ledger
loses two indexes that its (partner, at) and (account, at) indexes already serve

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# As migration 0003 made it; on PostgreSQL it stays.
SQLITE_TRIGGER = """
CREATE TRIGGER disclosure_record_subjects AFTER INSERT ON disclosure_record
BEGIN
    INSERT INTO disclosure_subject (record_id, partner_id, at, kind, subject)
    SELECT NEW.id, NEW.partner_id, NEW.at, json_extract(value, '$[0]'), json_extract(value, '$[1]')
    FROM json_each(NEW.subjects);
END
"""

SQLITE_FILL = """
INSERT INTO disclosure_subject (record_id, partner_id, at, kind, subject)
SELECT r.id, r.partner_id, r.at, json_extract(s.value, '$[0]'), json_extract(s.value, '$[1]')
FROM disclosure_record AS r, json_each(r.subjects) AS s
WHERE r.id > (SELECT record_id FROM disclosure_subject_progress WHERE id = 1)
"""


def upgrade() -> None:
    generation = op.create_table(
        'data_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_generation')),
    )
    op.bulk_insert(generation, [{'id': 1, 'number': 0}])
    op.create_table(
        'disclosure_subject_progress',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_subject_progress')),
    )
    # Every record so far had its subjects copied by the trigger.
    op.execute(
        "INSERT INTO disclosure_subject_progress (id, record_id) "
        "SELECT 1, COALESCE(MAX(id), 0) FROM disclosure_record"
    )
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS disclosure_record_subjects')
    # Each page writes ledger records; the (partner, at) and (account, at) indexes serve the keys alone.
    op.drop_index('ix_disclosure_record_partner_id', table_name='disclosure_record')
    op.drop_index('ix_disclosure_record_account_id', table_name='disclosure_record')


def downgrade() -> None:
    op.create_index('ix_disclosure_record_account_id', 'disclosure_record', ['account_id'], unique=False)
    op.create_index('ix_disclosure_record_partner_id', 'disclosure_record', ['partner_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(SQLITE_FILL)
        op.execute(SQLITE_TRIGGER)
    op.drop_table('disclosure_subject_progress')
    op.drop_table('data_generation')
