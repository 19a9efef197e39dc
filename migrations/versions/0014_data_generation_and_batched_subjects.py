"""data_generation, the number rendered pages are kept under; on SQLite, the ledger's subject index is
filled in batches (internal/disclosure_index.py) instead of by a trigger on every record; the ledger
loses two indexes that its (partner, at) and (account, at) indexes already serve, and the one on its
policy version, which nothing asks by; disclosure_subject
becomes its own index, keyed (partner, subject, at, record, kind), WITHOUT ROWID on SQLite

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import internal.models.types

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

# On PostgreSQL the trigger stays, and skips records of no partner (the new key has a partner).
POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION disclosure_record_subjects() RETURNS trigger AS $$
BEGIN
    IF NEW.partner_id IS NOT NULL THEN
        INSERT INTO disclosure_subject (record_id, partner_id, at, kind, subject)
        SELECT NEW.id, NEW.partner_id, NEW.at, pair->>0, pair->>1
        FROM json_array_elements(NEW.subjects) AS pair;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

POSTGRESQL_FUNCTION_BEFORE = """
CREATE OR REPLACE FUNCTION disclosure_record_subjects() RETURNS trigger AS $$
BEGIN
    INSERT INTO disclosure_subject (record_id, partner_id, at, kind, subject)
    SELECT NEW.id, NEW.partner_id, NEW.at, pair->>0, pair->>1
    FROM json_array_elements(NEW.subjects) AS pair;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

KEY = ['partner_id', 'subject', 'at', 'record_id', 'kind']
COPY = "INSERT INTO {into} (record_id, partner_id, at, kind, subject) SELECT record_id, partner_id, at, kind, subject FROM {source}"


def _subject_table(name: str, *, keyed: bool) -> None:
    """disclosure_subject's shape: keyed by what the ledger asks (from 0014), or by an id (before)."""
    columns = [
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=not keyed),
        sa.Column('at', internal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name='fk_disclosure_subject_partner_id_partner', ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['record_id'], ['disclosure_record.id'], name='fk_disclosure_subject_record_id_disclosure_record', ondelete='CASCADE'),
    ]
    if keyed:
        op.create_table(name, *columns, sa.PrimaryKeyConstraint(*KEY, name='pk_disclosure_subject'), sqlite_with_rowid=False)
    else:
        op.create_table(name, sa.Column('id', sa.Integer(), nullable=False), *columns, sa.PrimaryKeyConstraint('id', name='pk_disclosure_subject'))


def _rebuild_subjects(*, keyed: bool) -> None:
    """SQLite: a table changes its key, and becomes WITHOUT ROWID or not, only by being copied."""
    _subject_table('disclosure_subject_copy', keyed=keyed)
    where = ' WHERE partner_id IS NOT NULL' if keyed else ''
    op.execute(COPY.format(into='disclosure_subject_copy', source='disclosure_subject') + where)
    op.drop_table('disclosure_subject')
    op.rename_table('disclosure_subject_copy', 'disclosure_subject')


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
        _rebuild_subjects(keyed=True)
    else:
        op.execute(POSTGRESQL_FUNCTION)
        op.execute('DELETE FROM disclosure_subject WHERE partner_id IS NULL')
        op.drop_index('ix_disclosure_subject_lookup', table_name='disclosure_subject')
        op.drop_index('ix_disclosure_subject_record_id', table_name='disclosure_subject')
        op.drop_constraint('pk_disclosure_subject', 'disclosure_subject', type_='primary')
        op.drop_column('disclosure_subject', 'id')
        op.alter_column('disclosure_subject', 'partner_id', nullable=False)
        op.create_primary_key('pk_disclosure_subject', 'disclosure_subject', KEY)
    # Each page writes ledger records; the (partner, at) and (account, at) indexes serve the keys alone.
    op.drop_index('ix_disclosure_record_partner_id', table_name='disclosure_record')
    op.drop_index('ix_disclosure_record_account_id', table_name='disclosure_record')
    # Nothing asks for records by policy version, and versions are never deleted.
    op.drop_index('ix_disclosure_record_policy_version_id', table_name='disclosure_record')


def downgrade() -> None:
    op.create_index('ix_disclosure_record_account_id', 'disclosure_record', ['account_id'], unique=False)
    op.create_index('ix_disclosure_record_partner_id', 'disclosure_record', ['partner_id'], unique=False)
    op.create_index('ix_disclosure_record_policy_version_id', 'disclosure_record', ['policy_version_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_subjects(keyed=False)
    else:
        op.drop_constraint('pk_disclosure_subject', 'disclosure_subject', type_='primary')
        op.add_column('disclosure_subject', sa.Column('id', sa.Integer(), sa.Identity(), nullable=False))
        op.create_primary_key('pk_disclosure_subject', 'disclosure_subject', ['id'])
        op.alter_column('disclosure_subject', 'partner_id', nullable=True)
        op.execute(POSTGRESQL_FUNCTION_BEFORE)
    op.create_index('ix_disclosure_subject_lookup', 'disclosure_subject', ['partner_id', 'subject', 'at'], unique=False)
    op.create_index('ix_disclosure_subject_record_id', 'disclosure_subject', ['record_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(SQLITE_FILL)
        op.execute(SQLITE_TRIGGER)
    op.drop_table('disclosure_subject_progress')
    op.drop_table('data_generation')
