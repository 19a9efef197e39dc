"""The invite form's one behaviour, shared by the staff console and a partner-admin's team page."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from flask_login import current_user

from internal import invitations, jobs
from internal.web import after_commit, db_session
from internal.web.forms import InviteForm


def invite_from_form(form: InviteForm, partner_id: int) -> bool:
    """Invite whom the submitted form names; the e-mail goes out once the invitation is committed.

    False (with the reason on the form's e-mail field) when the form is invalid or the invitation refused.
    """
    if not form.validate_on_submit():
        return False
    try:
        invitation, token = invitations.invite(
            db_session(),
            partner_id=partner_id,
            email=form.email.data or "",
            role=form.role.data,
            invited_by_id=current_user.account_id,
        )
    except invitations.InvitationError as error:
        form.email.errors = [str(error)]
        return False
    invitation_id = invitation.id
    after_commit(lambda: jobs.send_invitation.delay(invitation_id, token))
    flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
    return True
