"""Staff console: forecast plans. Planners copy the published plan to a draft, change its quantities in a
grid or by uploading a file, derive one from customer demand, and publish it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from internal import planning
from internal.console.roles import can, requires
from internal.integration.tasks import derive_demand_plan
from internal.web import after_commit, db_session, page_number
from portal.notifications import notify_forecast_published

plans = Blueprint("planning", __name__, template_folder="templates")

#: (item, site) rows of the grid on one page: with a 26-week plan, about 500 fields to a form.
GRID_ROWS = 20


class UploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file to upload."))])


def _can_plan() -> bool:
    return can(*planning.PLANNING_ROLES)


@plans.get("/forecast-plans")
@requires()
def forecast_plans() -> str:
    """The demand plans: drafts a planner changes and publishes, and what was published when."""
    return render_template(
        "console/forecast_plans.html", plans=planning.plan_summaries(db_session()), can_publish=_can_plan()
    )


@plans.post("/forecast-plans/<int:plan_id>/copy")
@requires(*planning.PLANNING_ROLES)
def copy_forecast_plan(plan_id: int) -> Response:
    """A new draft from the published plan, to change and publish."""
    try:
        draft = planning.copy_plan(db_session(), plan_id, account_id=current_user.account_id)
    except planning.PlanRefused as refused:
        for error in refused.errors:
            flash(str(error), "danger")
        return redirect(url_for("planning.forecast_plans"))
    flash(
        _(
            "Version %(n)d is a draft copy of the published plan: change it here, then publish it.",
            n=draft.version,
        ),
        "success",
    )
    return redirect(url_for("planning.forecast_plan", plan_id=draft.id))


def _plan_or_404(plan_id: int) -> Any:
    plan = planning.find_plan(db_session(), plan_id)
    if plan is None:
        abort(404)
    return plan


def _plain(qty: Decimal) -> str:
    """1200.000 as 1200: what a planner would type."""
    return format(qty.normalize(), "f") if qty else "0"


def _render_plan(
    plan: Any,
    *,
    typed: MultiDict[str, str] | None = None,
    errors: list[Any] | None = None,
    upload: UploadForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    search = request.args.get("q", "").strip()[:60]
    page = page_number()
    grid = planning.plan_grid(db_session(), plan, search=search, page=page, size=GRID_ROWS)
    shown = [[_plain(row.qty[week]) for week in grid.weeks] for row in grid.rows]
    return render_template(
        "console/forecast_plan.html",
        plan=plan,
        grid=grid,
        shown=shown,
        typed=typed or MultiDict(),
        errors=errors or [],
        upload=upload or UploadForm(),
        search=search,
        page=page,
        pages=max((grid.total + GRID_ROWS - 1) // GRID_ROWS, 1),
        editable=plan.status.value == "draft" and _can_plan(),
        can_publish=_can_plan(),
    ), status


@plans.get("/forecast-plans/<int:plan_id>")
@requires()
def forecast_plan(plan_id: int) -> tuple[str, int]:
    """One plan as a grid of items and sites by week; a draft's quantities can be changed here."""
    return _render_plan(_plan_or_404(plan_id))


def _changed_cells(form: MultiDict[str, str]) -> tuple[list[planning.PlanQuantity], list[str]]:
    """The cells whose typed value differs from the one the page showed, and what is wrong with any."""
    entries, errors = [], []
    for name, value in form.items():
        if not name.startswith("qty-"):
            continue
        suffix = name.removeprefix("qty-")
        row, _sep, column = suffix.partition("-")
        sku, site = form.get(f"sku-{row}", ""), form.get(f"site-{row}", "")
        week_text, was = form.get(f"week-{column}", ""), form.get(f"was-{suffix}", "")
        typed = value.strip() or "0"
        if typed == was:
            continue
        try:
            week = dt.date.fromisoformat(week_text)
        except ValueError:
            errors.append(_("The form was changed: reload the page and try again."))
            continue
        try:
            qty = Decimal(typed)
        except InvalidOperation:
            errors.append(
                _(
                    "%(sku)s at %(site)s, week of %(week)s: %(value)s is not a number; enter a quantity "
                    "like 120.5 (0 for none).",
                    sku=sku,
                    site=site,
                    week=week,
                    value=repr(value),
                )
            )
            continue
        entries.append(planning.PlanQuantity(sku, site, week, qty))
    return entries, errors


@plans.post("/forecast-plans/<int:plan_id>")
@requires(*planning.PLANNING_ROLES)
def save_forecast_plan(plan_id: int) -> Response | tuple[str, int]:
    """Store the grid's changed cells, all or none; errors show beside what was typed."""
    plan = _plan_or_404(plan_id)
    entries, errors = _changed_cells(request.form)
    if not errors and not entries:
        flash(_("Nothing changed."), "info")
        return redirect(request.full_path)
    if not errors:
        try:
            changed = planning.set_plan_quantities(
                db_session(), plan.id, account_id=current_user.account_id, entries=entries
            )
        except planning.PlanRefused as refused:
            errors = [str(e) for e in refused.errors]
        else:
            flash(
                ngettext("Saved: %(num)d quantity changed.", "Saved: %(num)d quantities changed.", changed),
                "success",
            )
            return redirect(request.full_path)
    return _render_plan(plan, typed=request.form, errors=errors, status=400)


@plans.post("/forecast-plans/<int:plan_id>/upload")
@requires(*planning.PLANNING_ROLES)
def upload_forecast_plan(plan_id: int) -> Response | tuple[str, int]:
    """Set a draft's quantities from a file with the columns sku, site, week and qty: every row or none."""
    plan = _plan_or_404(plan_id)
    form = UploadForm()
    errors: list[Any] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            entries = planning.read_plan_upload(upload.filename or "upload", upload.read())
            changed = planning.set_plan_quantities(
                db_session(), plan.id, account_id=current_user.account_id, entries=entries
            )
        except planning.PlanRefused as refused:
            errors = [str(e) for e in refused.errors]
        else:
            flash(
                ngettext(
                    "The file is loaded: %(num)d quantity changed.",
                    "The file is loaded: %(num)d quantities changed.",
                    changed,
                ),
                "success",
            )
            return redirect(url_for("planning.forecast_plan", plan_id=plan.id))
    return _render_plan(plan, errors=errors, upload=form, status=400)


@plans.post("/forecast-plans/<int:plan_id>/publish")
@requires(*planning.PLANNING_ROLES)
def publish_forecast_plan(plan_id: int) -> Response:
    """Publish a draft plan and e-mail each supplier of its items what its own policy lets it see."""
    try:
        suppliers = planning.publish_plan(db_session(), plan_id, account_id=current_user.account_id)
    except planning.PublishRefused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("planning.forecast_plans"))

    def notify() -> None:
        for supplier_id in suppliers:
            notify_forecast_published.delay(supplier_id)

    after_commit(notify)
    flash(
        _("The plan is published; %(n)d suppliers are being e-mailed.", n=len(suppliers)),
        "success",
    )
    return redirect(url_for("planning.forecast_plans"))


@plans.post("/forecast-plans/derive")
@requires(*planning.PLANNING_ROLES)
def derive_plan() -> Response:
    """Derive supplier demand from customer demand into a new draft plan (in the background)."""
    weeks = min(max(request.form.get("weeks", 26, type=int) or 26, 1), 104)
    account_id = current_user.account_id
    after_commit(lambda: derive_demand_plan.delay(weeks, account_id))
    flash(
        _("Supplier demand is being derived from customer demand; the new draft appears in this list."),
        "success",
    )
    return redirect(url_for("planning.forecast_plans"))
