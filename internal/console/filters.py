"""Filter forms shared by the console's read-only pages: dates are whole UTC days."""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm


class FilterForm(FlaskForm):
    """A GET form: no CSRF token (it changes nothing), values kept in the address for links and exports."""

    class Meta:
        csrf = False


def day_start(day: dt.date | None) -> dt.datetime | None:
    """The first instant (UTC) of ``day``."""
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def day_after(day: dt.date | None) -> dt.datetime | None:
    """The first instant (UTC) after ``day``: "until" includes the whole day named."""
    return None if day is None else dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
