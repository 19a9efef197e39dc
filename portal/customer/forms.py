"""Forms of the customer pages: list filters (read from the query string) and service requests."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError


class ListFilter(FlaskForm):
    """Search and filters of a list page. A GET form: nothing changes, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)])
    status = SelectField(_l("Status"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()], render_kw={"type": "date"})
    date_to = DateField(_l("To"), validators=[Optional()], render_kw={"type": "date"})
    ship_to = SelectField(_l("Delivered to"), validators=[Optional()])

    def __init__(
        self, formdata: Any, statuses: list[SelectChoice], sites: list[SelectChoice], **kw: Any
    ) -> None:
        super().__init__(formdata=formdata, **kw)
        self.status.choices = [SelectChoice("", _l("Any status")), *statuses]
        self.ship_to.choices = [SelectChoice("", _l("All sites")), *sites]

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class ServiceRequestForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("Say in a few words what it is about.")), Length(max=200)],
    )
    order_number = SelectField(_l("About the order"), validators=[Optional()])
    sku = StringField(_l("About the item (item code)"), validators=[Optional(), Length(max=40)])
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write your message.")), Length(max=4000)]
    )


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write your message.")), Length(max=4000)]
    )


class ReorderForm(FlaskForm):
    """Only the CSRF token: the order to repeat is in the address."""
