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


def new_password_field(label: str, required_message: str) -> PasswordField:
    """A field for choosing a password, with the length rule the accounts service enforces."""
    return PasswordField(
        label,
        validators=[
            DataRequired(required_message),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def repeat_password_field(label: str, of: str, mismatch_message: str) -> PasswordField:
    return PasswordField(
        label, validators=[EqualTo(of, message=mismatch_message)], render_kw={"autocomplete": "new-password"}
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new = new_password_field(_l("New password"), _l("Enter a new password."))
    confirm = repeat_password_field(_l("Repeat the new password"), "new", _l("The two new passwords differ."))


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


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("E-mail"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )


class ResetPasswordForm(FlaskForm):
    new = new_password_field(_l("New password"), _l("Enter a new password."))
    confirm = repeat_password_field(_l("Repeat the new password"), "new", _l("The two new passwords differ."))


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )
