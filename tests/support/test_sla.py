"""SLA arithmetic: business time over weekends, Danish holidays and DST, and the clocks from the event log."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from servicecenter.workdays import danish_days_off
from support.sla import (
    ALWAYS_OPEN,
    COPENHAGEN,
    CREATED,
    FIRST_RESPONSE,
    RESOLVED,
    STATUS,
    UTC,
    BusinessCalendar,
    Event,
    SlaPolicy,
    add_business_seconds,
    business_seconds_between,
    compute,
)

CALENDAR = BusinessCalendar()  # Monday-Friday 08:00-16:00, Copenhagen, Danish days off
HOUR = 3600
POLICY = SlaPolicy(first_response=dt.timedelta(hours=2), resolution=dt.timedelta(hours=8))


def cph(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def status(at: dt.datetime, new_status: str) -> Event:
    return Event(at, STATUS, new_status)


# --- business time: weekends, holidays, DST ---------------------------------------------------------------


def test_two_hours_from_friday_afternoon_end_on_monday_morning():
    # given Friday 15:00 / when two business hours pass / then it is Monday 09:00, and back again
    friday = cph(2026, 3, 13, 15)
    assert add_business_seconds(CALENDAR, friday, 2 * HOUR) == cph(2026, 3, 16, 9)
    assert business_seconds_between(CALENDAR, friday, cph(2026, 3, 16, 9)) == 2 * HOUR


def test_starting_outside_hours_counts_from_the_next_opening():
    assert add_business_seconds(CALENDAR, cph(2026, 3, 14, 11), HOUR) == cph(2026, 3, 16, 9)  # a Saturday
    assert add_business_seconds(CALENDAR, cph(2026, 3, 16, 6), 0) == cph(2026, 3, 16, 8)  # before opening
    assert business_seconds_between(CALENDAR, cph(2026, 3, 14, 11), cph(2026, 3, 16, 8, 30)) == 30 * 60


def test_time_running_out_at_closing_falls_due_at_the_next_opening():
    # no business time passes between Friday 16:00 and Monday 08:00, so the target still holds until Monday
    assert add_business_seconds(CALENDAR, cph(2026, 3, 13, 15), HOUR) == cph(2026, 3, 16, 8)


@pytest.mark.parametrize(("start", "due", "closed"), [
    # Easter 2027: Maundy Thursday, Good Friday, Easter Monday (and DST starts on Easter Sunday)
    (cph(2027, 3, 24, 15), cph(2027, 3, 30, 9), [dt.date(2027, 3, 25), dt.date(2027, 3, 26), dt.date(2027, 3, 29)]),
    # Christmas 2026: Christmas Eve, Christmas Day (Boxing Day is a Saturday)
    (cph(2026, 12, 23, 15), cph(2026, 12, 28, 9), [dt.date(2026, 12, 24), dt.date(2026, 12, 25)]),
    # New Year's Eve and New Year's Day, across the turn of the year
    (cph(2026, 12, 30, 15), cph(2027, 1, 4, 9), [dt.date(2026, 12, 31), dt.date(2027, 1, 1)]),
    # Constitution Day (Grundlovsdag), 5 June 2026, a Friday
    (cph(2026, 6, 4, 15), cph(2026, 6, 8, 9), [dt.date(2026, 6, 5)]),
    # Ascension Day 2026; the Friday after it is a working day
    (cph(2026, 5, 13, 15), cph(2026, 5, 15, 9), [dt.date(2026, 5, 14)]),
], ids=["easter", "christmas", "new-year", "constitution-day", "ascension-day"])
def test_danish_holidays_are_closed(start, due, closed):
    assert all(CALENDAR.is_closed_on(day) and not CALENDAR.is_open(cph(day.year, day.month, day.day, 10))
               for day in closed)
    assert add_business_seconds(CALENDAR, start, 2 * HOUR) == due
    assert business_seconds_between(CALENDAR, start, due) == 2 * HOUR


def test_boxing_day_on_a_weekday_is_closed_too():
    # 2029: 24, 25 and 26 December are Monday to Wednesday
    assert add_business_seconds(CALENDAR, cph(2029, 12, 21, 15), 2 * HOUR) == cph(2029, 12, 27, 9)


@pytest.mark.parametrize(("before", "after", "opening_before", "opening_after"), [
    (cph(2026, 3, 27, 15, 30), cph(2026, 3, 30, 8, 30), utc(2026, 3, 27, 7), utc(2026, 3, 30, 6)),  # spring forward
    (cph(2026, 10, 23, 15, 30), cph(2026, 10, 26, 8, 30), utc(2026, 10, 23, 6), utc(2026, 10, 26, 7)),  # fall back
])
def test_08_00_local_is_the_right_utc_hour_on_both_sides_of_a_dst_change(before, after, opening_before,
                                                                         opening_after):
    assert add_business_seconds(CALENDAR, before, HOUR) == after == opening_after + dt.timedelta(minutes=30)
    assert add_business_seconds(CALENDAR, before.replace(hour=6), 0) == opening_before
    assert business_seconds_between(CALENDAR, before, after) == HOUR


@pytest.mark.parametrize(("sunday", "whole_day_hours", "night_hours"), [
    (dt.date(2026, 3, 29), 23, 4),  # spring forward: 02:00-03:00 does not exist
    (dt.date(2026, 10, 25), 25, 6),  # fall back: 02:00-03:00 happens twice
])
def test_a_business_day_spanning_a_dst_change_keeps_its_hours(sunday, whole_day_hours, night_hours):
    day_shift = BusinessCalendar({6: (dt.time(8), dt.time(16))})
    whole_day = BusinessCalendar({6: (dt.time(0), dt.time(0))})
    night_shift = BusinessCalendar({6: (dt.time(0), dt.time(5))})
    start, end = cph(sunday.year, sunday.month, sunday.day - 1, 12), cph(sunday.year, sunday.month, sunday.day + 1)
    assert business_seconds_between(day_shift, start, end) == 8 * HOUR
    assert business_seconds_between(whole_day, start, end) == whole_day_hours * HOUR  # real time, not wall time
    assert business_seconds_between(night_shift, start, end) == night_hours * HOUR


def test_several_spans_a_day_and_an_extra_closed_day():
    # given a lunch break and a closed day / when 7 hours are added on the morning before it / then both are skipped
    calendar = BusinessCalendar([(0, dt.time(8), dt.time(12)), (0, dt.time(12, 30), dt.time(16)),
                                 (1, dt.time(8), dt.time(16)), (2, dt.time(8), dt.time(16))],
                                closed_days=[dt.date(2026, 3, 17)])
    assert add_business_seconds(calendar, cph(2026, 3, 16, 10), 7 * HOUR) == cph(2026, 3, 18, 9, 30)


@pytest.mark.parametrize("hours", [
    {0: (dt.time(16), dt.time(8))},
    [(0, dt.time(8), dt.time(12)), (0, dt.time(11), dt.time(16))],
    {7: (dt.time(8), dt.time(16))},
    {},
])
def test_impossible_opening_hours_are_refused(hours):
    with pytest.raises(ValueError):
        BusinessCalendar(hours)


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        add_business_seconds(CALENDAR, dt.datetime(2026, 3, 16, 9), HOUR)


def test_the_module_is_pure():
    # given a fresh interpreter / when the SLA module is imported / then neither Flask nor a database layer is
    code = "import sys, support.sla; print(sorted({'flask', 'werkzeug', 'sqlalchemy', 'psycopg'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- the clocks from the event log ------------------------------------------------------------------------


def test_a_new_ticket_is_due_after_its_targets_in_business_time():
    created = cph(2026, 3, 13, 13)  # Friday
    state = compute(POLICY, CALENDAR, [Event(created, CREATED)], now=cph(2026, 3, 13, 14))
    assert state.first_response.due_at == cph(2026, 3, 13, 15)
    assert state.resolution.due_at == cph(2026, 3, 16, 13)
    assert state.first_response.remaining_seconds == HOUR
    assert not state.first_response.is_breached and not state.first_response.is_breaching_soon


def test_breaching_soon_and_breached():
    # first response due Friday 16:00; "soon" is the last 20 % of 2 hours: after 15:36
    log = [Event(cph(2026, 3, 13, 14), CREATED)]
    calm, soon, late = (compute(POLICY, CALENDAR, log, now).first_response
                        for now in (cph(2026, 3, 13, 15, 30), cph(2026, 3, 13, 15, 40), cph(2026, 3, 16, 8, 1)))
    assert not calm.is_breaching_soon and soon.is_breaching_soon and not soon.is_breached
    assert soon.warn_at == cph(2026, 3, 13, 15, 36)
    assert late.is_breached and not late.is_breaching_soon and late.remaining_seconds == -60


def test_a_long_target_warns_one_business_hour_ahead():
    policy = SlaPolicy(first_response=dt.timedelta(hours=40), resolution=dt.timedelta(hours=80))
    state = compute(policy, CALENDAR, [Event(cph(2026, 3, 16, 8), CREATED)], now=cph(2026, 3, 16, 9))
    assert state.first_response.due_at == cph(2026, 3, 23, 8)  # five business days: the next Monday's opening
    assert state.first_response.warn_at == cph(2026, 3, 20, 15)


def test_a_first_response_meets_its_target_on_time_or_late():
    created = cph(2026, 3, 16, 9)
    on_time = compute(POLICY, CALENDAR, [Event(created, CREATED), Event(cph(2026, 3, 16, 10), FIRST_RESPONSE)],
                      now=cph(2026, 3, 20, 12)).first_response
    late = compute(POLICY, CALENDAR, [Event(created, CREATED), Event(cph(2026, 3, 16, 12), FIRST_RESPONSE)],
                   now=cph(2026, 3, 20, 12)).first_response
    assert (on_time.met_at, on_time.due_at, on_time.is_breached, on_time.remaining_seconds) == (
        cph(2026, 3, 16, 10), cph(2026, 3, 16, 11), False, HOUR)
    assert late.is_breached and late.remaining_seconds == -HOUR and late.warn_at is None


def test_a_pause_while_waiting_on_the_customer_pushes_the_deadline_by_the_business_time_paused():
    # given an 8-hour resolution target from Monday 09:00, due Tuesday 09:00
    created, paused, resumed = cph(2026, 3, 16, 9), cph(2026, 3, 16, 10), cph(2026, 3, 17, 11)
    plain = compute(POLICY, CALENDAR, [Event(created, CREATED)], now=cph(2026, 3, 17, 12)).resolution
    # when the ticket waits on the customer from Monday 10:00 to Tuesday 11:00 (6 + 3 business hours)
    log = [Event(created, CREATED), status(paused, "waiting_customer"), status(resumed, "open")]
    waited = compute(POLICY, CALENDAR, log, now=cph(2026, 3, 17, 12)).resolution
    # then the deadline moves from Tuesday 09:00 by exactly those 9 business hours, to Wednesday 10:00
    assert plain.due_at == cph(2026, 3, 17, 9) and plain.is_breached
    assert waited.due_at == add_business_seconds(CALENDAR, plain.due_at, 9 * HOUR) == cph(2026, 3, 18, 10)
    assert not waited.is_breached and waited.remaining_seconds == 8 * HOUR - 2 * HOUR


def test_while_paused_there_is_no_deadline_and_the_clock_stands_still():
    log = [Event(cph(2026, 3, 16, 9), CREATED), status(cph(2026, 3, 16, 10), "waiting_third_party")]
    monday, friday = (compute(POLICY, CALENDAR, log, now=now) for now in (cph(2026, 3, 16, 11), cph(2026, 3, 20, 11)))
    assert monday.is_paused and monday.resolution.due_at is None and not monday.resolution.is_breaching_soon
    assert monday.resolution.remaining_seconds == friday.resolution.remaining_seconds == 7 * HOUR


def test_a_target_used_up_just_as_the_ticket_waits_falls_due_when_the_clock_runs_again():
    # given a 2-hour first response from 09:00, waiting on a third party from 11:00 to 13:00
    log = [Event(cph(2026, 3, 16, 9), CREATED), status(cph(2026, 3, 16, 11), "waiting_third_party"),
           status(cph(2026, 3, 16, 13), "open")]
    waiting = compute(POLICY, CALENDAR, log, now=cph(2026, 3, 16, 12)).first_response
    resumed = compute(POLICY, CALENDAR, log, now=cph(2026, 3, 16, 13)).first_response
    # then nothing is overdue while it waits, and it falls due the moment it resumes
    assert (waiting.due_at, waiting.is_breached, waiting.remaining_seconds) == (None, False, 0)
    assert (resumed.due_at, resumed.is_breached, resumed.is_breaching_soon) == (cph(2026, 3, 16, 13), False, True)


def test_a_status_dated_before_the_creation_applies_from_the_creation():
    created = cph(2026, 3, 16, 10)
    log = [Event(created, CREATED), status(cph(2026, 3, 16, 9), "open")]
    assert compute(POLICY, CALENDAR, log, now=created).first_response.due_at == cph(2026, 3, 16, 12)


def test_reopening_continues_the_clock_where_it_stopped():
    # given 3 business hours to resolution on Monday, resolved until Wednesday 09:00, then reopened
    log = [Event(cph(2026, 3, 16, 9), CREATED), Event(cph(2026, 3, 16, 12), RESOLVED),
           status(cph(2026, 3, 18, 9), "open")]
    resolved = compute(POLICY, CALENDAR, log, now=cph(2026, 3, 17, 12))
    reopened = compute(POLICY, CALENDAR, log, now=cph(2026, 3, 18, 10))
    assert resolved.resolution.met_at == cph(2026, 3, 16, 12) and not resolved.resolution.is_breached
    assert resolved.first_response.met_at == cph(2026, 3, 16, 12)  # resolved without a reply
    assert reopened.resolution.met_at is None
    assert reopened.resolution.remaining_seconds == 4 * HOUR  # 8 - 3 on Monday - 1 on Wednesday
    assert reopened.resolution.due_at == cph(2026, 3, 18, 14)


def test_a_back_dated_event_counts_at_its_time():
    # given a ticket logged in order: created, waiting on the customer, answered
    created = cph(2026, 3, 16, 9)
    in_order = [Event(created, CREATED), status(cph(2026, 3, 16, 10), "waiting_customer"),
                status(cph(2026, 3, 17, 9), "open"), Event(cph(2026, 3, 17, 10), FIRST_RESPONSE)]
    # when the wait is recorded only afterwards, dated when it happened
    back_dated = [in_order[0], in_order[3], in_order[2], in_order[1]]
    now = cph(2026, 3, 17, 15)
    # then the state is the same, and differs from the log without it
    assert compute(POLICY, CALENDAR, back_dated, now) == compute(POLICY, CALENDAR, in_order, now)
    assert compute(POLICY, CALENDAR, in_order[:1] + in_order[3:], now).resolution.is_breached
    assert not compute(POLICY, CALENDAR, in_order, now).resolution.is_breached


def test_a_back_dated_call_starts_the_clock_at_the_call():
    call, logged = cph(2026, 3, 16, 9), cph(2026, 3, 16, 11)
    state = compute(POLICY, CALENDAR, [Event(call, CREATED), Event(logged, "note")], now=logged)
    assert state.first_response.due_at == cph(2026, 3, 16, 11) and state.first_response.remaining_seconds == 0


def test_events_after_now_are_not_yet_known():
    log = [Event(cph(2026, 3, 16, 9), CREATED), Event(cph(2026, 3, 16, 10), FIRST_RESPONSE)]
    assert compute(POLICY, CALENDAR, log, now=cph(2026, 3, 16, 9, 30)).first_response.met_at is None


def test_a_changed_calendar_recomputes_the_deadline():
    log = [Event(cph(2026, 3, 16, 9), CREATED)]  # resolution due Tuesday 09:00
    tuesday_closed = BusinessCalendar(closed_days=[dt.date(2026, 3, 17)])
    assert compute(POLICY, CALENDAR, log, now=cph(2026, 3, 16, 10)).resolution.due_at == cph(2026, 3, 17, 9)
    assert compute(POLICY, tuesday_closed, log, now=cph(2026, 3, 16, 10)).resolution.due_at == cph(2026, 3, 18, 9)


def test_a_24_7_policy_counts_nights_weekends_and_the_dst_hour():
    policy = SlaPolicy(dt.timedelta(minutes=30), dt.timedelta(hours=4), business_hours=False)
    created = cph(2026, 10, 24, 23)  # Saturday night, 21:00 UTC; the clocks go back at 01:00 UTC
    state = compute(policy, CALENDAR, [Event(created, CREATED)], now=created)
    assert state.resolution.due_at == utc(2026, 10, 25, 1)  # four real hours: 02:00 the second time round


def test_a_log_without_creation_is_refused():
    with pytest.raises(ValueError, match="no 'created' event"):
        compute(POLICY, CALENDAR, [Event(cph(2026, 3, 16, 9), FIRST_RESPONSE)], now=cph(2026, 3, 16, 10))


# --- properties --------------------------------------------------------------------------------------------

BASE = utc(2026, 1, 1)
instants = st.integers(0, 3 * 366 * 24 * 4).map(lambda quarter: BASE + dt.timedelta(minutes=15 * quarter))
whole_seconds = st.integers(0, 200 * HOUR)
STATUSES = ["open", "waiting_customer", "waiting_third_party", "resolved", "closed"]
step = st.tuples(st.integers(1, 3 * 24 * 60),
                 st.one_of(st.sampled_from(STATUSES), st.just(FIRST_RESPONSE), st.just("reply")))
policies = st.builds(SlaPolicy, st.integers(0, 16 * 4).map(lambda q: dt.timedelta(minutes=15 * q)),
                     st.integers(0, 80 * 4).map(lambda q: dt.timedelta(minutes=15 * q)), st.booleans())


@st.composite
def ticket_logs(draw, pauses: bool = True):
    """(events in time order, now): created, then status changes, responses and replies minutes to days apart."""
    at = draw(instants)
    events = [Event(at, CREATED)]
    for minutes, what in draw(st.lists(step, max_size=8)):
        at += dt.timedelta(minutes=minutes)
        if what in (FIRST_RESPONSE, "reply"):
            events.append(Event(at, what))
        elif pauses or what not in ("waiting_customer", "waiting_third_party"):
            events.append(status(at, what))
    return events, at + dt.timedelta(minutes=draw(st.integers(0, 14 * 24 * 60)))


def status_at(events: list[Event], at: dt.datetime) -> str:
    statuses = [e.status for e in events if e.kind == STATUS and e.at <= at]
    return statuses[-1] if statuses else "new"


def latest(due_at: dt.datetime | None) -> dt.datetime:
    return due_at or dt.datetime.max.replace(tzinfo=UTC)


def is_office_hour(at: dt.datetime, days_off) -> bool:
    local = at.astimezone(COPENHAGEN)
    return local.weekday() < 5 and 8 <= local.hour < 16 and local.date() not in days_off


@settings(deadline=None)
@given(instants, st.integers(0, 14 * 24 * 4))
def test_business_time_equals_counting_office_quarters(start, quarters):
    # an oracle that knows nothing of intervals: count the quarter hours that start inside office hours
    days_off = danish_days_off(2025, 2030)
    counted = sum(is_office_hour(start + dt.timedelta(minutes=15 * q), days_off) for q in range(quarters))
    end = start + dt.timedelta(minutes=15 * quarters)
    assert business_seconds_between(CALENDAR, start, end) == counted * 15 * 60


office_instants = st.builds(lambda day, minute: dt.datetime.combine(BASE.date() + dt.timedelta(days=day), dt.time(8),
                                                                   tzinfo=COPENHAGEN) + dt.timedelta(minutes=minute),
                             st.integers(0, 3 * 366), st.integers(0, 8 * 60 - 1))


@settings(deadline=None)
@given(instants, office_instants)
def test_adding_the_business_time_between_two_instants_returns_to_the_second(start, end):
    assume(start <= end and CALENDAR.is_open(end))  # a weekday that is not a day off
    assert add_business_seconds(CALENDAR, start, business_seconds_between(CALENDAR, start, end)) == end


@settings(deadline=None)
@given(instants, whole_seconds)
def test_the_business_time_to_a_deadline_is_what_was_added(start, seconds):
    assert business_seconds_between(CALENDAR, start, add_business_seconds(CALENDAR, start, seconds)) == seconds


@settings(deadline=None)
@given(instants, whole_seconds, whole_seconds)
def test_more_business_time_never_gives_an_earlier_deadline(start, a, b):
    fewer, more = sorted((a, b))
    assert add_business_seconds(CALENDAR, start, fewer) <= add_business_seconds(CALENDAR, start, more)


@given(instants, whole_seconds, instants)
def test_always_open_is_plain_elapsed_time(start, seconds, end):
    assert add_business_seconds(ALWAYS_OPEN, start, seconds) == start + dt.timedelta(seconds=seconds)
    assert business_seconds_between(ALWAYS_OPEN, start, end) == max(int((end - start).total_seconds()), 0)


@settings(deadline=None)
@given(ticket_logs(pauses=False), policies)
def test_a_24_7_policy_without_pauses_is_due_after_plain_elapsed_time(log, policy):
    events, now = log
    policy = SlaPolicy(policy.first_response, policy.resolution, business_hours=False)
    state = compute(policy, CALENDAR, events, now)
    created = events[0].at
    if state.first_response.met_at is None:
        assert state.first_response.due_at == created + policy.first_response
        elapsed = now - created
        assert state.first_response.remaining_seconds == (policy.first_response - elapsed) // dt.timedelta(seconds=1)


@settings(deadline=None)
@given(ticket_logs(), policies, st.data())
def test_pausing_never_shortens_a_deadline(log, policy, data):
    # given any ticket / when it waits on the customer from p1 to p2 / then neither deadline comes earlier
    events, now = log
    created = events[0].at
    minutes = st.integers(0, (now - created) // dt.timedelta(minutes=1) + 24 * 60)  # mostly before now
    p1 = created + dt.timedelta(minutes=data.draw(minutes))
    p2 = p1 + dt.timedelta(minutes=data.draw(st.one_of(st.integers(1, 8 * 60), st.integers(1, 5 * 24 * 60))))
    kept = [e for e in events if e.kind != STATUS or not p1 < e.at < p2]
    paused = [*kept, status(p1, "waiting_customer"), status(p2, status_at(events, p2))]
    before, after = compute(policy, CALENDAR, events, now), compute(policy, CALENDAR, paused, now)
    assert latest(after.first_response.due_at) >= latest(before.first_response.due_at)
    assert latest(after.resolution.due_at) >= latest(before.resolution.due_at)


@settings(deadline=None)
@given(ticket_logs(), policies, st.randoms(use_true_random=False))
def test_the_order_of_the_log_does_not_matter(log, policy, random):
    events, now = log
    shuffled = events[:]
    random.shuffle(shuffled)
    assert compute(policy, CALENDAR, shuffled, now) == compute(policy, CALENDAR, events, now)


@settings(deadline=None)
@given(ticket_logs(), policies)
def test_the_flags_agree_with_the_stored_instants(log, policy):
    # what lets the ticket feature list breached and breaching-soon tickets from due_at and warn_at alone
    events, now = log
    for target in (compute(policy, CALENDAR, events, now).first_response,
                   compute(policy, CALENDAR, events, now).resolution):
        assert target.is_breached == (target.due_at is not None and (target.met_at or now) > target.due_at)
        assert target.is_breaching_soon == (None not in (target.warn_at, target.due_at)
                                            and target.warn_at < now <= target.due_at)
