"""SLA arithmetic: business calendars, business time, and the SLA clocks of a ticket computed from its event log.

Pure: no Flask, no database. Datetimes going in must be timezone-aware; datetimes coming out are in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter
from zoneinfo import ZoneInfo

from servicecenter.workdays import danish_days_off

UTC = dt.UTC
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MIDNIGHT = dt.time(0)  # as a closing time: the end of the day
OFFICE_HOURS = {weekday: (dt.time(8), dt.time(16)) for weekday in range(5)}  # Monday-Friday 08:00-16:00
ONE_DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
ZERO = dt.timedelta(0)

Hours = Mapping[int, tuple[dt.time, dt.time]] | Iterable[tuple[int, dt.time, dt.time]]
DaysOff = Callable[[int, int], Container[dt.date]]
Interval = tuple[dt.datetime, dt.datetime]

# The events the clocks read; other kinds in a ticket's log (replies, notes, assignments) are ignored.
CREATED = "created"  # the clocks start; a call logged afterwards is back-dated to the time of the call
FIRST_RESPONSE = "first_response"  # the first reply to the requester: the first-response target is met
STATUS = "status"  # the ticket moved to `status`
RESOLVED = "resolved"  # the same as a STATUS event to "resolved"

NEW = "new"  # the status from creation until the first status event
PAUSED_STATUSES = frozenset({"waiting_customer", "waiting_third_party"})  # the clocks stop, and resume afterwards
RESOLVED_STATUSES = frozenset({"resolved", "closed"})  # resolution is met; reopening resumes the clock

# "Breaching soon": less than 20 % of the target left, or less than one hour, whichever is less.
WARNING_SHARE = 0.2
WARNING_AT_MOST = dt.timedelta(hours=1)


# --- business calendars and business time ----------------------------------------------------------------


class BusinessCalendar:
    """Opening hours per weekday (0 = Monday) in local time, closed on the days off and the extra closed days.

    `hours` is {weekday: (opens, closes)} or a list of (weekday, opens, closes), which allows several spans a day;
    a closing time of 00:00 means midnight. `holidays(first_year, last_year)` gives the days off (Danish by default;
    None for none). The calendar caches days off per year and opening intervals per date.
    """

    def __init__(self, hours: Hours = OFFICE_HOURS, zone: dt.tzinfo = COPENHAGEN, *,
                 holidays: DaysOff | None = danish_days_off, closed_days: Iterable[dt.date] = ()) -> None:
        self.hours = _weekly_hours(hours)
        self.zone = zone
        self.holidays = holidays
        self.closed_days = frozenset(closed_days)
        self._days_off: dict[int, Container[dt.date]] = {}
        self._intervals: dict[dt.date, tuple[Interval, ...]] = {}

    def is_closed_on(self, day: dt.date) -> bool:
        """A day off or an extra closed day (whatever its opening hours)."""
        if day in self.closed_days:
            return True
        if self.holidays is None:
            return False
        if day.year not in self._days_off:
            self._days_off[day.year] = self.holidays(day.year, day.year)
        return day in self._days_off[day.year]

    def intervals_on(self, day: dt.date) -> tuple[Interval, ...]:
        """The opening intervals of a local date, in UTC (so a day with a DST change keeps its real length)."""
        if day not in self._intervals:
            spans = () if self.is_closed_on(day) else self.hours.get(day.weekday(), ())
            self._intervals[day] = tuple((self._to_utc(day, opens), self._to_utc(day, closes, closing=True))
                                         for opens, closes in spans)
        return self._intervals[day]

    def open_intervals(self, start: dt.datetime) -> Iterator[Interval]:
        """The opening intervals from `start` on, endlessly; one that contains `start` begins at `start`."""
        day = start.astimezone(self.zone).date()
        while True:
            for opens, closes in self.intervals_on(day):
                if closes > start:
                    yield max(opens, start), closes
            day += ONE_DAY

    def is_open(self, at: dt.datetime) -> bool:
        at = _utc(at)
        return any(opens <= at < closes for opens, closes in self.intervals_on(at.astimezone(self.zone).date()))

    def _to_utc(self, day: dt.date, time: dt.time, *, closing: bool = False) -> dt.datetime:
        if closing and time == MIDNIGHT:
            day += ONE_DAY
        # A wall time that does not exist (spring forward) or exists twice (fall back) is read with fold=0.
        return dt.datetime.combine(day, time, tzinfo=self.zone).astimezone(UTC)


def _weekly_hours(hours: Hours) -> dict[int, tuple[tuple[dt.time, dt.time], ...]]:
    rows = [(day, *span) for day, span in hours.items()] if isinstance(hours, Mapping) else list(hours)
    week: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for day, opens, closes in rows:
        if day not in range(7) or not (opens < closes or closes == MIDNIGHT):
            raise ValueError(f"opening hours {opens}-{closes} on weekday {day} are not a span of one day")
        week.setdefault(day, []).append((opens, closes))
    for day, spans in week.items():
        spans.sort()
        if any(closes == MIDNIGHT or closes > opens for (_, closes), (opens, _) in pairwise(spans)):
            raise ValueError(f"opening hours overlap on weekday {day}")
    if not week:
        raise ValueError("a business calendar needs opening hours")
    return {day: tuple(spans) for day, spans in week.items()}


ALWAYS_OPEN = BusinessCalendar({weekday: (MIDNIGHT, MIDNIGHT) for weekday in range(7)}, UTC, holidays=None)


def business_seconds_between(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Whole business seconds from `start` to `end` (0 if `end` is not after `start`)."""
    return _business_time(calendar, _utc(start), _utc(end)) // SECOND


def add_business_seconds(calendar: BusinessCalendar, start: dt.datetime, seconds: int) -> dt.datetime:
    """The deadline `seconds` of business time after `start`: the last instant by which no more has passed.

    Starting outside hours counts from the next opening; time that runs out at a closing falls due at the next
    opening, since no business time passes in between (Friday 15:00 + 2 hours is Monday 09:00).
    """
    if seconds < 0:
        raise ValueError("business seconds to add must not be negative")
    return _add_business_time(calendar, _utc(start), dt.timedelta(seconds=seconds))


def _business_time(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    total, intervals = ZERO, calendar.open_intervals(start)
    opens, closes = next(intervals)
    while opens < end:
        total += min(closes, end) - opens
        opens, closes = next(intervals)
    return total


def _add_business_time(calendar: BusinessCalendar, start: dt.datetime, left: dt.timedelta) -> dt.datetime:
    intervals = calendar.open_intervals(start)
    opens, closes = next(intervals)
    while closes - opens <= left:  # an interval that only just uses it up: due at the next opening
        left -= closes - opens
        opens, closes = next(intervals)
    return opens + left


def _utc(at: dt.datetime) -> dt.datetime:
    if at.utcoffset() is None:
        raise ValueError(f"{at} has no time zone")
    return at.astimezone(UTC)


# --- the SLA clocks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One entry of a ticket's log as the clocks see it; `status` only for STATUS events."""

    at: dt.datetime
    kind: str
    status: str | None = None


@dataclass(frozen=True)
class SlaPolicy:
    """Targets in business time, or in plain elapsed time when `business_hours` is False (a 24/7 priority)."""

    first_response: dt.timedelta
    resolution: dt.timedelta
    business_hours: bool = True


# Placeholders until the service center sets its own (the ticket feature may keep them as data).
POLICIES = {
    "P1": SlaPolicy(dt.timedelta(minutes=30), dt.timedelta(hours=4), business_hours=False),
    "P2": SlaPolicy(dt.timedelta(hours=1), dt.timedelta(hours=8)),
    "P3": SlaPolicy(dt.timedelta(hours=4), dt.timedelta(hours=24)),
    "P4": SlaPolicy(dt.timedelta(hours=8), dt.timedelta(hours=80)),
}


@dataclass(frozen=True)
class SlaTarget:
    """One clock at `now`.

    due_at: the last instant at which the target is still met, assuming the ticket stays as it is now (for a met
        target: as if its clock had run on from `met_at`); None while the clock is stopped and not yet breached.
    warn_at: like due_at for the start of "breaching soon"; None once met.
    remaining_seconds: business seconds left at `now`, or at `met_at` when met; negative when overdue.
    So, on the same log, with None comparing false as in SQL: is_breached == ((met_at or now) > due_at) and
    is_breaching_soon == (warn_at < now <= due_at), which lets the ticket feature store due_at and warn_at and list
    the breached and breaching-soon tickets by index.
    """

    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    met_at: dt.datetime | None
    remaining_seconds: int
    is_breached: bool
    is_breaching_soon: bool


@dataclass(frozen=True)
class SlaState:
    first_response: SlaTarget
    resolution: SlaTarget
    is_paused: bool


Span = tuple[dt.datetime, dt.datetime, str]  # (from, until, status)


def compute(policy: SlaPolicy, calendar: BusinessCalendar, events: Iterable[Event], now: dt.datetime) -> SlaState:
    """Both clocks of a ticket at `now`, from its event log in any order (events after `now` are not yet known).

    Both clocks run from creation while the status is neither paused nor resolved. The first response is met by the
    first FIRST_RESPONSE event, or by resolving the ticket without one; the resolution by a resolved status that is
    still in force at `now`: reopening takes it back, and the clock continues where it stopped.
    """
    now = _utc(now)
    clock = calendar if policy.business_hours else ALWAYS_OPEN
    # By time; events at the same instant keep their order in the log.
    log = sorted(((_utc(e.at), e.kind, e.status) for e in events if _utc(e.at) <= now), key=itemgetter(0))
    spans = _status_spans(log, now)
    created = spans[0][0]
    responses = [max(at, created) for at, kind, _ in log if kind == FIRST_RESPONSE]
    resolutions = [start for start, _, status in spans if status in RESOLVED_STATUSES]
    return SlaState(
        first_response=_target(clock, spans, policy.first_response, min(responses + resolutions, default=None), now),
        resolution=_target(clock, spans, policy.resolution, _resolved_at(spans), now),
        is_paused=spans[-1][2] in PAUSED_STATUSES,
    )


def _status_spans(log: list[tuple[dt.datetime, str, str | None]], now: dt.datetime) -> list[Span]:
    """The statuses from creation to `now`; one set before the creation (back-dated) applies from the creation."""
    created = [(at, status or NEW) for at, kind, status in log if kind == CREATED]
    if not created:
        raise ValueError("the event log has no 'created' event at or before now")
    start, status = created[0]
    changes = [(start, status)]
    for at, kind, new_status in log:
        if kind == RESOLVED:
            new_status = "resolved"
        elif kind != STATUS:
            continue
        if new_status is None:
            raise ValueError(f"a status event at {at} has no status")
        changes.append((max(at, start), new_status))
    until = [at for at, _ in changes[1:]] + [now]
    return [(begins, ends, status) for (begins, status), ends in zip(changes, until, strict=True)]


def _resolved_at(spans: list[Span]) -> dt.datetime | None:
    """The start of the resolved stretch the ticket is in at the end, if it is in one."""
    resolved_at = None
    for start, _, status in reversed(spans):
        if status not in RESOLVED_STATUSES:
            break
        resolved_at = start
    return resolved_at


def _target(clock: BusinessCalendar, spans: list[Span], target: dt.timedelta, met_at: dt.datetime | None,
            now: dt.datetime) -> SlaTarget:
    until = met_at or now
    running = [(start, min(end, until)) for start, end, status in spans if start < until and _ticks(status)]
    spent = [_business_time(clock, start, end) for start, end in running]
    runs_on = until if met_at is not None or _ticks(spans[-1][2]) else None
    warning = min(target * WARNING_SHARE, WARNING_AT_MOST)
    remaining = target - sum(spent, ZERO)
    return SlaTarget(
        due_at=_deadline(clock, running, spent, runs_on, target),
        warn_at=None if met_at is not None else _deadline(clock, running, spent, runs_on, target - warning),
        met_at=met_at,
        remaining_seconds=remaining // SECOND,
        is_breached=remaining < ZERO,
        is_breaching_soon=met_at is None and runs_on is not None and ZERO <= remaining < warning,
    )


def _ticks(status: str) -> bool:
    return status not in PAUSED_STATUSES and status not in RESOLVED_STATUSES


def _deadline(clock: BusinessCalendar, running: list[tuple[dt.datetime, dt.datetime]], spent: list[dt.timedelta],
              runs_on: dt.datetime | None, budget: dt.timedelta) -> dt.datetime | None:
    """The last instant by which no more than `budget` has run: through the stretches that ran, then from `runs_on`
    on if the clock keeps running (None: it never runs out)."""
    for (start, _), used in zip(running, spent, strict=True):
        if used > budget:
            return _add_business_time(clock, start, budget)
        budget -= used
    return None if runs_on is None else _add_business_time(clock, runs_on, budget)
