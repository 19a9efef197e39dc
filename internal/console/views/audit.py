"""The audit log page: who did what, when (UTC) and from where, filtered by action, person and dates."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from internal import audit
from internal.console.filters import FilterForm, day_after, day_start
from internal.console.roles import requires
from internal.web import db_session, page_number

audit_log = Blueprint("audit_log", __name__, template_folder="templates")

PAGE_SIZE = 50

#: Groups of actions offered first in the filter (a prefix ending in '.' matches the whole group).
ACTION_GROUPS = (
    ("sign_in.", _l("All sign-ins")),
    ("policy.", _l("All policy steps")),
    ("invitation.", _l("All invitations")),
    ("membership.", _l("All user (de)activations")),
)


class AuditFilter(FilterForm):
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=False)
    actor = StringField(_l("Person (e-mail contains)"), validators=[Optional(), Length(max=254)])
    since = DateField(
        _l("From (UTC)"), validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )
    until = DateField(
        _l("Until (UTC, inclusive)"), validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )


@audit_log.get("/audit")
@requires()
def entries() -> tuple[str, int]:
    """The log, newest first; every staff member may read it (it names who changed what)."""
    form = AuditFilter(request.args)
    page = page_number()
    valid = form.validate()
    if valid and form.since.data and form.until.data and form.until.data < form.since.data:
        form.until.errors = [_l("The end date is before the start date.")]
        valid = False
    found = audit.entries(
        db_session(),
        action=(form.action.data or "") if valid else "",
        actor=(form.actor.data or "").strip() if valid else "",
        since=day_start(form.since.data) if valid else None,
        until=day_after(form.until.data) if valid else None,
        page=page,
        size=PAGE_SIZE,
    )
    form.action.choices = [
        SelectChoice("", _l("Any action")),
        *(SelectChoice(value, label) for value, label in ACTION_GROUPS),
        *(SelectChoice(a, a) for a in found.actions),
    ]
    args = {k: v for k, v in (("action", form.action.data), ("actor", form.actor.data)) if v}
    if form.since.data:
        args["since"] = form.since.data.isoformat()
    if form.until.data:
        args["until"] = form.until.data.isoformat()
    return render_template(
        "console/audit.html",
        form=form,
        found=found,
        page=page,
        pages=max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args=args,
    ), 200 if valid else 400
