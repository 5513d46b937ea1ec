"""Reading a moment as people type it (servicecenter.moments): day before month, a date alone is noon, a time alone
is today, a missing year is the latest such day not in the future. Fixed "now": no wall clock."""

from __future__ import annotations

import datetime as dt

import pytest

from servicecenter.moments import parse_moment

NOW = dt.datetime(2026, 12, 4, 16, 0)


@pytest.mark.parametrize("typed,meant", [
    ("3/11 14:00", dt.datetime(2026, 11, 3, 14, 0)),
    ("3.11.2026 14.00", dt.datetime(2026, 11, 3, 14, 0)),
    ("2026-11-03 14:00", dt.datetime(2026, 11, 3, 14, 0)),
    ("2026-11-03T14:00", dt.datetime(2026, 11, 3, 14, 0)),
    ("3-11-2026 14:00", dt.datetime(2026, 11, 3, 14, 0)),
    ("3/11/26 8:05", dt.datetime(2026, 11, 3, 8, 5)),
    ("3.11.2026, kl. 14.30", dt.datetime(2026, 11, 3, 14, 30)),
    ("3/11", dt.datetime(2026, 11, 3, 12, 0)),  # a date alone: noon
    ("3.11", dt.datetime(2026, 11, 3, 12, 0)),  # alone, "3.11" is a date, not 03:11
    ("2026-11-03", dt.datetime(2026, 11, 3, 12, 0)),
    ("24/12", dt.datetime(2025, 12, 24, 12, 0)),  # no year, later than now this year: last year's
    ("4/12 17:00", dt.datetime(2026, 12, 4, 17, 0)),  # today counts as not in the future
    ("14:00", dt.datetime(2026, 12, 4, 14, 0)),  # a time alone: today
    ("kl. 9.30", dt.datetime(2026, 12, 4, 9, 30)),
    ("  3/11   14:00 ", dt.datetime(2026, 11, 3, 14, 0)),
])
def test_what_people_type_is_read(typed, meant):
    assert parse_moment(typed, now_local=NOW) == meant


@pytest.mark.parametrize("typed", ["", "yesterday", "31/2", "3/11 25:00", "3/11 14:61", "13/13", "3/11 14:00 x",
                                   "2026-02-30 10:00", "1/1/1 1:1"])
def test_what_cannot_be_read_is_none(typed):
    assert parse_moment(typed, now_local=NOW) is None
