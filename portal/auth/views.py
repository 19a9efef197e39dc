"""Switch the active partner; accept an invitation to join a partner."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from internal import accounts, invitations, jobs, two_factor
from internal import team as team_service
from internal.web import after_commit, db_session
from internal.web.forms import InviteForm
from internal.web.invite import invite_from_form
from portal.auth.forms import AcceptInvitationForm

partner_auth = Blueprint("partner_auth", __name__, template_folder="templates")


@partner_auth.post("/partner")
@login_required
def switch_partner() -> Response:
    code = request.form.get("partner", "")
    try:
        accounts.switch_partner(db_session(), current_user.token, code)
    except accounts.NotAMember:
        # Same answer whether the code exists or not: a partner list is not to be probed.
        abort(404)
    flash(_("You are now working for %(code)s.", code=code), "success")
    return redirect(url_for("index"))


@partner_auth.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response | str | tuple[str, int]:
    db = db_session()
    invitation = invitations.find_invitation(db, token)
    if invitation is None:
        return render_template("portal_auth/invitation_invalid.html"), 404
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            invitations.accept(db, token, name=form.name.data or "", password=form.password.data or "")
        except invitations.InvitationError as error:
            form.form_errors.append(str(error))
        except accounts.PasswordRejected as rejected:
            form.password.errors = [_("Choose another password: %(reason)s.", reason=str(rejected))]
        else:
            flash(_("Welcome! Your account is ready: sign in with your e-mail and new password."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("portal_auth/accept_invitation.html", form=form, invitation=invitation), status


def _admin_partner_id() -> int:
    membership = current_user.active_membership
    if membership is None or not membership.is_partner_admin:
        abort(404)
    return membership.partner_id


@partner_auth.route("/team", methods=["GET", "POST"])
@login_required
def team() -> Response | str | tuple[str, int]:
    partner_id = _admin_partner_id()
    db = db_session()
    form = InviteForm()
    status = 200
    if invite_from_form(form, partner_id):
        return redirect(url_for("partner_auth.team"))
    if form.errors:
        status = 400
    people = team_service.members(db, actor_id=current_user.account_id, partner_id=partner_id)
    pending = team_service.pending_invitations(db, actor_id=current_user.account_id, partner_id=partner_id)
    return render_template("portal_auth/team.html", members=people, form=form, pending=pending), status


@partner_auth.post("/team/<int:membership_id>/<any(role, deactivate, reactivate):change>")
@login_required
def change_member(membership_id: int, change: str) -> Response:
    partner_id = _admin_partner_id()
    args = {"actor_id": current_user.account_id, "partner_id": partner_id, "membership_id": membership_id}
    try:
        if change == "role":
            role = request.form.get("role", "")
            if role not in {"user", "partner_admin"}:
                abort(400)
            team_service.set_role(db_session(), role=role, **args)
            flash(_("The role was changed."), "success")
        elif change == "deactivate":
            team_service.deactivate(db_session(), **args)
            flash(_("The user was deactivated and signed out everywhere."), "success")
        else:
            team_service.reactivate(db_session(), **args)
            flash(_("The user was reactivated."), "success")
    except team_service.MemberNotFound:
        abort(404)
    except team_service.TeamChangeRefused as refused:
        flash(str(refused), "danger")
    return redirect(url_for("partner_auth.team"))


@partner_auth.post("/team/two-factor")
@login_required
def require_two_factor() -> Response:
    """A partner admin requires (or stops requiring) a second factor of every user of the partner."""
    partner_id = _admin_partner_id()
    required = request.form.get("required") == "1"
    two_factor.require_for_partner(
        db_session(), actor_id=current_user.account_id, partner_id=partner_id, required=required
    )
    if required:
        flash(_("Every user of your partner must now sign in with a second factor."), "success")
    else:
        flash(_("A second factor is now each user's choice."), "success")
    return redirect(url_for("partner_auth.team"))


@partner_auth.post("/team/invitations/<int:invitation_id>/<any(resend, revoke):change>")
@login_required
def change_invitation(invitation_id: int, change: str) -> Response:
    """Resend a pending invitation with a fresh link (the old one stops working), or revoke it."""
    partner_id = _admin_partner_id()
    args = {"actor_id": current_user.account_id, "partner_id": partner_id, "invitation_id": invitation_id}
    try:
        if change == "resend":
            invitation, token = team_service.renew_invitation(db_session(), **args)
            invitation_id, email = invitation.id, invitation.email
            after_commit(lambda: jobs.send_invitation.delay(invitation_id, token))
            flash(
                _(
                    "A new invitation link was sent to %(email)s; the previous link no longer works.",
                    email=email,
                ),
                "success",
            )
        else:
            email = team_service.revoke_invitation(db_session(), **args)
            flash(_("The invitation for %(email)s was revoked.", email=email), "success")
    except team_service.MemberNotFound:
        abort(404)
    return redirect(url_for("partner_auth.team"))
