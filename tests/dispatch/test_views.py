"""Dispatch pages over HTTP: the nurse's request, the helpdesk's queue and visit page, planning a day with the
solver, publishing, the route sheet PDF decoded back, technicians and depot locations."""

from __future__ import annotations

import datetime as dt
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from dispatch.models import Visit, VisitStatus
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import local_date, utcnow
from servicecenter.organisations.models import OrganisationKind
from tests.dispatch.helpers import DispatchWorld, next_weekday


@pytest.fixture
def app(database_url):
    from tests.conftest import make_test_app

    app = make_test_app(database_url, JOB_RUNNER="inline", PLAN_SECONDS=1.0,
                        PUBLIC_BASE_URL="https://service.example.dk")
    yield app
    app.extensions["database"].engine.dispose()


@pytest.fixture
def world(session, factory):
    return DispatchWorld(session, factory)


def login(client, user):
    client.post("/logout")
    assert client.login(user.username).status_code == 302
    client.post("/language", data={"lang": "en"})
    return user


def test_a_nurse_requests_a_setup_and_sees_its_status(client, session, factory, world):
    municipality = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    nurse = login(client, factory.user(Role.NURSE, organisation=municipality))
    citizen = world.citizen_near(1, responsible_organisation_id=municipality.id)  # her municipality's: hers to see
    page = client.get(f"/dispatch/request/{citizen.id}")
    assert page.status_code == 200
    soon = next_weekday()
    form = {"programme_id": world.copd.id, "earliest_on": (soon + dt.timedelta(days=3)).isoformat(),
            "latest_on": soon.isoformat(),
            "time_of_day": "morning", "urgency": "normal", "notes": "Datter er med"}
    refused = client.post(f"/dispatch/request/{citizen.id}", data=form)
    assert refused.status_code == 400 and "before the earliest" in refused.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Course).where(Course.citizen_id == citizen.id)) == 0
    form["latest_on"] = (soon + dt.timedelta(days=18)).isoformat()
    assert client.post(f"/dispatch/request/{citizen.id}", data=form).status_code == 302
    session.rollback()
    course = session.scalar(select(Course).where(Course.citizen_id == citizen.id))
    visit = session.scalar(select(Visit).where(Visit.course_id == course.id))
    assert (course.status, course.referred_by_user_id, visit.status) == (CourseStatus.REFERRED, nurse.id,
                                                                         VisitStatus.REQUESTED)
    mine = client.get("/dispatch/requests").get_data(as_text=True)
    assert citizen.full_name in mine and "requested" in mine
    odense = factory.organisation(OrganisationKind.MUNICIPALITY, "461")
    login(client, factory.user(Role.NURSE, organisation=odense))
    assert client.get(f"/dispatch/request/{citizen.id}").status_code == 404
    assert citizen.full_name not in client.get("/dispatch/requests").get_data(as_text=True)
    assert client.get("/dispatch/").status_code == 403  # the queue is the helpdesk's


def test_helpdesk_allocates_books_plans_publishes_and_prints_the_route_sheet(client, session, world):
    tech, _user = world.make_technician()
    kit, members = world.kit()
    login(client, world.helpdesk)
    visit = world.setup_request(world.citizen_near(2))
    assert visit.citizen.full_name in client.get("/dispatch/").get_data(as_text=True)
    assert client.post(f"/dispatch/visits/{visit.id}/allocate", data={"allocate-depot_id": world.depot.id}
                       ).status_code == 302
    day = next_weekday()
    yesterday = local_date(utcnow()) - dt.timedelta(days=1)
    bad = client.post(f"/dispatch/visits/{visit.id}/book", data={"book-day": yesterday.isoformat(),
                                                                  "book-time_of_day": "any"})
    assert bad.status_code == 400 and "past" in bad.get_data(as_text=True)
    assert client.post(f"/dispatch/visits/{visit.id}/book", data={"book-day": day.isoformat(),
                                                                   "book-time_of_day": "morning"}).status_code == 302
    assert client.post("/dispatch/plan/optimise", data={"day": day.isoformat()}).status_code == 302
    page = client.get(f"/dispatch/plan?day={day.isoformat()}").get_data(as_text=True)
    assert f'data-visit="{visit.id}"' in page and "<svg" in page and "<polyline" in page
    run_id = re.search(r"/dispatch/plan/runs/(\d+)/publish", page).group(1)
    # a forged Host header on publish (the login cookie sent along): the citizen's link keeps the public base URL
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    client.set_cookie(cookie.key, cookie.value, domain="evil.example")
    assert client.post(f"/dispatch/plan/runs/{run_id}/publish",
                       headers={"X-CSRFToken": client.csrf_token()},
                       environ_overrides={"HTTP_HOST": "evil.example"}).status_code == 302
    session.rollback()
    published = session.get(Visit, visit.id)
    assert published.technician_id == tech.id and published.published_at is not None
    assert "https://service.example.dk/dispatch/c/" in published.confirmation_text
    assert "evil.example" not in published.confirmation_text
    assert 8 * 60 <= published.window_start < published.window_end <= 12 * 60
    pdf = client.get(f"/dispatch/plan/{day.isoformat()}/sheet/{tech.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    document = pdfium.PdfDocument(pdf.data)
    found = {r.text for p in document for r in zxingcpp.read_barcodes(p.render(scale=300 / 72).to_pil())}
    assert {d.tag for d in members} <= found
    text = "".join(p.get_textpage().get_text_range() for p in document)
    assert visit.citizen.full_name in text
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "visit.route_sheet_print", AuditEvent.citizen_id == visit.citizen_id)) == 1
    assert kit


def test_technicians_and_depot_locations_are_kept_by_coordinators(client, session, world, factory):
    login(client, world.helpdesk)
    assert client.get("/dispatch/technicians").status_code == 403
    login(client, world.coordinator)
    user = factory.user(Role.TECHNICIAN)
    form = {"user_id": user.id, "depot_id": world.depot.id, "van_id": world.van.id, "skills": ["spirometry"],
            "shift-0-start": "08:00", "shift-0-end": "7:00"}
    refused = client.post("/dispatch/technicians/new", data=form)
    assert refused.status_code == 400 and "starts before it ends" in refused.get_data(as_text=True)
    form["shift-0-end"] = "15:30"
    assert client.post("/dispatch/technicians/new", data=form).status_code == 302
    assert "Mon 08:00–15:30" in client.get("/dispatch/technicians").get_data(as_text=True)
    bad = client.post(f"/dispatch/depots/{world.depot.id}/location", data={"latitude": "north", "longitude": "1"},
                      follow_redirects=True)
    assert "decimal degrees" in bad.get_data(as_text=True)


def test_a_failed_optimisation_shows_its_message_on_the_planning_page(client, session, world, monkeypatch):
    from dispatch.service import planning

    # given a solver that breaks
    def broken(*_args, **_kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(planning, "plan_day", broken)
    login(client, world.helpdesk)
    day = next_weekday()
    # when the planner optimises the day, then the page says it failed and why, and nothing is left running
    assert client.post("/dispatch/plan/optimise", data={"day": day.isoformat()}).status_code == 302
    page = client.get(f"/dispatch/plan?day={day.isoformat()}").get_data(as_text=True)
    assert "The optimisation failed" in page and "solver exploded" in page and "every 1s" not in page


def test_the_planning_page_ends_a_run_whose_worker_died(client, session, world):
    from dispatch.models import PlanRun, PlanStatus
    from dispatch.service import planning
    from servicecenter import queue
    from servicecenter.db import unit_of_work

    # given a run whose worker took it and then died (its lease ran out a minute ago)
    day = next_weekday()
    with unit_of_work(session):
        run = planning.start_run(session, day, actor=world.helpdesk, now=utcnow())
    with unit_of_work(session):
        queue.claim(session, worker="gone", now=utcnow(), lease=dt.timedelta(minutes=-1))
    login(client, world.helpdesk)
    # when the planner opens the day, then it is shown failed with the reason, and no longer polls
    page = client.get(f"/dispatch/plan?day={day.isoformat()}").get_data(as_text=True)
    assert "the process running it ended" in page and "every 1s" not in page
    session.rollback()
    assert session.get(PlanRun, run.id).status == PlanStatus.FAILED


def test_the_plan_page_logs_the_citizens_it_names_and_its_statements_do_not_grow_with_the_day(client, session,
                                                                                                world, app):
    """Rendered first, then logged (issue 17): logged first, the unit of work expired every visit and the page
    reloaded them one by one."""
    from sqlalchemy import event

    world.make_technician()
    login(client, world.helpdesk)
    day = next_weekday()

    def book(n: int) -> list[int]:
        booked = []
        for k in range(n):
            visit = world.setup_request(world.citizen_near(len(booked) + k + 3))
            client.post(f"/dispatch/visits/{visit.id}/allocate", data={"allocate-depot_id": world.depot.id})
            assert client.post(f"/dispatch/visits/{visit.id}/book", data={
                "book-day": day.isoformat(), "book-time_of_day": "any"}).status_code == 302
            booked.append(visit.citizen_id)
        return booked

    statements: list[str] = []
    event.listen(app.extensions["database"].engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def statements_for_the_plan() -> int:
        client.get(f"/dispatch/plan?day={day.isoformat()}")  # warm: the login session's last_seen
        statements.clear()
        assert client.get(f"/dispatch/plan?day={day.isoformat()}").status_code == 200
        return len(statements)

    citizens = book(2)
    few = statements_for_the_plan()
    citizens += book(6)
    assert statements_for_the_plan() == few
    session.rollback()
    logged = set(session.scalars(select(AuditEvent.citizen_id).where(AuditEvent.action == "citizen.list_plan")))
    assert logged == set(citizens)
