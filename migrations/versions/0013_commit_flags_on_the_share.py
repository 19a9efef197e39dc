"""forecast commits: measured against the supplier's share in whole units, flagged by that share

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

#: A commit's forecast is the supplier's share in whole units (planning.supplier_share); its flag is
#: judged on that figure with the 10 % tolerance (planning.DEFAULT_TOLERANCE), as the service judges it.
#: Flags set by earlier versions against the whole week's demand now agree with the figure beside them.
SHARE_IN_WHOLE_UNITS = "UPDATE forecast_commit SET forecast_qty = ROUND(forecast_qty, 0)"
FLAG_ON_THE_SHARE = """
UPDATE forecast_commit SET status = CASE
    WHEN committed_qty < forecast_qty * 0.9 THEN 'shortfall'
    WHEN committed_qty > forecast_qty * 1.1 THEN 'surplus'
    ELSE 'ok'
END
"""


def upgrade() -> None:
    op.execute(SHARE_IN_WHOLE_UNITS)
    op.execute(FLAG_ON_THE_SHARE)


def downgrade() -> None:
    # The figures before were the same share to a thousandth of a unit; the whole units stand.
    pass
