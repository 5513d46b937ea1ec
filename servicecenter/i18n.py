"""Language (Danish default, English on request) and the template filters for dates, times and CPR."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from babel import dates
from flask import Flask, current_app, g, session
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
    gettext,
)

from servicecenter.citizens.cpr import mask_cpr


def select_locale() -> str:
    lang = g.get("lang") or session.get("lang")  # g.lang: a request without a login session (the API) chose
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


# English pages format dates and times as British English does: day before month and a 24-hour clock, which Danes
# read correctly ("04/12/2026, 15:05", "4 Dec 2026"), never the US "12/4/26, 3:05 PM". The English catalogue is
# still the one used (gettext falls back from en_GB to en).
FORMAT_LOCALES = {"en": "en_GB"}


def formatting_locale() -> str:
    """The locale Flask-Babel formats and translates with: the user's language, English as en_GB."""
    lang = select_locale()
    return FORMAT_LOCALES.get(lang, lang)


def init_i18n(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=formatting_locale,
                   default_translation_directories=str(app.root_path) + "/translations")
    # Times are stored in UTC and shown in Europe/Copenhagen (BABEL_DEFAULT_TIMEZONE).
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "short") if value else ""
    app.jinja_env.filters["date"] = lambda value, form="short": format_date(value, form) if value else ""
    app.jinja_env.filters["masked_cpr"] = mask_cpr
    app.jinja_env.globals["current_locale"] = select_locale
    app.jinja_env.globals["format_percent"] = format_percent
    # Numbers in the user's locale ("1.249,50"), a dash for none: prices and figures in tables.
    app.jinja_env.filters["number"] = lambda value, pattern="#,##0.##": (
        "—" if value is None else format_decimal(value, pattern))


# For pages that show many values. Flask-Babel looks up the locale, time zone and translations for every call
# (about 20 µs a date and 8 µs a message); a 50-entry timeline page spent several milliseconds on that alone.


def short_datetime_formatter() -> Callable[[dt.datetime | None], str]:
    """The `datetime` filter (Babel's "short" date and time in the user's time zone) for one request's many values:
    the locale, time zone and patterns are looked up once. Same text as the filter (tested)."""
    locale, zone = get_locale(), get_timezone()
    glue = dates.get_datetime_format("short", locale).replace("'", "")
    date_pattern = dates.parse_pattern(dates.get_date_format("short", locale))
    time_pattern = dates.parse_pattern(dates.get_time_format("short", locale))

    def format_short(value: dt.datetime | None) -> str:
        if not value:
            return ""
        local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone)
        return glue.replace("{0}", time_pattern.apply(local, locale)).replace("{1}", date_pattern.apply(local, locale))

    return format_short


def cached_gettext() -> Callable[..., str]:
    """gettext for one request that shows the same few messages many times: each msgid is looked up once."""
    found: dict[str, str] = {}

    def translate(message: str, **params) -> str:
        text = found.get(message)
        if text is None:
            text = found[message] = gettext(message)
        return text % params if params else text

    return translate
