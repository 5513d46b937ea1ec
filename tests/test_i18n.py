"""The per-request formatters for pages of many values give the same text as the filters and gettext they replace."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import session as web_session
from flask_babel import format_date, format_datetime, gettext

from servicecenter.errors import Msgid, translate_message
from servicecenter.i18n import cached_gettext, short_datetime_formatter
from tests.conftest import make_test_app

MOMENTS = [
    dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC),  # the last minute before summer time
    dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),  # 03:00 summer time
    dt.datetime(2026, 6, 30, 21, 59, tzinfo=dt.UTC),  # 23:59 local, still 30 June
    dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC),  # midnight local: 1 July
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),  # 02:30 summer time
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),  # 02:30 again, winter time
    dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),  # 1 January local
    dt.datetime(2026, 11, 26, 13, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # another zone
    dt.datetime(2026, 11, 26, 13, 5),  # naive: read as UTC, as the filter does
]


@pytest.fixture
def web_app(sqlite_url):
    app = make_test_app(sqlite_url)
    yield app
    app.extensions["database"].engine.dispose()


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_short_datetime_formatter_writes_what_the_datetime_filter_writes(web_app, language):
    with web_app.test_request_context():
        web_session["lang"] = language
        when = short_datetime_formatter()
        expected = [format_datetime(m, "short") for m in MOMENTS]
        assert [when(m) for m in MOMENTS] == expected
        assert when(None) == "" == web_app.jinja_env.filters["datetime"](None)
    assert expected[2] == ("29.03.2026 03.00" if language == "da" else "29/03/2026, 03:00")


@pytest.mark.parametrize("language", ["da", "en"])
def test_cached_gettext_translates_as_gettext_does(web_app, language):
    message = "%(programme)s: from “%(from)s” to “%(to)s”"
    params = {"programme": "KOL", "from": Msgid("allocated"), "to": Msgid("active")}
    with web_app.test_request_context():
        web_session["lang"] = language
        translate = cached_gettext()
        for _ in range(2):  # the second time from the cache
            assert translate_message(message, params, translate) == translate_message(message, params, gettext)
            assert translate("Timeline") == gettext("Timeline")
        if language == "da":
            assert translate("Timeline") != "Timeline"  # really translated


@pytest.mark.parametrize(("language", "short_date", "short_datetime", "full_date"), [
    ("da", "04.12.2026", "04.12.2026 15.05", "fredag den 4. december 2026"),
    ("en", "04/12/2026", "04/12/2026, 15:05", "Friday, 4 December 2026"),
])
def test_dates_put_the_day_before_the_month_and_use_a_24_hour_clock(web_app, language, short_date, short_datetime,
                                                                    full_date):
    """Danes read "12/4/26, 3:05 PM" as 12 April: the English pages write dates as British English does."""
    at = dt.datetime(2026, 12, 4, 14, 5, tzinfo=dt.UTC)  # 15:05 in Copenhagen
    with web_app.test_request_context():
        web_session["lang"] = language
        filters = web_app.jinja_env.filters
        assert filters["date"](at.date()) == short_date
        assert filters["datetime"](at) == short_datetime
        assert short_datetime_formatter()(at) == short_datetime
        assert format_date(at.date(), "full") == full_date
        assert "PM" not in format_datetime(at, "medium")
        assert gettext("Log out") == ("Log ud" if language == "da" else "Log out")  # the catalogue still found
