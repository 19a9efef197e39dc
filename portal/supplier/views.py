"""Supplier pages. Every read goes through the policy gate; a non-supplier gets 404 here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from internal import purchasing
from internal.web import db_session
from portal.disclosure import one_or_404, page_of
from portal.supplier.forms import LineAnswerForm

supplier = Blueprint("supplier", __name__, url_prefix="/supplier", template_folder="templates")


@supplier.before_request
@login_required
def _only_suppliers() -> None:
    membership = current_user.active_membership
    if membership is None or not membership.is_supplier:
        abort(404)


@supplier.get("/")
def home() -> str:
    awaiting = page_of("purchase_orders", size=10, status="open")
    return render_template("supplier/home.html", membership=current_user.active_membership, awaiting=awaiting)


@supplier.get("/purchase-orders")
def purchase_orders() -> str:
    return render_template("supplier/purchase_orders.html", orders=page_of("purchase_orders"))


@supplier.get("/purchase-orders/<number>")
def purchase_order(number: str) -> str:
    order = one_or_404("purchase_orders", number=number)
    lines = page_of("purchase_order_lines", size=500, order_number=number)
    return render_template("supplier/purchase_order.html", order=order, lines=lines, form=LineAnswerForm())


@supplier.post("/purchase-orders/<number>/lines/<int:line_no>")
def answer_line(number: str, line_no: int) -> Response:
    """Accept, reject or propose a change to one line; a stale or incomplete answer is sent back."""
    form = LineAnswerForm()
    target = url_for("supplier.purchase_order", number=number)
    if not form.validate_on_submit() or not (form.version.data or "").isdigit():
        for errors in form.errors.values():
            for error in errors:
                flash(_("Line %(n)d: %(error)s", n=line_no, error=error), "danger")
        return redirect(target)  # type: ignore[return-value]
    membership = current_user.active_membership
    try:
        purchasing.acknowledge_line(
            db_session(),
            account_id=current_user.account_id,
            partner_id=membership.partner_id,
            po_number=number,
            line_no=line_no,
            expected_version=int(form.version.data),
            action=form.action.data,
            reason=form.reason.data or "",
            proposed_qty=form.proposed_qty.data,
            proposed_date=form.proposed_date.data,
        )
    except purchasing.DocumentNotFound:
        abort(404)
    except purchasing.LineChanged:
        flash(
            _(
                "Line %(n)d changed since you opened this page, so your answer was not saved. "
                "The page now shows the latest state: answer again.",
                n=line_no,
            ),
            "warning",
        )
    except purchasing.AnswerRefused as refused:
        flash(_("Line %(n)d: %(error)s", n=line_no, error=str(refused)), "danger")
    else:
        flash(_("Your answer to line %(n)d was saved.", n=line_no), "success")
    return redirect(target)  # type: ignore[return-value]
