"""The ledger and Explain pages: what a partner was shown about a subject, and what it is shown of a dataset.

Both read through the gate's own read functions (``policies.ledger``, ``policies.partner_explanation``);
neither is a disclosure to a partner, so neither writes a ledger record.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from internal.console.filters import FilterForm, day_after, day_start
from internal.console.roles import requires
from internal.web import db_session
from policies import ledger
from policies.datasets import CUSTOMER, DATASETS, DOCUMENT, ITEM, SITE
from policies.partner_explanation import NoActiveVersion, explain_for_partner

console_ledger = Blueprint("console_ledger", __name__, template_folder="templates")

#: The most disclosures one answer lists (the CSV holds the same); narrow the dates for more.
LIMIT = 5000
SUBJECT_KINDS = (
    (ITEM, _l("Item (SKU)")),
    (CUSTOMER, _l("Customer (partner code)")),
    (SITE, _l("Site (our plant or warehouse code)")),
    (DOCUMENT, _l("Document (order, purchase order, invoice or shipment number)")),
)
CHANNELS = {"web": _l("Web page"), "export": _l("Export"), "api": _l("API"), "email": _l("E-mail")}


class LedgerQuestion(FilterForm):
    partner = StringField(
        _l("Partner code"),
        validators=[DataRequired(_l("Type the partner's code, e.g. SUP-002.")), Length(max=40)],
    )
    kind = SelectField(_l("Kind of subject"), choices=[SelectChoice(k, label) for k, label in SUBJECT_KINDS])
    subject = StringField(
        _l("SKU, code or number"),
        validators=[
            DataRequired(_l("Type the SKU, customer code, site code or document number.")),
            Length(max=200),
        ],
    )
    since = DateField(_l("From (UTC)"), validators=[Optional()], render_kw={"type": "date"})
    until = DateField(_l("Until (UTC, inclusive)"), validators=[Optional()], render_kw={"type": "date"})


def _answer(form: LedgerQuestion) -> list[ledger.Seen] | None:
    """The disclosures the form asks about, or None (with errors on the form) when it cannot be asked."""
    if not request.args or not form.validate():
        return None
    if form.since.data and form.until.data and form.until.data < form.since.data:
        form.until.errors = [_l("The end date is before the start date.")]
        return None
    code = (form.partner.data or "").strip().upper()
    db = db_session()
    if not ledger.partner_exists(db, code):
        form.partner.errors = [_l("There is no partner %(code)s.", code=code)]
        return None
    form.partner.data = code
    return ledger.query(
        db,
        partner_code=code,
        subject=(form.subject.data or "").strip(),
        kind=form.kind.data,
        since=day_start(form.since.data) or dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        until=day_after(form.until.data) or dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1),
        limit=LIMIT,
    )


@console_ledger.get("/ledger")
@requires()
def question() -> tuple[str, int]:
    """Ask the ledger: each disclosure with its time, channel, dataset, version and fields."""
    form = LedgerQuestion(request.args)
    found = _answer(form)
    asked = bool(request.args)
    return render_template(
        "console/ledger.html", form=form, found=found, channels=CHANNELS, limit=LIMIT
    ), 400 if asked and found is None else 200


def _safe(value: object) -> str:
    """A cell as text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@console_ledger.get("/ledger.csv")
@requires()
def export() -> Response | tuple[str, int]:
    """The same answer as a CSV file, one row per disclosure."""
    form = LedgerQuestion(request.args)
    found = _answer(form)
    if found is None:
        return question()[0], 400
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "at_utc",
            "partner",
            "subject_kind",
            "subject",
            "channel",
            "dataset",
            "policy_version",
            "policy_hash",
            "account",
            "rows",
            "fields",
        ]
    )
    for seen in found:
        writer.writerow(
            [
                seen.at.strftime("%Y-%m-%d %H:%M:%S"),
                form.partner.data,
                seen.subject_kind,
                _safe(form.subject.data),
                seen.channel,
                seen.dataset,
                seen.policy_version if seen.policy_version is not None else "",
                seen.policy_hash,
                _safe(seen.account),
                seen.rows,
                "; ".join(f"{name}={treatment}" for name, treatment in sorted(seen.fields.items())),
            ]
        )
    name = f"ledger-{form.partner.data}-{seen_name(form.subject.data or '')}.csv"
    return Response(
        out.getvalue().encode("utf-8-sig"),  # the BOM makes Excel read UTF-8
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def seen_name(subject: str) -> str:
    """The subject as it may stand in a file name."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in subject.strip())[:60] or "subject"


class ExplainQuestion(FilterForm):
    partner = StringField(
        _l("Partner code"),
        validators=[DataRequired(_l("Type the partner's code, e.g. SUP-002.")), Length(max=40)],
    )
    dataset = SelectField(_l("Dataset"), choices=[SelectChoice(name, name) for name in sorted(DATASETS)])


@console_ledger.get("/explain")
@requires()
def explain() -> tuple[str, int]:
    """What ``portal policy explain`` prints: the active version's treatment of each field, and the rule."""
    form = ExplainQuestion(request.args)
    explanation = None
    status = 200
    if request.args:
        status = 400
        if form.validate():
            code = (form.partner.data or "").strip().upper()
            try:
                explanation = explain_for_partner(db_session(), code, form.dataset.data or "")
            except NoActiveVersion:
                form.form_errors.append(_l("No sharing policy is active: partners see nothing."))
            else:
                if explanation is None:
                    form.partner.errors = [_l("There is no partner %(code)s.", code=code)]
                else:
                    form.partner.data, status = code, 200
    return render_template("console/explain.html", form=form, explanation=explanation), status
