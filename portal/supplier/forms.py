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
