"""Sales desk: customers' reorders wait here as draft sales orders until sales staff confirm them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from internal import reorders
from internal.console.roles import ANY_STAFF, MANAGERS, can, requires
from internal.web import db_session

sales = Blueprint("sales_desk", __name__)


@sales.get("/sales-orders/drafts")
@requires(*ANY_STAFF)
def drafts() -> str:
    """Draft orders (customers' reorders), oldest first, with their lines."""
    rows = reorders.draft_orders(db_session(), limit=200)
    return render_template("console/draft_orders.html", orders=rows, can_confirm=can(*MANAGERS))


@sales.post("/sales-orders/<number>/confirm")
@requires(*MANAGERS)
def confirm(number: str) -> Response:
    try:
        reorders.confirm_draft(db_session(), account_id=current_user.account_id, number=number)
    except reorders.DocumentNotFound:
        abort(404)
    except reorders.NotADraft:
        flash(_("%(number)s was confirmed already.", number=number), "warning")
    else:
        flash(_("%(number)s is confirmed.", number=number), "success")
    return redirect(url_for("sales_desk.drafts"))
