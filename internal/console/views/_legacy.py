"""Forecast plans and sharing-policy versions, as the console had them before the policy workbench and
the planners' pages: kept here unchanged until those pages replace them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from internal.console.blueprints import console
from internal.console.roles import ANY_STAFF, POLICY_ADMINS, can, requires
from internal.web import db_session
from policies import versions


@console.route("/policies", methods=["GET", "POST"])
@requires(*ANY_STAFF)
def policy_versions() -> Response | str | tuple[str, int]:
    """Versions of the sharing policy; a policy admin proposes one, a second staff member approves it."""
    db = db_session()
    errors: list[str] = []
    text = ""
    if request.method == "POST":
        if not can(*POLICY_ADMINS):
            abort(403)
        text = request.form.get("document", "")
        try:
            version = versions.propose(
                db,
                text,
                author_id=current_user.account_id,
                comment=request.form.get("comment", "")[:400],
                filename="the proposed document",
            )
        except ValueError as invalid:
            errors = [str(p) for p in getattr(invalid, "problems", [invalid])]
        else:
            flash(_("Version %(n)d is waiting for a second person's approval.", n=version.number), "success")
            return redirect(url_for("console.policy_versions"))
    rows = versions.recent_versions(db, limit=50)
    return render_template(
        "console/policies.html", versions=rows, errors=errors, text=text
    ), 400 if errors else 200


@console.post("/policies/<int:number>/<any(approve, rollback):step>")
@requires(*ANY_STAFF)
def policy_step(number: int, step: str) -> Response:
    version = versions.find_version(db_session(), number)
    if version is None:
        abort(404)
    try:
        if step == "approve":
            versions.approve(db_session(), version.id, approver_id=current_user.account_id)
            flash(_("Version %(n)d is approved and active.", n=number), "success")
        else:
            if not can(*POLICY_ADMINS):
                abort(403)
            versions.rollback(db_session(), version.id, account_id=current_user.account_id)
            flash(_("Version %(n)d is active again.", n=number), "success")
    except versions.VersionRefused as refused:
        flash(str(refused), "danger")
    return redirect(url_for("console.policy_versions"))
