"""the ledger record carries its subjects; a trigger fills the subject index from them

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SQLITE_TRIGGER = """
CREATE TRIGGER disclosure_record_subjects AFTER INSERT ON disclosure_record
BEGIN
    INSERT INTO disclosure_subject (record_id, partner_id, at, kind, subject)
    SELECT NEW.id, NEW.partner_id, NEW.at, json_extract(value, '$[0]'), json_extract(value, '$[1]')
    FROM json_each(NEW.subjects);
END
"""

POSTGRESQL_FUNCTION = """
CREATE FUNCTION disclosure_record_subjects() RETURNS trigger AS $$
BEGIN
    INSERT INTO disclosure_subject (record_id, partner_id, at, kind, subject)
    SELECT NEW.id, NEW.partner_id, NEW.at, pair->>0, pair->>1
    FROM json_array_elements(NEW.subjects) AS pair;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

POSTGRESQL_TRIGGER = """
CREATE TRIGGER disclosure_record_subjects AFTER INSERT ON disclosure_record
FOR EACH ROW EXECUTE FUNCTION disclosure_record_subjects()
"""


def upgrade() -> None:
    with op.batch_alter_table('disclosure_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subjects', sa.JSON(), nullable=False, server_default='[]'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute('DROP TRIGGER IF EXISTS disclosure_record_subjects' + (
        ' ON disclosure_record' if op.get_bind().dialect.name == 'postgresql' else ''
    ))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS disclosure_record_subjects()')
    with op.batch_alter_table('disclosure_record', schema=None) as batch_op:
        batch_op.drop_column('subjects')
