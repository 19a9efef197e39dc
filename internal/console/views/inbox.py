"""Staff console: one inbox of what waits for buyers and planners.

Suppliers' proposed changes to purchase-order lines (buyers accept or decline them here), commits
flagged as shortfalls (planners follow them up), and, counted with a link to their own desks, service
requests awaiting a reply and reorders to confirm.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from internal import planning, purchasing, reorders, service_desk
from internal.console.roles import StaffRole, can, requires
from internal.web import after_commit, db_session
from portal.notifications import announce_purchase_orders_task

inbox = Blueprint("inbox", __name__, template_folder="templates")

#: How many of each list the inbox shows (the counts are of all).
SHOWN = 50


class AcceptForm(FlaskForm):
    version = HiddenField()


class DeclineForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        _l("Reason for the supplier"),
        validators=[
            DataRequired(_l("Give the supplier a reason for declining the proposal.")),
            Length(max=400),
        ],
    )


def _render(
    *, failed: tuple[str, int] | None = None, form: DeclineForm | None = None, status: int = 200
) -> Any:
    db = db_session()
    planner = can(StaffRole.planner)
    return render_template(
        "console/inbox.html",
        counts={
            "proposals": purchasing.count_awaiting_decision(db),
            "shortfalls": planning.count_shortfalls(db),
            "service": service_desk.count_awaiting_reply(db),
            "drafts": reorders.count_drafts(db),
        },
        proposals=purchasing.proposals_awaiting_decision(db, SHOWN),
        shortfalls=planning.shortfalls(db, SHOWN),
        can_decide=can(*purchasing.DECIDING_ROLES),
        # Planners follow shortfalls up first; everyone else starts with the proposals.
        order=("shortfalls", "proposals") if planner else ("proposals", "shortfalls"),
        failed=failed,
        failed_form=form,
    ), status


@inbox.get("/inbox", endpoint="inbox")
@requires()
def inbox_page() -> Any:
    """Counts per kind of work, and the proposals and shortfalls themselves."""
    return _render()


def _version(form: AcceptForm | DeclineForm) -> int:
    raw = form.version.data or ""
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _line_changed(number: str, line_no: int) -> Response:
    flash(
        _(
            "%(number)s line %(n)d changed since you opened the inbox (the supplier answered again, or "
            "someone decided it): look at it again.",
            number=number,
            n=line_no,
        ),
        "warning",
    )
    return redirect(url_for("inbox.inbox"))


@inbox.post("/inbox/proposals/<number>/<int:line_no>/accept")
@requires(*purchasing.DECIDING_ROLES)
def accept(number: str, line_no: int) -> Response:
    """Take the supplier's proposal: the line changes, and the supplier is e-mailed the changed order."""
    form = AcceptForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        line = purchasing.accept_proposal(
            db_session(),
            account_id=current_user.account_id,
            po_number=number,
            line_no=line_no,
            expected_version=_version(form),
        )
    except purchasing.DocumentNotFound:
        abort(404)
    except purchasing.LineChanged:
        return _line_changed(number, line_no)
    except purchasing.DecisionRefused as refused:
        flash(_("%(number)s line %(n)d: %(error)s", number=number, n=line_no, error=str(refused)), "danger")
        return redirect(url_for("inbox.inbox"))
    # The order has a new revision: the announcement sweep e-mails its supplier once this commits.
    after_commit(lambda: announce_purchase_orders_task.delay())
    flash(
        _(
            "%(number)s line %(n)d now reads %(qty)s by %(date)s (revision %(revision)d); the supplier is "
            "being e-mailed.",
            number=number,
            n=line_no,
            qty=line.qty.normalize(),
            date=line.need_by,
            revision=line.order.revision,
        ),
        "success",
    )
    return redirect(url_for("inbox.inbox"))


@inbox.post("/inbox/proposals/<number>/<int:line_no>/decline")
@requires(*purchasing.DECIDING_ROLES)
def decline(number: str, line_no: int) -> Any:
    """Keep the line as ordered; the supplier reads the reason on its purchase-order page."""
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            purchasing.decline_proposal(
                db_session(),
                account_id=current_user.account_id,
                po_number=number,
                line_no=line_no,
                expected_version=_version(form),
                reason=form.reason.data or "",
            )
        except purchasing.DocumentNotFound:
            abort(404)
        except purchasing.LineChanged:
            return _line_changed(number, line_no)
        except purchasing.DecisionRefused as refused:
            form.reason.errors = [*form.reason.errors, str(refused)]
        else:
            flash(
                _("%(number)s line %(n)d stays as ordered; the supplier sees why.", number=number, n=line_no),
                "success",
            )
            return redirect(url_for("inbox.inbox"))
    return _render(failed=(number, line_no), form=form, status=400)
