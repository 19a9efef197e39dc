"""The console's landing page: how many partners, accounts and orders, the plan and policy in force."""

from __future__ import annotations

from flask import render_template

from internal import accounts, partners, planning, purchasing, reorders
from internal.console.roles import ANY_STAFF, requires
from internal.web import db_session
from policies import versions


@requires(*ANY_STAFF)
def overview() -> str:
    db = db_session()
    figures = {
        **partners.count_by_side(db),
        "accounts": accounts.count_accounts(db),
        "open_pos": purchasing.count_open_orders(db),
        "sales_orders": reorders.count_sales_orders(db),
    }
    return render_template(
        "console/overview.html",
        figures=figures,
        plan=planning.published_plan(db),
        policy=versions.active_row(db),
    )
