"""Forms of the supplier workspace."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class LineAnswerForm(FlaskForm):
    action = SelectField(
        _l("Answer"),
        choices=[
            SelectChoice("accept", _l("Accept")),
            SelectChoice("reject", _l("Reject")),
            SelectChoice("propose", _l("Propose a change")),
        ],
    )
    reason = StringField(_l("Reason or comment"), validators=[Optional(), Length(max=400)])
    proposed_qty = DecimalField(
        _l("Proposed quantity"),
        validators=[Optional(), NumberRange(min=0, message=_l("Enter a quantity above zero."))],
    )
    proposed_date = DateField(_l("Proposed date"), validators=[Optional()])
    version = HiddenField(validators=[DataRequired()])


class ShipNoticeForm(FlaskForm):
    """The notice's header; the quantities per line come as qty-<order>-<line> fields beside it."""

    ship_date = DateField(_l("Ship date"), validators=[DataRequired(_l("Enter the ship date."))])
    expected_arrival = DateField(
        _l("Expected arrival"), validators=[DataRequired(_l("Enter the expected arrival date."))]
    )
    carrier = StringField(_l("Carrier"), validators=[DataRequired(_l("Name the carrier.")), Length(max=60)])
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=60)])
