"""The staff console: partners and their users, policies, the ledger. Never served to partners."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from internal.console.api_clients import console_api_clients
from internal.console.imports import import_status_label, imports
from internal.console.policies import policy_workbench
from internal.console.sales_desk import sales
from internal.console.service_desk import desk
from internal.console.views import console, overview
from internal.web import init_web
from internal.web.auth import make_auth_blueprint


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)  # assets are served at /assets by internal.web
    init_web(app, audience="console", config_override=config_override)
    app.register_blueprint(make_auth_blueprint())
    app.register_blueprint(console)
    app.register_blueprint(desk)
    app.register_blueprint(sales)
    app.register_blueprint(console_api_clients)
    app.register_blueprint(imports)
    app.register_blueprint(policy_workbench)
    app.jinja_env.globals["import_status_label"] = import_status_label
    app.add_url_rule("/", "index", overview)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {
            "app_title": _l("Staff console"),
            "body_class": "console",
            "sign_in_hint": _l("For enterprise staff. Partners sign in on the partner portal."),
            "nav_items": [
                ("index", _l("Overview")),
                ("console.partners", _l("Partners")),
                ("console.purchase_orders", _l("Purchase orders")),
                ("console.forecast_plans", _l("Forecast plans")),
                ("policy_workbench.policy_versions", _l("Sharing policy")),
                ("service_desk.inbox", _l("Service requests")),
                ("sales_desk.drafts", _l("Orders to confirm")),
                ("console_api_clients.clients", _l("API clients")),
                ("imports.import_jobs", _l("Imports")),
            ]
            if current_user.is_authenticated
            else [],
        }

    return app
