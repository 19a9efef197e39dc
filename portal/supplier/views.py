"""Supplier pages. Every read goes through the policy gate; a non-supplier gets 404 here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

import policies
from internal import planning, purchasing, shipping
from internal.web import db_session
from internal.web.page_cache import cached_page
from portal.disclosure import commit_terms, count_of, is_shared, one_or_404, page_of, require_side, viewer
from portal.exports import FORMATS, every_row, export, send_table
from portal.supplier.forms import LineAnswerForm, ShipNoticeForm
from portal.supplier.months import month_weeks

supplier = Blueprint("supplier", __name__, url_prefix="/supplier", template_folder="templates")


@supplier.before_request
@login_required
def _only_suppliers() -> None:
    require_side("supplier")


@supplier.context_processor
def _month_format() -> dict[str, str]:
    """The reader's pattern for a month of a year: "November 2026", "2026年11月"."""
    locale = get_locale()
    found = locale.datetime_skeletons.get("yMMMM") if locale is not None else None
    return {"month_format": found.pattern if found is not None else "MMMM y"}


#: Lines whose need-by date falls within this many days count as due to ship.
DUE_DAYS = 14


@supplier.get("/")
@cached_page
def home() -> str:
    """What needs the supplier's attention, each figure from the gate like every other page."""
    today = dt.date.today()  # noqa: DTZ011 - the supplier's calendar day
    # The first few of each list, and each figure counted by the gate (right past any page size).
    awaiting = page_of("purchase_orders", size=10, status="open")
    shortfalls = page_of("forecast_commits", size=10, status="shortfall")
    due_by = today + dt.timedelta(days=DUE_DAYS)
    return render_template(
        "supplier/home.html",
        membership=current_user.active_membership,
        awaiting=awaiting,
        awaiting_count=count_of("purchase_orders", status="open")
        if awaiting.next_page
        else len(awaiting.rows),
        shortfalls=shortfalls.rows,
        shortfall_count=(
            count_of("forecast_commits", status="shortfall") if shortfalls.next_page else len(shortfalls.rows)
        ),
        due=count_of("purchase_order_lines", shippable=True, need_by_until=due_by),
        uncommitted=count_of("forecast_weeks", uncommitted=True),  # open (unfrozen) weeks only
        due_days=DUE_DAYS,
    )


@supplier.get("/purchase-orders")
@cached_page
def purchase_orders() -> str:
    return render_template("supplier/purchase_orders.html", orders=page_of("purchase_orders"))


@supplier.get("/purchase-orders/<number>")
def purchase_order(number: str) -> str:
    order = one_or_404("purchase_orders", number=number)
    lines = page_of("purchase_order_lines", size=500, order_number=number)
    return render_template("supplier/purchase_order.html", order=order, lines=lines, form=LineAnswerForm())


@supplier.post("/purchase-orders/<number>/lines/<int:line_no>")
def answer_line(number: str, line_no: int) -> Response:
    """Accept, reject or propose a change to one line; a stale or incomplete answer is sent back."""
    form = LineAnswerForm()
    target = url_for("supplier.purchase_order", number=number)
    if not form.validate_on_submit() or not (form.version.data or "").isdigit():
        for errors in form.errors.values():
            for error in errors:
                flash(_("Line %(n)d: %(error)s", n=line_no, error=error), "danger")
        return redirect(target)  # type: ignore[return-value]
    membership = current_user.active_membership
    try:
        purchasing.acknowledge_line(
            db_session(),
            account_id=current_user.account_id,
            partner_id=membership.partner_id,
            po_number=number,
            line_no=line_no,
            expected_version=int(form.version.data),
            action=form.action.data,
            reason=form.reason.data or "",
            proposed_qty=form.proposed_qty.data,
            proposed_date=form.proposed_date.data,
        )
    except purchasing.DocumentNotFound:
        abort(404)
    except purchasing.LineChanged:
        flash(
            _(
                "Line %(n)d changed since you opened this page, so your answer was not saved. "
                "The page now shows the latest state: answer again.",
                n=line_no,
            ),
            "warning",
        )
    except purchasing.AnswerRefused as refused:
        flash(_("Line %(n)d: %(error)s", n=line_no, error=str(refused)), "danger")
    else:
        flash(_("Your answer to line %(n)d was saved.", n=line_no), "success")
    return redirect(target)  # type: ignore[return-value]


QTY_FIELD = re.compile(r"^qty-(?P<number>[^\s]+)-(?P<line>[0-9]{1,9})$")


@supplier.get("/ship-notices")
@cached_page
def ship_notices() -> str:
    return render_template("supplier/ship_notices.html", notices=page_of("ship_notices"))


@supplier.get("/ship-notices/<number>")
def ship_notice(number: str) -> str:
    """One notice: what it covers, line by line, and the purchase orders it answers. Another's is 404."""
    notice = one_or_404("ship_notices", number=number)
    lines = page_of("ship_notice_lines", size=500, notice_number=number)
    orders = sorted({line["order_number"] for line in lines.rows if line["order_number"]})
    return render_template("supplier/ship_notice.html", notice=notice, lines=lines, orders=orders)


@supplier.route("/ship-notices/new", methods=["GET", "POST"])
def new_ship_notice() -> Response | str | tuple[str, int]:
    """One notice over open lines of any of the supplier's orders; errors re-show what was typed."""
    form = ShipNoticeForm()
    errors: list[str] = []
    typed = {k: v for k, v in request.form.items() if QTY_FIELD.match(k) and v.strip()}
    if form.validate_on_submit():
        lines = []
        for name, value in typed.items():
            match = QTY_FIELD.match(name)
            assert match is not None
            try:
                qty = Decimal(value.strip())
            except InvalidOperation:
                errors.append(_("%(value)s is not a quantity.", value=value))
                continue
            lines.append(shipping.NoticeLine(match["number"], int(match["line"]), qty))
        if not errors:
            try:
                notice = shipping.create_ship_notice(
                    db_session(),
                    account_id=current_user.account_id,
                    partner_id=current_user.active_membership.partner_id,
                    ship_date=form.ship_date.data,
                    expected_arrival=form.expected_arrival.data,
                    carrier=form.carrier.data or "",
                    tracking_number=form.tracking_number.data or "",
                    lines=lines,
                )
            except shipping.ShipNoticeRefused as refused:
                errors.extend(str(e) for e in refused.errors)
            else:
                flash(_("Ship notice %(number)s was sent.", number=notice.number), "success")
                return redirect(url_for("supplier.ship_notices"))  # type: ignore[return-value]
    status = 400 if errors or form.errors else 200
    # Read only when the form is shown: a notice that was sent redirects and disclosed nothing.
    open_lines = page_of("purchase_order_lines", size=500, shippable=True)
    return render_template(
        "supplier/new_ship_notice.html", form=form, open_lines=open_lines, errors=errors, typed=typed
    ), status


COMMIT_FIELD = re.compile(r"^commit-(?P<site>[^\s]+)-(?P<week>\d{4}-\d{2}-\d{2})$")


#: The forecast read per month: summed per item and site (the policy may still group more coarsely).
MONTHLY = policies.Aggregate(("sku", "item", "uom", "site"), "month")


@supplier.get("/forecast")
@cached_page
def forecast() -> str:
    """One supplied item at a time: demand per week as a table and a chart, and the commits against it."""
    return _forecast_page(request.args.get("sku") or "")


def _forecast_page(chosen: str, errors: list[Any] | None = None) -> str:
    items = page_of("supplied_items", size=500)
    sku = chosen or (items.rows[0]["sku"] if items.rows else "")
    site = request.args.get("site") or None
    filters = {"sku": sku} | ({"site": site} if site else {})
    monthly = request.args.get("buckets") == "month"
    weekly = page_of("forecast", size=500, **filters) if sku else None
    covered: dict[dt.date, tuple[int, int]] = {}
    if monthly:
        # Monthly sums are for reading; commits stay weekly. A month the horizon cuts says so.
        demand = page_of("forecast", size=500, group=MONTHLY, **filters) if sku else None
        covered = month_weeks(row["week"] for row in weekly.rows) if weekly else {}
        committed = {}
    else:
        demand = weekly
        commits = page_of("forecast_commits", size=500, **filters) if sku else None
        committed = {(c["site"], c["week"]): c for c in commits.rows} if commits else {}
    return render_template(
        "supplier/forecast.html",
        items=items,
        sku=sku,
        site=site,
        plan=weekly.rows[0] if weekly and weekly.rows else None,
        monthly=monthly,
        demand=demand,
        committed=committed,
        shares=_shares(weekly.rows) if weekly and not monthly else {},
        covered=covered,
        # As plain text: a lazy message would be taken for safe HTML, with what the user typed inside.
        errors=[str(e) for e in (errors or [])[:MAX_ERRORS_SHOWN]],
        more_errors=max(0, len(errors or []) - MAX_ERRORS_SHOWN),
        today=dt.date.today(),  # noqa: DTZ011 - the supplier's calendar day decides what is frozen
    )


def _shares(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, dt.date], Decimal | None]:
    """(site, week) to the supplier's share of the week's demand: what its commit is measured against."""
    parts: dict[tuple[str, dt.date], list[tuple[Any, Any]]] = {}
    for row in rows:
        parts.setdefault((row["site"], row["week"]), []).append((row["qty"], row["share_pct"]))
    shown = policies.as_shown(db_session(), viewer(), "forecast_commits", "forecast_qty")
    return {key: planning.supplier_share(week, shown) for key, week in parts.items()}


@supplier.app_template_filter("plain_number")
def plain_number(value: Decimal | None) -> str:
    """A quantity as a form field holds it: no grouping separators, so it reads back as typed."""
    return "" if value is None else format(value.normalize(), "f")


#: Errors listed on the page; the rest are counted (each names its row, so the first ones say what to fix).
MAX_ERRORS_SHOWN = 200


@supplier.post("/forecast")
def commit_forecast() -> Response | tuple[str, int]:
    """Commit (or revise) quantities for the weeks of one item typed on the forecast page."""
    sku = request.form.get("sku", "")
    entries, errors = [], []
    for name, value in request.form.items():
        match = COMMIT_FIELD.match(name)
        if not match or not value.strip():
            continue
        try:
            week = dt.date.fromisoformat(match["week"])
        except ValueError:
            errors.append(_("%(week)s is not a date; reload the page and type again.", week=match["week"]))
            continue
        try:
            qty = Decimal(value.strip())
        except InvalidOperation:
            errors.append(_("%(value)s is not a quantity.", value=value))
            continue
        comment = request.form.get(f"comment-{match['site']}-{match['week']}", "")
        entries.append(planning.CommitEntry(sku, match["site"], week, qty, comment))
    if errors:
        return _forecast_page(sku, errors), 400
    return _commit(entries, sku, url_for("supplier.forecast", sku=sku))


@supplier.post("/forecast/upload")
def upload_commits() -> Response | tuple[str, int]:
    """A whole horizon from CSV or XLSX: every row is checked, and one bad row stores nothing.

    Errors are shown on the page this request answers, never carried in the session cookie: a file
    with thousands of bad rows would make a cookie too large for any browser.
    """
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _forecast_page("", [_("Choose a CSV or XLSX file to upload.")]), 400
    try:
        entries = planning.read_upload(upload.filename, upload.read())
    except planning.CommitRefused as refused:
        return _forecast_page("", refused.errors), 400
    return _commit(entries, "", url_for("supplier.forecast"))


def _commit(entries: list[planning.CommitEntry], sku: str, target: str) -> Response | tuple[str, int]:
    db, who = db_session(), viewer()
    try:
        stored = planning.commit_forecast(
            db,
            account_id=current_user.account_id,
            partner_id=current_user.active_membership.partner_id,
            entries=entries,
            # Within the forecast's horizon, flagged against the share the page shows: nothing finer.
            **commit_terms(db, who),
        )
    except planning.CommitRefused as refused:
        return _forecast_page(sku, refused.errors), 400
    flagged = sum(1 for c in stored if c.status.value != "ok")
    flash(
        _(
            "%(n)d commits saved; %(flagged)d flagged as shortfall or surplus.",
            n=len(stored),
            flagged=flagged,
        ),
        "success" if not flagged else "warning",
    )
    return redirect(target)


@supplier.get("/forecast.<fmt>")
def export_forecast(fmt: str) -> Response:
    """The forecast with a commit and a comment column: edit the commits and upload the file back."""
    if fmt not in FORMATS:
        abort(404)
    filters = {k: v for k in ("sku", "site") if (v := request.args.get(k))}
    columns, rows = every_row("forecast", **filters)
    _names, commits = every_row("forecast_commits", **filters)
    committed = {(c["sku"], c["site"], c["week"]): c for c in commits}
    table = []
    for row in rows:
        # A week in two rows (a derived plan's own part beside the item's) carries its commit once.
        commit = committed.pop((row["sku"], row["site"], row["week"]), None)
        table.append([*(row[name] for name in columns), *_commit_cells(commit)])
    return send_table((*columns, planning.COMMIT_COLUMN, "comment"), table, fmt, "forecast")


def _commit_cells(commit: Mapping[str, Any] | None) -> tuple[Any, Any]:
    if commit is None:
        return None, None
    qty = commit.get("committed_qty")
    if isinstance(qty, Decimal):  # 1000, not 1000.000 nor 1E+3: the cell reads as the supplier typed it
        qty = qty.normalize()
        qty = qty.quantize(Decimal(1)) if qty == qty.to_integral_value() else qty
    return qty, commit.get("comment")


@supplier.get("/purchase-orders.<fmt>")
def export_purchase_orders(fmt: str) -> Response:
    return export("purchase_order_lines", fmt, "purchase-order-lines")


@supplier.get("/inventory")
@cached_page
def inventory() -> str:
    """Stock of the supplier's items as its agreement allows: exact, rounded or banded, with the reason."""
    sku = request.args.get("sku") or None
    stock = page_of("inventory", size=50, **({"sku": sku} if sku else {}))
    return render_template("supplier/inventory.html", stock=stock, sku=sku or "")


@supplier.get("/inventory.<fmt>")
def export_inventory(fmt: str) -> Response:
    return export("inventory", fmt, "inventory")


#: Consumption summed per item and site, and per customer where the policy shows who drew it.
CONSUMPTION_BY = ("sku", "item", "uom", "site", "customer")


@supplier.get("/consumption")
@cached_page
def consumption() -> str:
    """What was used of the supplier's items, per week or month, as its agreement shows it; else 404."""
    if not is_shared("consumption"):
        abort(404)
    monthly = request.args.get("buckets") == "month"
    sku = request.args.get("sku") or None
    used = page_of(
        "consumption",
        size=100,
        group=policies.Aggregate(CONSUMPTION_BY, "month" if monthly else "week"),
        **({"sku": sku} if sku else {}),
    )
    return render_template(
        "supplier/consumption.html",
        used=used,
        items=page_of("supplied_items", size=500),
        sku=sku or "",
        # Weeks start on Monday: a period that does not is a month, the finest the agreement allows.
        monthly=monthly or any(r["issued_on"].weekday() != 0 for r in used.rows if r.get("issued_on")),
        asked_monthly=monthly,
        shown={c.name for c in used.columns},
    )
