"""Staff see every partner's API clients and revoke them (policy admins and buyers; viewers only look)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from internal import api_clients
from internal.console.roles import ANY_STAFF, MANAGERS, can, requires
from internal.web import db_session

console_api_clients = Blueprint("console_api_clients", __name__)


@console_api_clients.get("/api-clients")
@requires(*ANY_STAFF)
def clients() -> str:
    partner = request.args.get("partner", "").strip()
    found = api_clients.all_clients(db_session(), partner_code=partner)
    return render_template(
        "console/api_clients.html",
        clients=found,
        partner=partner,
        can_revoke=can(*MANAGERS),
    )


@console_api_clients.post("/api-clients/<int:client_pk>/revoke")
@requires(*MANAGERS)
def revoke(client_pk: int) -> Response:
    try:
        revoked = api_clients.revoke_client_as_staff(
            db_session(), actor_id=current_user.account_id, client_pk=client_pk
        )
    except api_clients.ClientNotFound:
        abort(404)
    flash(
        _("Client %(name)s of %(partner)s is revoked.", name=revoked.name, partner=revoked.partner_code),
        "success",
    )
    return redirect(url_for("console_api_clients.clients"))
