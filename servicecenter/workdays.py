"""Danish days off: public holidays and the customary closing days. Flask-free, so pure modules (the SLA) can use it."""

from __future__ import annotations

import holidays


def danish_days_off(first_year: int, last_year: int) -> holidays.HolidayBase:
    """Public holidays and the customary days off (Constitution Day, Christmas Eve, New Year's Eve: the
    `holidays` package's "optional" category)."""
    return holidays.country_holidays("DK", years=range(first_year, last_year + 1), categories=("public", "optional"))
