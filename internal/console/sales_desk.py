"""Sales desk: customers' reorders wait here as draft sales orders until sales staff confirm them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from internal import reorders
from internal.console.service_desk import ANSWERING_ROLES, staff_role
from internal.models import SalesOrder, SalesOrderLine
from internal.web import db_session

sales = Blueprint("sales_desk", __name__, template_folder="templates")


@sales.get("/sales-orders/drafts")
@staff_role()
def drafts() -> str:
    """Draft orders (customers' reorders), oldest first, with their lines."""
    rows = (
        db_session()
        .scalars(
            select(SalesOrder)
            .where(SalesOrder.draft.is_(True))
            .order_by(SalesOrder.created_at, SalesOrder.id)
            .options(
                selectinload(SalesOrder.customer),
                selectinload(SalesOrder.ship_to),
                selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item),
            )
            .limit(200)
        )
        .all()
    )
    can_confirm = current_user.staff_role in {r.value for r in ANSWERING_ROLES}
    return render_template("console/draft_orders.html", orders=rows, can_confirm=can_confirm)


@sales.post("/sales-orders/<number>/confirm")
@staff_role(*ANSWERING_ROLES)
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
