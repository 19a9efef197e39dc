"""Forms of the staff console."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice

from internal.web.forms import InviteForm

__all__ = ["InviteForm", "PartnerSettingsForm"]


class PartnerSettingsForm(FlaskForm):
    groups = SelectMultipleField(_l("Groups"), choices=[])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("active", _l("Active")), SelectChoice("suspended", _l("Suspended"))],
    )
