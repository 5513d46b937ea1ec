"""Danish days off: public holidays and the customary closing days. Flask-free, so pure modules (the SLA) can use it."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def danish_days_off(first_year: int, last_year: int) -> frozenset[dt.date]:
    """Public holidays and the customary days off (Constitution Day, Christmas Eve, New Year's Eve: the
    `holidays` package's "optional" category). Cached: building a year's holidays takes milliseconds, and every
    ticket change asks for them."""
    return frozenset(holidays.country_holidays("DK", years=range(first_year, last_year + 1),
                                               categories=("public", "optional")))
