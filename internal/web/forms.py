"""Forms both apps use for signing in and managing one's own account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from internal.accounts import MIN_PASSWORD_LENGTH
from internal.models import MembershipRole


class LoginForm(FlaskForm):
    email = StringField(
        _l("E-mail"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a new password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


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
