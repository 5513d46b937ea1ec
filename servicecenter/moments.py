"""A moment as people type it into a "when?" field, day before month as Danes write it: "3/11 14:00",
"3.11.2026 14.00", "2026-11-03 14:00", "2026-11-03T14:00" (a browser's own value), "kl. 14", "3/11" (a date alone
means noon), "14:00" (a time alone means today). A missing year is the latest such day that is not in the future,
since the question is about the past. Pure: text and the local "now" in, a local (naive) date-time or None out."""

from __future__ import annotations

import datetime as dt
import re

NOON = dt.time(12, 0)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\.?$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}t\d")
_CLOCK = re.compile(r"\bkl\b\.?")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")


def parse_moment(text: str, *, now_local: dt.datetime) -> dt.datetime | None:
    """The local date-time meant by `text`, or None when it cannot be read (the caller asks again)."""
    raw = (text or "").strip().lower()
    if _ISO_MOMENT.match(raw):
        raw = raw.replace("t", " ", 1)
    clock = bool(_CLOCK.search(raw))  # "kl. 9.30": what follows is a time
    words = _CLOCK.sub(" ", raw).replace(",", " ").split()
    if not words or len(words) > 2:
        return None
    if len(words) == 1 and (clock or _is_time(words[0])):
        time = _time(words[0])
        return dt.datetime.combine(now_local.date(), time) if time else None
    day = _date(words[0], now_local)
    time = _time(words[1]) if len(words) == 2 else NOON
    if day is None or time is None:
        return None
    return dt.datetime.combine(day, time)


def _is_time(word: str) -> bool:
    """A lone word is a time when it has a colon ("14:00") or is just an hour; "3.11" alone is a date."""
    return ":" in word or (word.isdigit() and len(word) <= 2)


def _time(word: str) -> dt.time | None:
    match = _TIME.match(word)
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None


def _date(word: str, now_local: dt.datetime) -> dt.date | None:
    if match := _ISO.match(word):
        return _day(int(match[1]), int(match[2]), int(match[3]))
    match = _DAY_MONTH.match(word)
    if not match:
        return None
    day, month = int(match[1]), int(match[2])
    if match[3]:
        year = int(match[3])
        return _day(year + 2000 if year < 100 else year, month, day)
    this_year = _day(now_local.year, month, day)
    if this_year is not None and this_year > now_local.date():
        return _day(now_local.year - 1, month, day)
    return this_year


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
