"""Supplier pages. Every read goes through the policy gate; a non-supplier gets 404 here."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

supplier = Blueprint("supplier", __name__, url_prefix="/supplier", template_folder="templates")


@supplier.before_request
@login_required
def _only_suppliers() -> None:
    membership = current_user.active_membership
    if membership is None or not membership.is_supplier:
        abort(404)


@supplier.get("/")
def home() -> str:
    return render_template("supplier/home.html", membership=current_user.active_membership)
