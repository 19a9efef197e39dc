"""Forms of the partner-side account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from internal.web.forms import new_password_field, repeat_password_field


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)])
    password = new_password_field(_l("Choose a password"), _l("Choose a password."))
    confirm = repeat_password_field(_l("Repeat the password"), "password", _l("The two passwords differ."))
