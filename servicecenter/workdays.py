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


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The working day `count` working days after `day` (Monday to Friday, not a Danish day off); 0: `day` itself if
    it is a working day, else the next one."""
    days_off = danish_days_off(day.year, day.year + 1 + count // 200)

    def working(d: dt.date) -> bool:
        return d.weekday() < 5 and d not in days_off

    while not working(day):
        day += dt.timedelta(days=1)
    while count > 0:
        day += dt.timedelta(days=1)
        if working(day):
            count -= 1
    return day
