"""Staff console pages: overview, partners, their users and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from internal import jobs, planning
from internal import partners as partner_service
from internal.console.forms import InviteForm, PartnerSettingsForm
from internal.models import (
    Account,
    ForecastBucket,
    ForecastPlan,
    Membership,
    Partner,
    PartnerGroup,
    PartnerKind,
    PlanStatus,
    PolicyStatus,
    PolicyVersion,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineResponse,
    PurchaseOrderStatus,
    SalesOrder,
    StaffRole,
)
from internal.web import after_commit, db_session, page_number
from internal.web.invite import invite_from_form

console = Blueprint("console", __name__, template_folder="templates")

PAGE_SIZE = 50


def _can_manage() -> bool:
    return current_user.staff_role in (StaffRole.policy_admin.value, StaffRole.buyer.value)


@login_required
def overview() -> str:
    db = db_session()
    kinds = dict(db.execute(select(Partner.kind, func.count()).group_by(Partner.kind)).all())
    figures = {
        "suppliers": kinds.get(PartnerKind.supplier, 0) + kinds.get(PartnerKind.both, 0),
        "customers": kinds.get(PartnerKind.customer, 0) + kinds.get(PartnerKind.both, 0),
        "accounts": db.scalar(select(func.count()).select_from(Account)) or 0,
        "open_pos": db.scalar(
            select(func.count())
            .select_from(PurchaseOrder)
            .where(PurchaseOrder.status == PurchaseOrderStatus.open)
        )
        or 0,
        "sales_orders": db.scalar(select(func.count()).select_from(SalesOrder)) or 0,
    }
    plan = db.scalar(
        select(ForecastPlan)
        .where(ForecastPlan.status == PlanStatus.published)
        .order_by(ForecastPlan.version.desc())
    )
    policy = db.scalar(select(PolicyVersion).where(PolicyVersion.status == PolicyStatus.active))
    return render_template("console/overview.html", figures=figures, plan=plan, policy=policy)


@console.get("/partners")
@login_required
def partners() -> str:
    db = db_session()
    q = request.args.get("q", "").strip()
    page = page_number()
    query = select(Partner).order_by(Partner.code)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Partner.code.ilike(like), Partner.name.ilike(like)))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.options(selectinload(Partner.groups)).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "console/partners.html",
        partners=rows,
        q=q,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )


def _partner_or_404(code: str) -> Partner:
    partner = db_session().scalar(
        select(Partner)
        .where(Partner.code == code)
        .options(
            selectinload(Partner.groups), selectinload(Partner.memberships).selectinload(Membership.account)
        )
    )
    if partner is None:
        abort(404)
    return partner


def _settings_form(partner: Partner) -> PartnerSettingsForm:
    form = PartnerSettingsForm(prefix="settings")
    names = db_session().scalars(select(PartnerGroup.name).order_by(PartnerGroup.name)).all()
    form.groups.choices = [SelectChoice(n, n) for n in names]
    if not form.is_submitted():
        form.groups.data = [g.name for g in partner.groups]
        form.status.data = partner.status.value
    return form


@console.post("/partners/<code>/settings")
@login_required
def partner_settings(code: str) -> Response:
    """Groups decide which sharing rules apply to a partner: only policy admins change them."""
    if current_user.staff_role != StaffRole.policy_admin.value:
        abort(403)
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


@console.route("/partners/<code>", methods=["GET", "POST"])
@login_required
def partner(code: str) -> Response | str | tuple[str, int]:
    partner = _partner_or_404(code)
    form = InviteForm()
    if request.method == "POST":
        if not _can_manage():
            abort(403)
        if invite_from_form(form, partner.id):
            return redirect(url_for("console.partner", code=code))
        return render_template(
            "console/partner.html",
            partner=partner,
            form=form,
            can_manage=True,
            settings=_settings_form(partner),
        ), 400
    return render_template(
        "console/partner.html",
        partner=partner,
        form=form,
        can_manage=_can_manage(),
        settings=_settings_form(partner),
    )


@console.get("/purchase-orders")
@login_required
def purchase_orders() -> str:
    """Purchase orders with how far suppliers have answered them; filter by status or supplier."""
    db = db_session()
    status = request.args.get("status", "")
    supplier = request.args.get("supplier", "").strip()
    page = page_number()
    query = select(PurchaseOrder).join(Partner, Partner.id == PurchaseOrder.supplier_id)
    if status in PurchaseOrderStatus.__members__:
        query = query.where(PurchaseOrder.status == PurchaseOrderStatus(status))
    if supplier:
        query = query.where(or_(Partner.code.ilike(f"%{supplier}%"), Partner.name.ilike(f"%{supplier}%")))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = db.scalars(
        query.options(selectinload(PurchaseOrder.supplier), selectinload(PurchaseOrder.lines))
        .order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "console/purchase_orders.html",
        orders=orders,
        status=status,
        supplier=supplier,
        statuses=list(PurchaseOrderStatus),
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )


@console.get("/purchase-orders/<number>")
@login_required
def purchase_order(number: str) -> str:
    """One purchase order as the buyer sees it: every line with the supplier's answers."""
    order = db_session().scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.number == number)
        .options(
            selectinload(PurchaseOrder.supplier),
            selectinload(PurchaseOrder.site),
            selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.item),
            selectinload(PurchaseOrder.lines)
            .selectinload(PurchaseOrderLine.responses)
            .selectinload(PurchaseOrderLineResponse.account),
        )
    )
    if order is None:
        abort(404)
    return render_template("console/purchase_order.html", order=order)


@console.post("/purchase-orders/<number>/notify")
@login_required
def notify_supplier(number: str) -> Response:
    """E-mail the supplier's users about this order, each through their own sharing policy."""
    if not _can_manage():
        abort(403)
    order = db_session().scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))
    if order is None:
        abort(404)
    supplier_id = order.supplier_id
    change = "changed" if request.form.get("change") == "changed" else "new"
    after_commit(lambda: jobs.enqueue("portal.notify_purchase_order", number, supplier_id, change))
    flash(_("The supplier's users are being e-mailed about %(number)s.", number=number), "success")
    return redirect(url_for("console.purchase_order", number=number))


@console.get("/forecast-plans")
@login_required
def forecast_plans() -> str:
    """The demand plans: drafts a buyer publishes, and what was published when."""
    # Counted per plan through the (plan, item, week) index: a join grouped over millions of buckets
    # took seconds on the large demo.
    buckets = (
        select(func.count())
        .where(ForecastBucket.plan_id == ForecastPlan.id)
        .correlate(ForecastPlan)
        .scalar_subquery()
    )
    query = select(ForecastPlan, buckets).order_by(ForecastPlan.name, ForecastPlan.version.desc())
    plans = db_session().execute(query).all()
    return render_template("console/forecast_plans.html", plans=plans, can_publish=_can_manage())


@console.post("/forecast-plans/<int:plan_id>/publish")
@login_required
def publish_forecast_plan(plan_id: int) -> Response:
    """Publish a draft plan and e-mail each supplier of its items what its own policy lets it see."""
    if not _can_manage():
        abort(403)
    try:
        suppliers = planning.publish_plan(db_session(), plan_id, account_id=current_user.account_id)
    except planning.PublishRefused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("console.forecast_plans"))

    def notify() -> None:
        for supplier_id in suppliers:
            jobs.enqueue("portal.notify_forecast_published", supplier_id)

    after_commit(notify)
    flash(
        _("The plan is published; %(n)d suppliers are being e-mailed.", n=len(suppliers)),
        "success",
    )
    return redirect(url_for("console.forecast_plans"))
