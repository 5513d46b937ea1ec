"""The planning page opened from the menu (no day given): today while it has visits still to do, else the next day
with booked visits; each technician with published stops that day has a route sheet on it (issue 13)."""

from __future__ import annotations

import pytest

from dispatch.service import allocation, planning, visits
from servicecenter.db import local_date, unit_of_work, utcnow
from tests.dispatch.helpers import DispatchWorld, next_weekday


@pytest.fixture
def world(session, factory):
    return DispatchWorld(session, factory)


def _book(world, day):
    visit = world.setup_request(world.citizen_near(day.toordinal() % 7))
    with unit_of_work(world.s):
        visits.book(world.s, visit, day=day, window=None, actor=world.helpdesk, now=utcnow(),
                    today=local_date(utcnow()))
    return visit


def test_the_plan_opens_on_the_next_day_with_something_to_do(world):
    s, today = world.s, local_date(utcnow())
    first, second = next_weekday(), next_weekday(next_weekday())
    assert planning.next_plan_day(s, today) == today  # nothing booked ahead: today
    later = _book(world, second)
    assert planning.next_plan_day(s, today) == second
    sooner = _book(world, first)
    assert planning.next_plan_day(s, today) == first
    assert planning.next_plan_day(s, first) == first  # that day itself, while it has visits to do
    with unit_of_work(s):
        visits.cancel(s, sooner, actor=world.helpdesk, now=utcnow())
    assert planning.next_plan_day(s, today) == second  # nothing left to do on the first day
    with unit_of_work(s):
        visits.cancel(s, later, actor=world.helpdesk, now=utcnow())
    assert planning.next_plan_day(s, today) == today


def test_the_menu_s_plan_page_shows_that_day_with_its_route_sheets(client, world):
    tech, _user = world.make_technician()
    world.kit()
    day = next_weekday()
    visit = world.setup_request(world.citizen_near(1))
    with unit_of_work(world.s):
        allocation.allocate_kit(world.s, visit, depot_id=world.depot.id, actor=world.helpdesk, now=utcnow())
        visits.book(world.s, visit, day=day, window=None, actor=world.helpdesk, now=utcnow(),
                    today=local_date(utcnow()))
        planning.assign(world.s, visit, technician_id=tech.id, start=visit.window_start, actor=world.coordinator,
                        now=utcnow(), confirmation=lambda _v: (None, None))
    assert client.login(world.coordinator.username).status_code == 302
    page = client.get("/dispatch/plan").get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in page and 'id="next-plan-day"' in page
    assert f'href="/dispatch/plan/{day.isoformat()}/sheet/{tech.id}.pdf"' in page
    other = client.get(f"/dispatch/plan?day={local_date(utcnow()).isoformat()}").get_data(as_text=True)
    assert 'id="route-sheets"' not in other and 'id="next-plan-day"' not in other  # a day chosen: that day
