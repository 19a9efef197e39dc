"""Every explanation code the gate returns is worded in both languages, with its parameters in it."""

from __future__ import annotations

import re
from decimal import Decimal

import flask_babel
import pytest
from flask import Flask

from internal.web import TRANSLATIONS
from internal.web.explanations import band_label, sentence
from policies.explanations import Explanation

QTY = (("fields", ("qty",)),)
BOTH = (("fields", ("on_hand", "days_of_supply")),)
EVERY_CODE = [
    Explanation("round.nearest", (*QTY, ("step", Decimal(10)))),
    Explanation("round.floor", (*BOTH, ("step", Decimal(100)))),
    Explanation("band", (*QTY, ("bands", (("low", None, Decimal(100)), ("high", Decimal(100), None))))),
    Explanation("cap", (*QTY, ("limit", Decimal(500)))),
    Explanation("generalize.region", (("fields", ("ship_from",)),)),
    Explanation("generalize.week", (("fields", ("as_of",)),)),
    Explanation("generalize.month", BOTH),
    Explanation("delay", (("fields", ("as_of",)), ("days", 2))),
    Explanation("mask", (("fields", ("customer",)), ("keep", 4))),
    Explanation("pseudonymize", (("fields", ("customer",)),)),
    Explanation("hidden", BOTH),
    Explanation("horizon", (("weeks", 12),)),
    Explanation("aggregate", (("by", ("sku", "site")), ("grain", "month"), ("min_group", 3))),
    Explanation("nothing", (("dataset", "forecast"),)),
]


@pytest.fixture
def app() -> Flask:
    app = Flask("wording")
    state = {"locale": "en"}
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    flask_babel.Babel(app, locale_selector=lambda: state["locale"])
    app.config["state"] = state
    return app


@pytest.mark.parametrize("explanation", EVERY_CODE, ids=[e.code for e in EVERY_CODE])
def test_each_code_reads_as_a_sentence_in_english_and_chinese(app: Flask, explanation: Explanation) -> None:
    worded = {}
    for locale in ("en", "zh_CN"):
        app.config["state"]["locale"] = locale
        with app.test_request_context():
            worded[locale] = sentence(explanation)
    english, chinese = worded["en"], worded["zh_CN"]
    assert english != explanation.code
    assert english[0].isupper()
    assert english.endswith(".")
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", chinese), chinese  # no English left in it
    for value in (v for _k, v in explanation.params if isinstance(v, int | Decimal)):
        assert f"{value:,}" in english or str(value) in english


def test_english_sentences_name_fields_in_plain_words(app: Flask) -> None:
    with app.test_request_context():
        assert sentence(EVERY_CODE[1]) == "On hand and days of supply are rounded down to multiples of 100."
        assert sentence(EVERY_CODE[2]) == "Quantity is shown as a band: low up to 100 and high over 100."
        assert sentence(EVERY_CODE[-2]) == (
            "Figures are summed per item code and site and per month. "
            "Groups of fewer than 3 entries are merged into “other”."
        )
        assert band_label("custom") == "custom"  # a label a policy invents is shown as written
