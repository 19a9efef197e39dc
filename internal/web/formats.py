"""Dates and numbers in the reader's language (Flask-Babel's filters), each result remembered once made.

A list page shows the same few dates and amounts again and again, and Babel's formatting was the
costliest part of rendering one (a page of 25 orders spent more time in it than in its SQL). The
formatting is still Babel's, through Flask-Babel; only its results are kept, per language, time
zone, value and format.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import flask_babel
from flask import Flask, g
from jinja2 import Undefined

#: What a missing figure reads as.
NOT_SHOWN = "—"
#: Distinct (language, value, format) results kept per process.
KEPT = 50_000


def _remembered(format_: Callable[..., str]) -> Callable[..., str]:
    @lru_cache(maxsize=KEPT)
    def formatted(
        _where: tuple[str, str], _kind: tuple[type, str], value: Any, args: Any, kwargs: Any
    ) -> str:
        return format_(value, *args, **dict(kwargs))

    def filter_(value: Any, *args: Any, **kwargs: Any) -> str:
        if value is None or isinstance(value, Undefined):
            # A figure the page does not have (not shared under the reader's policy, or not set) reads as
            # a dash rather than failing the whole page.
            return NOT_SHOWN
        where = _where()
        # Equal values of other types or exponents (1, 1.0, Decimal("1.00")) are told apart.
        kind = (type(value), str(value) if isinstance(value, Decimal) else "")
        try:
            return formatted(where, kind, value, args, tuple(kwargs.items()))
        except TypeError:  # an unhashable argument: format it afresh
            return format_(value, *args, **kwargs)

    return filter_


def _where() -> tuple[str, str]:
    """The reader's language and time zone, looked up once per request (a page formats hundreds of cells)."""
    found: tuple[str, str] | None = g.get("_formats_where")
    if found is None:
        found = g._formats_where = (str(flask_babel.get_locale()), str(flask_babel.get_timezone()))
    return found


def init_formats(app: Flask) -> None:
    """Replace Flask-Babel's Jinja filters with remembering ones (call after Babel's init_app)."""
    app.jinja_env.filters.update(
        dateformat=_remembered(flask_babel.format_date),
        datetimeformat=_remembered(flask_babel.format_datetime),
        timeformat=_remembered(flask_babel.format_time),
        decimalformat=_remembered(flask_babel.format_decimal),
        numberformat=_remembered(flask_babel.format_number),
        currencyformat=_remembered(flask_babel.format_currency),
        percentformat=_remembered(flask_babel.format_percent),
    )
