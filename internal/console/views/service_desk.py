"""The service desk: customers' service requests in one inbox, answered by staff.

Every staff member reads the inbox; buyers and policy admins answer (there is no separate service
role yet). A reply (not an internal note) e-mails the customer's users through the sharing policy.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from internal import partners, service_desk
from internal.console.blueprints import PAGE_SIZE
from internal.console.roles import ANY_STAFF, MANAGERS, can, requires
from internal.service_desk import ServiceRequestStatus
from internal.web import after_commit, db_session, status_label
from portal.notifications import notify_service_reply

desk = Blueprint("service_desk", __name__)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Reply"), validators=[DataRequired(_l("Write the reply.")), Length(max=4000)])
    status = SelectField(_l("Then the request is"))
    internal_only = BooleanField(_l("Internal note: the customer does not see it"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, status_label(s)) for s in ServiceRequestStatus]
        if not self.is_submitted():
            self.status.data = ServiceRequestStatus.waiting_on_customer.value


@desk.get("/service-requests")
@requires(*ANY_STAFF)
def inbox() -> str:
    """Requests awaiting a reply first (oldest change first), or any status asked for."""
    status = request.args.get("status", "awaiting")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = service_desk.staff_inbox(db_session(), status=status, page=page, page_size=PAGE_SIZE)
    return render_template(
        "console/service_requests.html",
        rows=rows,
        status=status,
        statuses=list(ServiceRequestStatus),
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )


def _request_or_404(number: str) -> service_desk.ServiceRequest:
    found = service_desk.request_with_messages(db_session(), number)
    if found is None:
        abort(404)
    return found


@desk.get("/service-requests/<number>")
@requires(*ANY_STAFF)
def service_request(number: str) -> str:
    found = _request_or_404(number)
    customer = partners.get_partner(db_session(), found.customer_id)
    can_answer = can(*MANAGERS)
    return render_template(
        "console/service_request.html", req=found, customer=customer, form=ReplyForm(), can_answer=can_answer
    )


@desk.post("/service-requests/<number>")
@requires(*MANAGERS)
def reply(number: str) -> Response | tuple[str, int]:
    """Answer the customer (they are e-mailed once this commits) or add an internal note."""
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            service_desk.staff_reply(
                db_session(),
                account_id=current_user.account_id,
                number=number,
                body=form.body.data or "",
                status=ServiceRequestStatus(form.status.data),
                internal_only=bool(form.internal_only.data),
            )
        except service_desk.DocumentNotFound:
            abort(404)
        except service_desk.RequestRefused as refused:
            form.body.errors = [*form.body.errors, str(refused)]
        else:
            if form.internal_only.data:
                flash(_("The note was saved; the customer does not see it."), "success")
            else:
                customer_id = _request_or_404(number).customer_id
                after_commit(lambda: notify_service_reply.delay(number, customer_id))
                flash(_("The reply was sent; the customer's users are being e-mailed."), "success")
            return redirect(url_for("service_desk.service_request", number=number))
    found = _request_or_404(number)
    customer = partners.get_partner(db_session(), found.customer_id)
    return render_template(
        "console/service_request.html", req=found, customer=customer, form=form, can_answer=True
    ), 400
