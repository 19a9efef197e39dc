"""Supplier pages. Every read goes through the policy gate; a non-supplier gets 404 here."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from portal.disclosure import one_or_404, page_of

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
    return render_template("supplier/purchase_order.html", order=order, lines=lines)
