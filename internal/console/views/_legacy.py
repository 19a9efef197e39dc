"""Forecast plans and sharing-policy versions, as the console had them before the policy workbench and
the planners' pages: kept here unchanged until those pages replace them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from internal import planning
from internal.console.blueprints import console
from internal.console.roles import ANY_STAFF, MANAGERS, POLICY_ADMINS, can, requires
from internal.web import after_commit, db_session
from policies import versions
from portal.notifications import notify_forecast_published


@console.get("/forecast-plans")
@requires(*ANY_STAFF)
def forecast_plans() -> str:
    """The demand plans: drafts a buyer publishes, and what was published when."""
    plans = planning.plans_with_bucket_counts(db_session())
    return render_template("console/forecast_plans.html", plans=plans, can_publish=can(*MANAGERS))


@console.post("/forecast-plans/<int:plan_id>/publish")
@requires(*MANAGERS)
def publish_forecast_plan(plan_id: int) -> Response:
    """Publish a draft plan and e-mail each supplier of its items what its own policy lets it see."""
    try:
        suppliers = planning.publish_plan(db_session(), plan_id, account_id=current_user.account_id)
    except planning.PublishRefused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("console.forecast_plans"))

    def notify() -> None:
        for supplier_id in suppliers:
            notify_forecast_published.delay(supplier_id)

    after_commit(notify)
    flash(
        _("The plan is published; %(n)d suppliers are being e-mailed.", n=len(suppliers)),
        "success",
    )
    return redirect(url_for("console.forecast_plans"))


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
