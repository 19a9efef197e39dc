"""Labels, dates and numbers in the reader's language, and links, at the cost a page of rows can bear.

A list page shows the same few dates and amounts again and again, and Babel's formatting was the
costliest part of rendering one (a page of 25 orders spent more time in it than in its SQL). The
formatting is still Babel's, through Flask-Babel; only its results are kept, per language, time
zone, value and format.

Templates translate labels in every row; Flask-Babel looks its catalogue up afresh for each one
(about 10 microseconds, against 0.1 for the lookup itself). ``gettext`` here finds the catalogue once
per request and language, through Flask-Babel, and asks it directly: same catalogue, same answer,
and a ``force_locale`` block (an e-mail in its recipient's language) still gets its own language.
Links are built by Flask; a link already built for the same endpoint and arguments is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import flask_babel
from babel.support import NullTranslations
from flask import Flask, g, request, url_for
from flask_babel.speaklater import LazyString
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
    """The reader's language and time zone, looked up once per request and language."""
    state = vars(g._get_current_object())
    locale = _locale(state)
    found: tuple[object, tuple[str, str]] | None = state.get("_formats_where")
    if found is None or found[0] is not locale:
        found = state["_formats_where"] = (locale, (str(locale), str(flask_babel.get_timezone())))
    return found[1]


def _locale(state: dict[str, Any]) -> object:
    """The request's Babel locale (Flask-Babel keeps it, or a ``force_locale`` block's, on ``g``)."""
    babel_state = state.get("_flask_babel")
    locale = getattr(babel_state, "babel_locale", None) if babel_state is not None else None
    return locale if locale is not None else flask_babel.get_locale()


def catalogue() -> NullTranslations:
    """The reader's message catalogue, as Flask-Babel chooses it, found once per request and language."""
    if not g:
        empty: NullTranslations = flask_babel.get_translations()  # outside a request: an empty catalogue
        return empty
    state = vars(g._get_current_object())
    locale = _locale(state)
    kept: tuple[object, NullTranslations] | None = state.get("_portal_catalogue")
    if kept is None or kept[0] is not locale:
        kept = state["_portal_catalogue"] = (locale, flask_babel.get_translations())
    return kept[1]


def gettext(string: str, **variables: Any) -> str:
    """``flask_babel.gettext``, for labels rendered many times a page."""
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def translated(label: object) -> object:
    """A lazily translated label (``lazy_gettext``) as text in the reader's language, by the quick path."""
    if isinstance(label, LazyString) and label._func is flask_babel.gettext and len(label._args) == 1:
        return gettext(label._args[0], **label._kwargs)
    return label


#: Links kept per app (the same rows are linked on every view of a page).
LINKS_KEPT = 20_000


def _link_builder() -> Callable[..., str]:
    """``url_for`` for one app's templates: a path built once for an endpoint and arguments is reused.

    Only plain paths are kept: a relative endpoint (".x"), or any option (``_external``, ``_anchor``
    ...), is built by Flask every time, as is any link once LINKS_KEPT are kept.
    """
    kept: dict[tuple[Any, ...], str] = {}

    def link_for(endpoint: str, **values: Any) -> str:
        if endpoint.startswith(".") or any(name.startswith("_") for name in values):
            return url_for(endpoint, **values)
        try:
            key = (request.script_root, endpoint, *sorted(values.items()))
            return kept[key]
        except KeyError:
            built = url_for(endpoint, **values)
            if len(kept) < LINKS_KEPT:
                kept[key] = built
            return built
        except TypeError:  # an unhashable argument
            return url_for(endpoint, **values)

    return link_for


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
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda string: catalogue().ugettext(string),
        ngettext=lambda singular, plural, n: catalogue().ungettext(singular, plural, n),
        pgettext=lambda context, string: catalogue().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: catalogue().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals["url_for"] = _link_builder()
