"""Customer pages. Every read goes through the policy gate; a non-customer gets 404 here."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

customer = Blueprint("customer", __name__, url_prefix="/customer", template_folder="templates")


@customer.before_request
@login_required
def _only_customers() -> None:
    membership = current_user.active_membership
    if membership is None or not membership.is_customer:
        abort(404)


@customer.get("/")
def home() -> str:
    return render_template("customer/home.html", membership=current_user.active_membership)
