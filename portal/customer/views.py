"""Customer pages. Every read goes through the policy gate; a non-customer gets 404 here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from internal import reorders
from internal.web import db_session, status_label
from internal.web.page_cache import cached_page
from portal.customer import statement as statement_of_account
from portal.customer.forms import ListFilter, ReorderForm
from portal.disclosure import first_page, one_or_404, page_of, require_side
from portal.exports import FORMATS, every_row, export

customer = Blueprint("customer", __name__, url_prefix="/customer", template_folder="templates")


@customer.before_request
@login_required
def _only_customers() -> None:
    require_side("customer")


#: The steps an order goes through, as its timeline shows them.
ORDER_FLOW = ("received", "confirmed", "in_production", "shipped", "delivered")
ORDER_STATUSES = (*ORDER_FLOW, "invoiced", "cancelled")
SHIPMENT_STATUSES = ("planned", "in_transit", "delivered", "exception")
INVOICE_STATUSES = ("open", "overdue", "paid", "cancelled")

#: Where a carrier shows a shipment by its tracking number; other carriers get no link.
TRACKING_URLS = {
    "DHL": "https://www.dhl.com/global-en/home/tracking/tracking-freight.html?tracking-id={number}",
    "DB Schenker": "https://www.dbschenker.com/app/tracking-public/?refNumber={number}",
    "UPS": "https://www.ups.com/track?tracknum={number}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "SF Express": "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}",
}


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The carrier's tracking page for ``number``, when the carrier is one we know."""
    if not carrier or not number:
        return None
    for name, url in TRACKING_URLS.items():
        if carrier.startswith(name):
            return url.format(number=quote(number, safe=""))
    return None


@customer.app_template_global("tracking_url")
def _tracking_url(carrier: str | None, number: str | None) -> str | None:
    return tracking_url(carrier, number)


def ship_to_choices() -> list[SelectChoice]:
    """The customer's own ship-to sites, for the site filter of every list (none: no filter shown)."""
    sites = first_page("ship_to_sites", size=200)
    return [
        SelectChoice(s["code"], " · ".join(str(v) for v in (s["code"], s.get("name"), s.get("city")) if v))
        for s in sites.rows
    ]


def list_filter(statuses: Sequence[str], dates: tuple[str, str]) -> tuple[ListFilter, dict[str, Any]]:
    """The list's search form read from the query string, and the gate filters of its valid fields."""
    form = ListFilter(request.args, [SelectChoice(s, status_label(s)) for s in statuses], ship_to_choices())
    form.validate()
    wanted: dict[str, Any] = {}
    if form.ship_to.data and not form.ship_to.errors:
        wanted["ship_to"] = form.ship_to.data
    if form.q.data and not form.q.errors:
        wanted["q"] = form.q.data.strip()
    if form.status.data and not form.status.errors:
        wanted["status"] = form.status.data
    if form.date_from.data and not form.date_from.errors:
        wanted[dates[0]] = form.date_from.data
    if form.date_to.data and not form.date_to.errors:
        wanted[dates[1]] = form.date_to.data
    return form, wanted


def list_args() -> dict[str, str]:
    """The query string without the page cursor: what the next page and the exports keep."""
    return {k: v for k, v in request.args.items() if k != "after" and v}


def timeline(status: str, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The order's steps, each with when it happened (from the order's events) and where the order is."""
    when: dict[str, Mapping[str, Any]] = {}
    for event in sorted(events, key=lambda e: e["at"]):
        when.setdefault(str(event["status"]), event)
    if status in ORDER_FLOW:
        reached = ORDER_FLOW.index(status)
    elif status == "invoiced":
        reached = len(ORDER_FLOW) - 1
    else:  # cancelled: as far as its events went
        reached = max((ORDER_FLOW.index(s) for s in when if s in ORDER_FLOW), default=0)
    steps = [
        {
            "status": step,
            "at": when[step]["at"] if step in when else None,
            "note": when[step]["note"] if step in when else "",
            "done": n <= reached,
            "current": n == reached and status != "cancelled",
        }
        for n, step in enumerate(ORDER_FLOW)
    ]
    if "cancelled" in when:
        event = when["cancelled"]
        steps.append(
            {"status": "cancelled", "at": event["at"], "note": event["note"], "done": True, "current": True}
        )
    return steps


def next_milestone(order: Mapping[str, Any]) -> str | None:
    """The step an open order is waiting for."""
    status = str(order["status"])
    if status not in ORDER_FLOW or status == ORDER_FLOW[-1]:
        return None
    return ORDER_FLOW[ORDER_FLOW.index(status) + 1]


@customer.get("/")
@cached_page
def home() -> str:
    today = dt.date.today()  # noqa: DTZ011 - the customer's calendar day
    monday = today - dt.timedelta(days=today.weekday())
    open_orders = first_page("orders", size=10, open=True)
    arriving = first_page(
        "shipments",
        size=10,
        on_the_way=True,
        arriving_from=monday,
        arriving_to=monday + dt.timedelta(days=6),
    )
    overdue = first_page("invoices", size=10, status="overdue")
    requests = first_page("service_requests", size=10, open=True)
    return render_template(
        "customer/home.html",
        membership=current_user.active_membership,
        open_orders=open_orders,
        arriving=arriving,
        overdue=overdue,
        requests=requests,
        next_milestone=next_milestone,
    )


@customer.get("/orders")
@cached_page
def orders() -> str:
    form, wanted = list_filter(ORDER_STATUSES, ("ordered_from", "ordered_to"))
    return render_template(
        "customer/orders.html", orders=page_of("orders", **wanted), form=form, args=list_args()
    )


@customer.get("/orders.<fmt>")
def export_orders(fmt: str) -> Response:
    _form, wanted = list_filter(ORDER_STATUSES, ("ordered_from", "ordered_to"))
    return export("orders", fmt, "orders", **wanted)


@customer.get("/orders/<number>")
def order(number: str) -> str:
    order = one_or_404("orders", number=number)
    lines = first_page("order_lines", size=500, order_number=number)
    events = first_page("order_events", size=100, order_number=number)
    shipments = first_page("shipments", size=50, order_number=number)
    invoices = first_page("invoices", size=50, order_number=number)
    difference = None
    if order.get("lines_total") is not None and order.get("total_amount") is not None:
        difference = order["total_amount"] - order["lines_total"]
    return render_template(
        "customer/order.html",
        order=order,
        lines=lines,
        steps=timeline(str(order["status"]), events.rows),
        shipments=shipments,
        invoices=invoices,
        difference=difference,
        reorder_form=ReorderForm(),
    )


@customer.get("/shipments")
@cached_page
def shipments() -> str:
    form, wanted = list_filter(SHIPMENT_STATUSES, ("arriving_from", "arriving_to"))
    return render_template(
        "customer/shipments.html", shipments=page_of("shipments", **wanted), form=form, args=list_args()
    )


@customer.get("/shipments.<fmt>")
def export_shipments(fmt: str) -> Response:
    _form, wanted = list_filter(SHIPMENT_STATUSES, ("arriving_from", "arriving_to"))
    return export("shipments", fmt, "shipments", **wanted)


@customer.get("/invoices")
@cached_page
def invoices() -> str:
    form, wanted = list_filter(INVOICE_STATUSES, ("issued_from", "issued_to"))
    return render_template(
        "customer/invoices.html", invoices=page_of("invoices", **wanted), form=form, args=list_args()
    )


@customer.get("/invoices.<fmt>")
def export_invoices(fmt: str) -> Response:
    _form, wanted = list_filter(INVOICE_STATUSES, ("issued_from", "issued_to"))
    return export("invoices", fmt, "invoices", **wanted)


@customer.get("/invoices/<number>")
def invoice(number: str) -> str:
    invoice = one_or_404("invoices", number=number)
    today = dt.date.today()  # noqa: DTZ011 - the customer's calendar day
    days_late = (today - invoice["due_on"]).days if invoice.get("due_on") else 0
    return render_template("customer/invoice.html", invoice=invoice, days_late=days_late)


@customer.get("/statement.<fmt>")
def statement(fmt: str) -> Response:
    """What the customer owes, aged by days past due, from the invoices the gate discloses to it."""
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    _columns, unpaid = every_row("invoices", unpaid=True)
    today = dt.date.today()  # noqa: DTZ011 - the customer's calendar day
    membership = current_user.active_membership
    aged = statement_of_account.build(f"{membership.partner_name} ({membership.partner_code})", unpaid, today)
    if fmt == "pdf":
        body, mimetype = statement_of_account.to_pdf(aged), "application/pdf"
    else:
        body, mimetype = statement_of_account.to_xlsx(aged), FORMATS["xlsx"]
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="statement-{today.isoformat()}.{fmt}"'},
    )


@customer.get("/availability")
@cached_page
def availability() -> str:
    """Items the customer buys, as available as its agreement shows (banded by default), with lead times."""
    sku = (request.args.get("sku") or "").strip()
    stock = page_of("availability", size=50, **({"sku": sku} if sku else {}))
    return render_template("customer/availability.html", stock=stock, sku=sku, args=list_args())


@customer.post("/orders/<number>/reorder")
def reorder(number: str) -> Response:
    """Ask for the same lines again: a draft order for sales to confirm, or why nothing was created."""
    if not ReorderForm().validate_on_submit():
        abort(400)
    try:
        draft = reorders.reorder(
            db_session(),
            account_id=current_user.account_id,
            partner_id=current_user.active_membership.partner_id,
            order_number=number,
        )
    except reorders.DocumentNotFound:
        abort(404)
    except reorders.ReorderRefused as refused:
        unsold = [
            _("line %(n)d, %(sku)s %(item)s", n=ln.line_no, sku=ln.sku, item=ln.item) for ln in refused.lines
        ]
        flash(
            _(
                "Nothing was ordered: these lines' items are no longer sold: %(lines)s. "
                "Open a service request to ask for a replacement.",
                lines="; ".join(unsold),
            ),
            "danger",
        )
        return redirect(url_for("customer.order", number=number))  # type: ignore[return-value]
    flash(
        _("Your reorder %(number)s was sent; our sales team will confirm it.", number=draft.number), "success"
    )
    return redirect(url_for("customer.order", number=draft.number))  # type: ignore[return-value]
