"""Customer service requests: the list, opening one (about an order or an item), and the conversation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from internal import service_desk
from internal.web import db_session
from portal.customer.forms import MessageForm, ServiceRequestForm
from portal.customer.views import customer, list_args, list_filter
from portal.disclosure import first_page, one_or_404, page_of

REQUEST_STATUSES = ("open", "in_progress", "waiting_on_customer", "resolved", "closed")


@customer.get("/service-requests")
def service_requests() -> str:
    form, wanted = list_filter(REQUEST_STATUSES, ("opened_from", "opened_to"))
    return render_template(
        "customer/service_requests.html",
        requests=page_of("service_requests", **wanted),
        form=form,
        args=list_args(),
    )


@customer.route("/service-requests/new", methods=["GET", "POST"])
def new_service_request() -> Response | str | tuple[str, int]:
    """Open a request; what was typed stays on the page when something must be fixed."""
    form = ServiceRequestForm()
    # A request that is sent redirects and shows nothing: the customer's orders are read only to show
    # the form. On a POST the order typed is a choice as it stands; the service checks it is theirs.
    form.order_number.choices = [SelectChoice("", _("No particular order"))]
    if request.method == "POST" and form.order_number.data:
        form.order_number.choices.append(SelectChoice(form.order_number.data, form.order_number.data))
    errors: list[str] = []
    if form.validate_on_submit():
        membership = current_user.active_membership
        try:
            opened = service_desk.open_request(
                db_session(),
                account_id=current_user.account_id,
                partner_id=membership.partner_id,
                subject=form.subject.data or "",
                body=form.body.data or "",
                order_number=form.order_number.data or None,
                sku=form.sku.data or None,
            )
        except service_desk.RequestRefused as refused:
            errors.append(str(refused))
        else:
            flash(_("Your request %(number)s was sent to our service team.", number=opened.number), "success")
            return redirect(url_for("customer.service_request", number=opened.number))  # type: ignore[return-value]
    status = 400 if errors or form.errors else 200
    recent = first_page("orders", size=50)
    form.order_number.choices = [
        SelectChoice("", _("No particular order")),
        *(
            SelectChoice(o["number"], f"{o['number']} · {o.get('customer_reference') or ''}")
            for o in recent.rows
        ),
    ]
    listed = {o["number"] for o in recent.rows}
    if request.method == "GET":
        form.order_number.data = request.args.get("order", "")
        form.sku.data = request.args.get("sku", "")
        if form.order_number.data and form.order_number.data not in listed:
            # An older order than the list holds: offer it too, if it is the customer's.
            older = one_or_404("orders", number=form.order_number.data)
            form.order_number.choices.append(SelectChoice(older["number"], older["number"]))
    elif form.order_number.data and form.order_number.data not in listed:
        form.order_number.choices.append(SelectChoice(form.order_number.data, form.order_number.data))
    return render_template("customer/new_service_request.html", form=form, errors=errors), status


@customer.get("/service-requests/<number>")
def service_request(number: str) -> str:
    found = one_or_404("service_requests", number=number)
    messages = first_page("service_request_messages", size=500, request_number=number)
    return render_template("customer/service_request.html", req=found, messages=messages, form=MessageForm())


@customer.post("/service-requests/<number>")
def write_to_service(number: str) -> Response | tuple[str, int]:
    form = MessageForm()
    if form.validate_on_submit():
        try:
            service_desk.customer_message(
                db_session(),
                account_id=current_user.account_id,
                partner_id=current_user.active_membership.partner_id,
                number=number,
                body=form.body.data or "",
            )
        except service_desk.DocumentNotFound:
            abort(404)
        except service_desk.RequestRefused as refused:
            flash(str(refused), "danger")
        else:
            flash(_("Your message was sent."), "success")
            return redirect(url_for("customer.service_request", number=number))  # type: ignore[return-value]
    found = one_or_404("service_requests", number=number)
    messages = first_page("service_request_messages", size=500, request_number=number)
    return render_template("customer/service_request.html", req=found, messages=messages, form=form), 400
