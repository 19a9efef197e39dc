"""The staff console: partners and their users, policies, the ledger. Never served to partners."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from internal.console.company_sign_in import company_sign_in, init_company_sign_in, is_configured
from internal.console.roles import can
from internal.console.views import (
    audit_log,
    console,
    console_api_clients,
    console_ledger,
    desk,
    import_status_label,
    imports,
    inbox,
    overview,
    plans,
    policy_workbench,
    sales,
)
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
    app.register_blueprint(plans)
    app.register_blueprint(inbox)
    app.register_blueprint(audit_log)
    app.register_blueprint(company_sign_in)
    app.register_blueprint(console_ledger)
    app.register_blueprint(policy_workbench)
    init_company_sign_in(app)
    app.jinja_env.globals.update(import_status_label=import_status_label, can=can)
    app.add_url_rule("/", "index", overview)

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {
            "app_title": _l("Staff console"),
            "body_class": "console",
            "sign_in_hint": _l("For enterprise staff. Partners sign in on the partner portal."),
            "company_sign_in": is_configured(),
            "nav_items": [
                ("index", _l("Overview")),
                ("inbox.inbox", _l("Inbox")),
                ("console.partners", _l("Partners")),
                (
                    "group",
                    _l("Supply"),
                    [
                        ("console.purchase_orders", _l("Purchase orders")),
                        ("planning.forecast_plans", _l("Forecast plans")),
                    ],
                ),
                (
                    "group",
                    _l("Customers"),
                    [
                        ("service_desk.inbox", _l("Service requests")),
                        ("sales_desk.drafts", _l("Orders to confirm")),
                    ],
                ),
                (
                    "group",
                    _l("Sharing"),
                    [
                        ("policy_workbench.policy_versions", _l("Sharing policy")),
                        ("console_ledger.question", _l("Ledger")),
                        ("console_ledger.explain", _l("Explain")),
                        ("audit_log.entries", _l("Audit log")),
                    ],
                ),
                (
                    "group",
                    _l("Connections"),
                    [
                        ("imports.import_jobs", _l("Imports")),
                        ("console_api_clients.clients", _l("API clients")),
                    ],
                ),
            ]
            if current_user.is_authenticated
            else [],
        }

    return app
