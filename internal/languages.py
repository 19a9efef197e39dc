"""Messages in one reader's language where there is no web request: e-mails sent by background tasks.

The web apps pick the language per request (Flask-Babel); a task on a worker has no request, so it
reads the same catalogue (internal/web/translations) through Babel for the recipient's saved language.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

CATALOGUE = Path(__file__).resolve().parent / "web" / "translations"
#: The languages an account may save, as the web apps' language selector names them.
SUPPORTED = ("en", "zh_CN")


@lru_cache(maxsize=8)
def _translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    try:
        parsed = Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        return NullTranslations()
    # Babel names zh_CN "zh_Hans_CN", the catalogue's folder.
    return Translations.load(str(CATALOGUE), [parsed], domain="messages")


class Language:
    """The catalogue's messages in ``locale`` (an account's saved one; None or unknown: English)."""

    def __init__(self, locale: str | None) -> None:
        self.locale = locale if locale in SUPPORTED else "en"
        self._catalogue = _translations(self.locale)

    def gettext(self, message: str, **params: Any) -> str:
        text = self._catalogue.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, num: int, **params: Any) -> str:
        text = self._catalogue.ngettext(singular, plural, num)
        return text % {"num": num, **params}
