"""Texts to people outside the system, in their language, written where no request is (a service, a job): the
catalogues are read directly, as Flask-Babel would read them."""

from __future__ import annotations

from functools import lru_cache

from babel.support import Translations

from servicecenter.config import ROOT

CATALOGUES = ROOT / "servicecenter" / "translations"


def text_language(language: str | None) -> str:
    """Danish for Danish (and when unknown); the citizens who chose another language read English best of ours."""
    return "da" if language in (None, "", "da") else "en"


@lru_cache(maxsize=4)
def _translations(language: str) -> Translations:
    return Translations.load(str(CATALOGUES), [language])


def translate(language: str, message: str, **params: object) -> str:
    text = _translations(text_language(language)).gettext(message)
    return text % params if params else text
