"""Language (Danish default, English on request) and the template filters for dates, times and CPR."""

from __future__ import annotations

from flask import Flask, current_app, session
from flask_babel import Babel, format_date, format_datetime, format_percent

from servicecenter.citizens.cpr import mask_cpr


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def init_i18n(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path) + "/translations")
    # Times are stored in UTC and shown in Europe/Copenhagen (BABEL_DEFAULT_TIMEZONE).
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "short") if value else ""
    app.jinja_env.filters["date"] = lambda value: format_date(value, "short") if value else ""
    app.jinja_env.filters["masked_cpr"] = mask_cpr
    app.jinja_env.globals["current_locale"] = select_locale
    app.jinja_env.globals["format_percent"] = format_percent
