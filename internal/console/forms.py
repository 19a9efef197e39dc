"""Forms of the staff console."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from internal.models import MembershipRole


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Enter the e-mail address to invite.")),
            Email(_l("Enter a valid e-mail address, like name@company.com."), check_deliverability=False),
            Length(max=254),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(MembershipRole.user.value, _l("User")),
            SelectChoice(MembershipRole.partner_admin.value, _l("Partner admin")),
        ],
        default=MembershipRole.user.value,
    )
