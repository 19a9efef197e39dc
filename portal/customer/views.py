"""Customer pages. Every read goes through the policy gate; a non-customer gets 404 here."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from portal.disclosure import one_or_404, page_of, require_side

customer = Blueprint("customer", __name__, url_prefix="/customer", template_folder="templates")


@customer.before_request
@login_required
def _only_customers() -> None:
    require_side("customer")


@customer.get("/")
def home() -> str:
    recent = page_of("orders", size=10)
    return render_template("customer/home.html", membership=current_user.active_membership, recent=recent)


@customer.get("/orders")
def orders() -> str:
    return render_template("customer/orders.html", orders=page_of("orders"))


@customer.get("/orders/<number>")
def order(number: str) -> str:
    order = one_or_404("orders", number=number)
    lines = page_of("order_lines", size=500, order_number=number)
    return render_template("customer/order.html", order=order, lines=lines)
