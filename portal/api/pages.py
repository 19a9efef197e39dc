"""Partner-admin pages for API clients: create with scopes (the secret shown once), rotate, revoke.

These are ordinary extranet pages: the signed-in session and CSRF protect them, and no API token
opens them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from internal import api_clients
from internal.web import db_session

api_client_pages = Blueprint("api_clients", __name__, template_folder="templates")

#: What each scope lets a client do, as a partner admin reads it.
SCOPE_LABELS = {
    "purchase_orders:read": _l("Read purchase orders and their lines"),
    "purchase_orders:answer": _l("Answer purchase-order lines"),
    "forecast:read": _l("Read the demand forecast"),
    "forecast_commits:read": _l("Read forecast commits"),
    "forecast_commits:write": _l("Commit to forecast weeks"),
    "inventory:read": _l("Read inventory"),
    "consumption:read": _l("Read consumption"),
    "ship_notices:read": _l("Read ship notices"),
    "ship_notices:write": _l("Send ship notices"),
    "orders:read": _l("Read orders and their lines"),
    "shipments:read": _l("Read shipments"),
    "invoices:read": _l("Read invoices"),
    "service_requests:read": _l("Read service requests"),
    "service_requests:write": _l("Open service requests and write to the service team"),
    "availability:read": _l("Read availability"),
}


class NewClientForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Name the client, e.g. the system that will use it.")), Length(max=200)],
    )
    scopes = SelectMultipleField(
        _l("Scopes"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one scope."))],
    )


def _admin() -> tuple[int, Any]:
    membership = current_user.active_membership
    if membership is None or not membership.is_partner_admin:
        abort(404)
    return membership.partner_id, membership


def _form(membership: Any) -> NewClientForm:
    form = NewClientForm()
    form.scopes.choices = [
        (scope, f"{scope} · {SCOPE_LABELS[scope]}")
        for scope in api_clients.scopes_for(membership.partner_kind)
    ]
    return form


def _page(
    form: NewClientForm, issued: api_clients.IssuedSecret | None = None, status: int = 200
) -> tuple[str, int]:
    partner_id, _membership = _admin()
    clients = api_clients.clients_of(db_session(), actor_id=current_user.account_id, partner_id=partner_id)
    return render_template("api/clients.html", clients=clients, form=form, issued=issued), status


@api_client_pages.route("/api-clients", methods=["GET", "POST"])
@login_required
def clients() -> tuple[str, int]:
    partner_id, membership = _admin()
    form = _form(membership)
    if form.validate_on_submit():
        try:
            issued = api_clients.create_client(
                db_session(),
                actor_id=current_user.account_id,
                partner_id=partner_id,
                name=form.name.data or "",
                scopes=list(form.scopes.data or []),
            )
        except api_clients.ClientRefused as refused:
            form.form_errors.append(str(refused))
            return _page(form, status=400)
        return _page(_form(membership), issued, 201)
    return _page(form, status=400 if form.errors else 200)


@api_client_pages.post("/api-clients/<int:client_pk>/rotate")
@login_required
def rotate(client_pk: int) -> tuple[str, int] | Response:
    partner_id, membership = _admin()
    try:
        issued = api_clients.rotate_secret(
            db_session(), actor_id=current_user.account_id, partner_id=partner_id, client_pk=client_pk
        )
    except api_clients.ClientNotFound:
        abort(404)
    except api_clients.ClientRefused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("api_clients.clients"))
    return _page(_form(membership), issued)


@api_client_pages.post("/api-clients/<int:client_pk>/revoke")
@login_required
def revoke(client_pk: int) -> Response:
    partner_id, _membership = _admin()
    try:
        revoked = api_clients.revoke_client(
            db_session(), actor_id=current_user.account_id, partner_id=partner_id, client_pk=client_pk
        )
    except api_clients.ClientNotFound:
        abort(404)
    flash(
        _("Client %(name)s is revoked: its secret and tokens no longer work.", name=revoked.name), "success"
    )
    return redirect(url_for("api_clients.clients"))
