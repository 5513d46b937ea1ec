"""Each indicator against the hand-made data set (tests/coordination/dataset.py), whose answers are worked out there
by hand; the stored cells against a full recomputation; a month with no data; a back-dated ticket."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from coordination.service import figures as F
from coordination.service.indicators import Month
from servicecenter.db import unit_of_work
from servicecenter.months import month_bounds
from support.models import SupportGroup
from tests.coordination.dataset import MARCH, NOW, Builder, at, build


@pytest.fixture
def world(session):
    return build(session)


def _march(session, flt=None):
    with unit_of_work(session):
        F.refresh(session, MARCH, now=NOW)
    return F.figures(session, MARCH, MARCH, flt or F.Filter())[0]


def test_courses_inclusion_and_lead_time(session, world):
    march = _march(session)
    assert march.referred == 3
    assert (march.included, march.excluded) == (3, 1)
    assert march.inclusion_rate == pytest.approx(0.75)
    assert march.ended_by_reason == {"completed": 1, "excluded": 1}
    assert (march.lead_days_median, march.lead_days_p90) == (13, 25)
    assert march.first_setup_rate == pytest.approx(2 / 3)
    assert march.active == 3 and march.active_citizens == 3


def test_tickets_resolution_and_sla(session, world):
    march = _march(session)
    assert march.tickets == 4  # the merged one counts in the ticket it went into
    assert march.tickets_per_100 == pytest.approx(400 / 3)
    assert (march.resolution_hours_median, march.resolution_hours_p90) == (5, 48)
    assert march.sla_rate("P1") == 0 and march.sla_rate("P2") == 1 and march.sla_rate("P3") == 0
    assert march.sla_counted("P4") == 0 and march.sla_rate("P4") is None


def test_overdue_pickups_and_utilisation(session, world):
    march = _march(session)
    assert march.overdue_pickups == 1
    start, end = month_bounds(MARCH)
    month_seconds = (end - start).total_seconds()  # 743 hours: summer time begins on 29 March
    at_citizen = month_seconds + (end - world.d2_home_at).total_seconds()
    assert march.utilisation == pytest.approx(at_citizen / (2 * month_seconds), abs=1e-4)


def test_by_programme_municipality_and_cluster(session, world):
    kol = _march(session, F.Filter(programme_ids=(world.kol.id,)))
    assert (kol.included, kol.excluded, kol.referred) == (2, 1, 3)
    assert kol.active_citizens == 2  # with a programme filter: the active courses of that programme
    x = F.figures(session, MARCH, MARCH, F.Filter(municipality_ids=(world.a.id, world.b.id)))[0]
    assert (x.included, x.excluded) == (3, 1)  # c2 was set up while she still lived in A
    y = F.figures(session, MARCH, MARCH, F.Filter(municipality_ids=(world.c.id,)))[0]
    assert y.inclusion_rate is None and y.included == 0
    assert y.active == 1  # c2 moved to C on 20 March: at the month's end she is counted there
    assert y.tickets == 1  # her ticket of 25 March, opened when she lived in C
    a = F.figures(session, MARCH, MARCH, F.Filter(municipality_ids=(world.a.id,)))[0]
    assert a.active == 1  # c1 only: c2 moved away
    assert y.overdue_pickups == 1  # d1, in c4's home in C


def test_a_month_with_no_data_has_zeros_and_no_rates(session, world):
    with unit_of_work(session):
        F.refresh(session, dt.date(2025, 12, 1), now=NOW)
    december = F.figures(session, dt.date(2025, 12, 1), dt.date(2025, 12, 1))[0]
    assert december.referred == december.included == december.tickets == 0
    assert december.inclusion_rate is None and december.lead_days_median is None
    assert december.tickets_per_100 is None and december.utilisation is None
    months = F.figures(session, dt.date(2025, 12, 1), MARCH)  # months never computed are there, empty
    assert [f.month for f in months] == [dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1), MARCH]
    assert months[1].included == 0  # January was never refreshed: nothing stored, nothing invented


def test_february_counts_the_referral_where_she_lived_then(session, world):
    with unit_of_work(session):
        F.refresh(session, dt.date(2026, 2, 1), now=NOW)
    a = F.figures(session, dt.date(2026, 2, 1), dt.date(2026, 2, 1), F.Filter(municipality_ids=(world.a.id,)))[0]
    assert a.referred == 1  # c2, referred on 25 February while she lived in A


def test_the_current_month_counts_only_up_to_now(session, world):
    """Asked on 26 March, the month so far: c5's setup on 28 March has not happened; t3's deadline (20 March) has."""
    with unit_of_work(session):
        F.refresh(session, MARCH, now=at(3, 26))
    march = F.figures(session, MARCH, MARCH)[0]
    assert march.included == 2 and march.sla_counted("P3") == 1


def test_stored_cells_agree_with_a_full_recomputation_and_a_back_dated_event_is_found(session, world):
    with unit_of_work(session):
        for first in (dt.date(2026, 1, 1), dt.date(2026, 2, 1), MARCH):
            F.refresh(session, first, now=NOW)
    for first in (dt.date(2026, 1, 1), dt.date(2026, 2, 1), MARCH):
        assert F.disagreements(session, first, at=NOW) == []
    group = session.scalar(select(SupportGroup).where(SupportGroup.name == "Dataset group"))
    with unit_of_work(session):  # a call logged today about 14 March
        Builder(session).ticket(group, citizen=world.citizens["c5"], opened=at(3, 14), recorded=NOW)
    problems = F.disagreements(session, MARCH, at=NOW)
    assert problems and all("tickets" in p for p in problems)
    with unit_of_work(session):
        F.refresh(session, MARCH, now=NOW)
    assert F.disagreements(session, MARCH, at=NOW) == []
    assert F.figures(session, MARCH, MARCH)[0].tickets == 5


def test_percentile_is_the_nearest_rank():
    assert F.percentile({}, 0.5) is None
    assert F.percentile({7: 1, 13: 1, 25: 1}, 0.5) == 13
    assert F.percentile({1: 9, 100: 1}, 0.9) == 1 and F.percentile({1: 9, 100: 1}, 0.91) == 100
    assert F.percentile({2: 2}, 0.5) == 2


def test_month_until_is_clamped_to_now():
    m = Month.of(MARCH, now=at(3, 10))
    assert m.until == at(3, 10) and m.end > m.until
    assert Month.of(MARCH, now=NOW).until == m.end


def test_the_jobs_keep_the_last_thirteen_months_fresh(app, session, world):
    from coordination.jobs import JOBS
    from servicecenter.jobs import run_slot, slot_for

    jobs = {job.name: job for job in JOBS}
    factory = app.extensions["database"].factory
    hourly = at(4, 2, 9, 30)
    assert run_slot(factory, jobs["indicators_recent"], slot_for(jobs["indicators_recent"], hourly), app.config) \
        .startswith("2 months")
    assert run_slot(factory, jobs["indicators_year"], slot_for(jobs["indicators_year"], hourly), app.config) \
        .startswith("11 months")
    session.rollback()
    assert F.computed_at(session, dt.date(2026, 4, 1)) == at(4, 2, 9)  # the hourly slot: this month as of 09:00
    assert F.computed_at(session, MARCH) == at(4, 2, 9)  # last month: the hourly job too, not the nightly one
    assert F.computed_at(session, dt.date(2025, 4, 1)) is not None  # the oldest of the thirteen
    assert F.computed_at(session, dt.date(2025, 3, 1)) is None
    assert F.figures(session, MARCH, MARCH)[0].included == 3
