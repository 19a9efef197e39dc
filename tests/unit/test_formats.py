"""Remembered formatting gives exactly what Flask-Babel gives, per language and value type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import flask_babel
import pytest
from flask import Flask

from internal.web.formats import init_formats


@pytest.fixture
def app() -> Flask:
    app = Flask("formats")
    state = {"locale": "en"}
    flask_babel.Babel(app, locale_selector=lambda: state["locale"])
    init_formats(app)
    app.config["state"] = state
    return app


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_remembered_filters_match_babel_in_each_language(app: Flask, locale: str) -> None:
    app.config["state"]["locale"] = locale
    filters = app.jinja_env.filters
    day = dt.date(2026, 12, 3)
    with app.test_request_context():
        for _ in range(2):  # the second round answers from memory
            assert filters["dateformat"](day, "medium") == flask_babel.format_date(day, "medium")
            assert filters["decimalformat"](Decimal("1234.5")) == flask_babel.format_decimal(
                Decimal("1234.5")
            )
            assert filters["currencyformat"](Decimal("9.5"), "EUR") == flask_babel.format_currency(
                Decimal("9.5"), "EUR"
            )
    with app.test_request_context():
        flask_babel.refresh()
        assert filters["dateformat"](day, "medium") == ("Dec 3, 2026" if locale == "en" else "2026年12月3日")


def test_a_language_change_is_not_answered_from_another_languages_memory(app: Flask) -> None:
    day = dt.date(2026, 12, 3)
    with app.test_request_context():
        english = app.jinja_env.filters["dateformat"](day, "medium")
    app.config["state"]["locale"] = "zh_CN"
    with app.test_request_context():
        chinese = app.jinja_env.filters["dateformat"](day, "medium")
    assert english == "Dec 3, 2026"
    assert chinese == "2026年12月3日"


def test_equal_values_of_other_types_are_each_formatted_as_babel_formats_them(app: Flask) -> None:
    values = [1, 1.0, Decimal("1"), Decimal("1.000"), 2.5, Decimal("2.50")]
    with app.test_request_context():
        fmt = app.jinja_env.filters["decimalformat"]
        remembered = [fmt(v) for v in values] + [fmt(v) for v in reversed(values)]
        expected = [flask_babel.format_decimal(v) for v in values]
        assert remembered == expected + expected[::-1]


def test_a_figure_the_page_does_not_have_reads_as_a_dash(app: Flask) -> None:
    with app.test_request_context():
        template = app.jinja_env.from_string(
            "{{ row.amount|currencyformat('EUR') }}|{{ none|decimalformat }}"
        )
        assert template.render(row={}) == "—|—"
