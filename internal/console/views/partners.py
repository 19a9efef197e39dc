"""Partners: the list, one partner with its users, inviting users, and its groups and status."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from internal import partners as partner_service
from internal.console.blueprints import PAGE_SIZE, console
from internal.console.forms import InviteForm, PartnerSettingsForm
from internal.console.roles import ANY_STAFF, MANAGERS, POLICY_ADMINS, can, requires
from internal.web import db_session, page_number
from internal.web.invite import invite_from_form


@console.get("/partners")
@requires(*ANY_STAFF)
def partners() -> str:
    q = request.args.get("q", "").strip()
    page = page_number()
    rows, total = partner_service.search_partners(db_session(), q, page=page, page_size=PAGE_SIZE)
    return render_template(
        "console/partners.html",
        partners=rows,
        q=q,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )


def _partner_or_404(code: str) -> partner_service.Partner:
    partner = partner_service.find_partner(db_session(), code)
    if partner is None:
        abort(404)
    return partner


def _settings_form(partner: partner_service.Partner) -> PartnerSettingsForm:
    form = PartnerSettingsForm(prefix="settings")
    form.groups.choices = [SelectChoice(n, n) for n in partner_service.group_names(db_session())]
    if not form.is_submitted():
        form.groups.data = [g.name for g in partner.groups]
        form.status.data = partner.status.value
    return form


@console.post("/partners/<code>/settings")
@requires(*POLICY_ADMINS)
def partner_settings(code: str) -> Response:
    """Groups decide which sharing rules apply to a partner: only policy admins change them."""
    partner = _partner_or_404(code)
    form = _settings_form(partner)
    if form.validate_on_submit():
        changed = partner_service.update_partner(
            db_session(),
            actor_id=current_user.account_id,
            partner=partner,
            group_names=form.groups.data or [],
            status=form.status.data,
        )
        flash(_("Saved.") if changed else _("Nothing changed."), "success")
    else:
        flash(_("Choose groups from the list and a valid status."), "danger")
    return redirect(url_for("console.partner", code=code))


@console.get("/partners/<code>")
@requires(*ANY_STAFF)
def partner(code: str) -> str:
    partner = _partner_or_404(code)
    return render_template(
        "console/partner.html",
        partner=partner,
        form=InviteForm(),
        can_manage=can(*MANAGERS),
        settings=_settings_form(partner),
    )


@console.post("/partners/<code>")
@requires(*MANAGERS)
def invite(code: str) -> Response | tuple[str, int]:
    """Invite a user to the partner (the form posts to the partner's page)."""
    partner = _partner_or_404(code)
    form = InviteForm()
    if invite_from_form(form, partner.id):
        return redirect(url_for("console.partner", code=code))
    return render_template(
        "console/partner.html",
        partner=partner,
        form=form,
        can_manage=True,
        settings=_settings_form(partner),
    ), 400
