"""Calendar months as the service center counts them: local (Copenhagen) months, stored as their first day, bounded
by the UTC moments of local midnight on the 1st and on the 1st of the next month."""

from __future__ import annotations

import datetime as dt

from servicecenter.db import LOCAL_ZONE, local_date


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bounds(first: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as UTC moments from local midnight on the 1st to local midnight on the 1st of the next."""
    return tuple(dt.datetime.combine(d, dt.time(0), LOCAL_ZONE).astimezone(dt.UTC)
                 for d in (first, add_months(first, 1)))


def previous_month(now: dt.datetime) -> dt.date:
    """The last full month before `now` (local)."""
    return add_months(first_of(local_date(now)), -1)


def parse_month(text: str) -> dt.date | None:
    """`YYYY-MM` as the month's first day; None when it is not a month between 2000 and 2100 (no 500 on year 1)."""
    try:
        first = dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        return None
    return first if 2000 <= first.year <= 2100 else None
