"""Texts to people outside the system, in their language, written where no request is (a service, a job): the
catalogues are read directly, as Flask-Babel would read them."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel.dates import format_date
from babel.support import Translations

from servicecenter.config import ROOT

CATALOGUES = ROOT / "servicecenter" / "translations"


def text_language(language: str | None) -> str:
    """Danish for Danish (and when unknown); the citizens who chose another language read English best of ours."""
    return "da" if language in (None, "", "da") else "en"


def text_locale(language: str | None) -> str:
    """The locale a text's dates are written in: English as British English writes them (day before month), as
    the English pages do (servicecenter/i18n.py)."""
    return "en_GB" if text_language(language) == "en" else "da"


def format_day(day: dt.date, language: str | None) -> str:
    """A day as a text names it in full: "torsdag den 12. marts 2026", "Thursday, 12 March 2026"."""
    return format_date(day, "full", locale=text_locale(language))


@lru_cache(maxsize=4)
def _translations(language: str) -> Translations:
    return Translations.load(str(CATALOGUES), [language])


def translate(language: str, message: str, **params: object) -> str:
    text = _translations(text_language(language)).gettext(message)
    return text % params if params else text
