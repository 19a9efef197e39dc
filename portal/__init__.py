"""The extranet: what suppliers and customers sign in to. It has no staff routes at all."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

import policies
from internal.web import init_web
from internal.web.auth import make_auth_blueprint
from portal.api import init_api
from portal.auth import partner_auth
from portal.customer import customer
from portal.disclosure import is_shared
from portal.supplier import supplier


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)  # assets are served at /assets by internal.web
    init_web(app, audience="extranet", config_override=config_override)
    init_api(app)
    for blueprint in (make_auth_blueprint(), partner_auth, supplier, customer):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "index", index)
    app.register_error_handler(policies.PolicyUnavailable, sharing_unavailable)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {
            "app_title": _l("Partner portal"),
            "body_class": "extranet",
            "sign_in_hint": _l("For our suppliers and customers."),
            "nav_items": navigation(),
        }

    return app


def sharing_unavailable(_error: policies.PolicyUnavailable) -> tuple[str, int]:
    """No valid sharing policy is active: the gate discloses nothing, and the page says so plainly."""
    return render_template(
        "errors/error.html",
        status=503,
        title=_l("Data sharing is paused"),
        message=_l(
            "No sharing agreement is active right now, so no data can be shown. Please try again later."
        ),
    ), 503


@login_required
def index() -> Response:
    """Each partner lands on its own workspace."""
    membership = current_user.active_membership
    if membership is None:
        abort(404)
    if membership.is_supplier:
        return redirect(url_for("supplier.home"))  # type: ignore[return-value]
    return redirect(url_for("customer.home"))  # type: ignore[return-value]


def navigation() -> list[tuple[str, Any]]:
    """Only the active partner's sections: a customer never sees supplier navigation, nor the reverse."""
    membership = current_user.active_membership if current_user.is_authenticated else None
    if membership is None:
        return []
    items: list[tuple[str, Any]] = []
    if membership.is_supplier:
        items += [
            ("supplier.home", _l("Supplier workspace")),
            ("supplier.forecast", _l("Forecast")),
            ("supplier.inventory", _l("Inventory")),
            ("supplier.purchase_orders", _l("Purchase orders")),
            ("supplier.ship_notices", _l("Ship notices")),
        ]
        if is_shared("consumption"):
            items.append(("supplier.consumption", _l("Consumption")))
    if membership.is_customer:
        items += [
            ("customer.home", _l("Customer service")),
            ("customer.orders", _l("Orders")),
            ("customer.shipments", _l("Shipments")),
            ("customer.invoices", _l("Invoices")),
            ("customer.service_requests", _l("Service requests")),
            ("customer.availability", _l("Availability")),
        ]
    if membership.is_partner_admin:
        items.append(("partner_auth.team", _l("Team")))
        items.append(("api_clients.clients", _l("API clients")))
    return items
