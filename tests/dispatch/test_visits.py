"""Dispatch services on both databases: the visit status machine, the nurse's request, kit allocation, booking,
failure reasons that act, the pickup of an ended course, double-booking, planning a day and publishing it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from dispatch.models import FailureReason, PlanStatus, Visit, VisitKind, VisitStatus
from dispatch.planning.travel import HaversineProvider
from dispatch.service import allocation, planning, visits
from dispatch.service.technicians import on_duty
from inventory.models import Device, DeviceStatus, Movement
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, CourseStatus, EndReason, PauseReason
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.errors import Conflict, DomainError, InvalidTransition, PermissionDenied
from servicecenter.statuses import transition
from tests.dispatch.helpers import DispatchWorld, next_weekday

V = VisitStatus
ALLOWED = {(V.REQUESTED, V.SCHEDULED), (V.REQUESTED, V.CANCELLED), (V.SCHEDULED, V.IN_PROGRESS),
           (V.SCHEDULED, V.REQUESTED), (V.SCHEDULED, V.FAILED), (V.SCHEDULED, V.CANCELLED),
           (V.IN_PROGRESS, V.DONE), (V.IN_PROGRESS, V.FAILED), (V.FAILED, V.REQUEUED), (V.FAILED, V.CANCELLED),
           (V.REQUEUED, V.SCHEDULED), (V.REQUEUED, V.CANCELLED)}


class _Null:
    def add(self, _obj):
        pass

    def flush(self):
        pass


def test_the_visit_transition_table_in_full():
    for current, target in itertools.product(VisitStatus, VisitStatus):
        subject = type("Subject", (), {"id": 1, "status": current})
        if (current, target) in ALLOWED:
            transition(_Null(), subject, target, table=visits.VISIT_STATUS, actor=None, now=utcnow())
            assert subject.status == target
        else:
            with pytest.raises(InvalidTransition):
                transition(_Null(), subject, target, table=visits.VISIT_STATUS, actor=None, now=utcnow())


@pytest.fixture
def world(session, factory):
    return DispatchWorld(session, factory)


def test_a_request_refers_the_citizen_and_queues_the_setup(world, session):
    visit = world.setup_request()
    session.rollback()
    course = session.get(Course, visit.course_id)
    assert (course.status, visit.status, visit.kind) == (CourseStatus.REFERRED, V.REQUESTED, VisitKind.SETUP)
    assert visit.skills == ["programme:COPD"]


@pytest.mark.parametrize("earliest,latest,field", [(-1, 3, "earliest_on"), (5, 2, "latest_on"), (0, 120, "latest_on")])
def test_a_request_with_impossible_dates_is_refused_and_nothing_is_made(world, session, earliest, latest, field):
    today = local_date(utcnow())
    with pytest.raises(DomainError) as refused:
        world.setup_request(earliest=today + dt.timedelta(days=earliest), latest=today + dt.timedelta(days=latest))
    assert refused.value.field == field
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Course)) == 0


def test_allocating_reserves_a_complete_ready_kit_and_the_course_is_allocated(world, session):
    kit, members = world.kit()
    visit = world.setup_request()
    with unit_of_work(session):
        allocation.allocate_kit(session, session.get(Visit, visit.id), depot_id=world.depot.id,
                                actor=world.helpdesk, now=utcnow())
    session.rollback()
    assert {session.get(Device, d.id).status for d in members} == {DeviceStatus.RESERVED}
    assert session.scalar(select(func.count()).select_from(Movement).where(Movement.visit_id == visit.id)) == 3
    assert session.get(Course, visit.course_id).status == CourseStatus.ALLOCATED
    assert f"depot:{world.depot.id}" in session.get(Visit, visit.id).skills
    other = world.setup_request(world.citizen_near(2))
    with pytest.raises(DomainError, match="No complete, ready kit"), unit_of_work(session):
        allocation.allocate_kit(session, session.get(Visit, other.id), depot_id=world.depot.id,
                                actor=world.helpdesk, now=utcnow())
    with unit_of_work(session):  # cancelling gives the kit back to the shelf (the service does it, not the page)
        visits.cancel(session, session.get(Visit, visit.id), actor=world.helpdesk, now=utcnow())
    session.rollback()
    assert {(session.get(Device, d.id).status, session.get(Device, d.id).reserved_for_id) for d in members} == {
        (DeviceStatus.READY, None)}
    assert session.get(Course, visit.course_id).status == CourseStatus.REFERRED
    assert kit


def test_booking_outside_the_requested_period_or_in_the_past_is_refused(world, session):
    visit = world.setup_request()
    today = local_date(utcnow())
    for day, field in [(today - dt.timedelta(days=1), "day"), (today + dt.timedelta(days=30), "day")]:
        with pytest.raises(DomainError) as refused, unit_of_work(session):
            visits.book(session, session.get(Visit, visit.id), day=day, window=None, actor=world.helpdesk,
                        now=utcnow(), today=today)
        assert refused.value.field == field
    session.rollback()
    assert session.get(Visit, visit.id).status == V.REQUESTED


def _book(world, session, visit, day):
    with unit_of_work(session):
        visits.book(session, session.get(Visit, visit.id), day=day, window=None, actor=world.helpdesk, now=utcnow(),
                    today=local_date(utcnow()))


def _reserve_kits(world, session, booked):
    """A ready kit reserved for each setup (a setup with nothing reserved is not published)."""
    for visit in booked:
        world.kit()
        with unit_of_work(session):
            allocation.allocate_kit(session, session.get(Visit, visit.id), depot_id=world.depot.id,
                                    actor=world.helpdesk, now=utcnow())


def _confirm(visit):
    return f"visit {visit.id}", [[visit.scheduled_on.isoformat(), 480, 600]]


def _plan_and_publish(world, session, app, day, seconds=1.0):
    run = _plan(session, app, world, day, seconds=seconds)
    assert run.status == PlanStatus.DONE, run.error
    with unit_of_work(session):
        planning.publish(session, planning.get_run(session, run.id), actor=world.helpdesk, now=utcnow(),
                         confirmation=_confirm)
    session.rollback()
    return planning.get_run(session, run.id)


def test_planning_a_day_publishes_routes_and_reports_what_cannot_be_planned(world, session, app):
    tech, _user = world.make_technician()
    day = next_weekday()
    good = [world.setup_request(world.citizen_near(n)) for n in range(3)]
    nowhere = world.setup_request(world.citizen_near(9, coordinates=False))
    _reserve_kits(world, session, good)
    for visit in [*good, nowhere]:
        _book(world, session, visit, day)
    run = _plan_and_publish(world, session, app, day)
    assert {u["visit_id"]: u["reason"] for u in run.result["unplanned"]} == {nowhere.id: "no_location"}
    planned = [session.get(Visit, v.id) for v in good]
    assert {v.technician_id for v in planned} == {tech.id}
    assert sorted(v.route_order for v in planned) == [1, 2, 3]
    for v in planned:
        assert v.window_start <= v.planned_start <= v.window_end and v.confirmation_text == f"visit {v.id}"
    assert session.get(Visit, nowhere.id).technician_id is None


def _plan(session, app, world, day, seconds=0.5):
    with unit_of_work(session):
        run = planning.start_run(session, day, actor=world.helpdesk, now=utcnow())
    planning.run_plan(app.extensions["database"].factory, run.id, provider=HaversineProvider(), seconds=seconds,
                      now=utcnow)
    session.rollback()
    return planning.get_run(session, run.id)


def _order(run) -> dict[str, list[str]]:
    return {str(r["technician_id"]): [str(s["visit_id"]) for s in r["stops"]] for r in run.result["routes"]}


def test_optimising_again_starts_from_the_last_plan_then_from_the_published_routes(world, session, app, monkeypatch):
    # given a day with three visits and no plan yet: nothing to start from
    world.make_technician()
    day = next_weekday()
    booked = [world.setup_request(world.citizen_near(n)) for n in range(3)]
    _reserve_kits(world, session, booked)
    for visit in booked:
        _book(world, session, visit, day)
    assert planning.last_routes(session, day) == {}
    # when a plan is made (not published), optimising again starts from it and is no longer
    first = _plan(session, app, world, day)
    assert planning.last_routes(session, day) == _order(first)
    starts = []
    solve = planning.plan_day
    monkeypatch.setattr(planning, "plan_day", lambda *a, **kw: starts.append(kw["initial"]) or solve(*a, **kw))
    second = _plan(session, app, world, day)
    assert starts == [_order(first)] and second.status == PlanStatus.DONE
    assert second.result["distance_m"] <= first.result["distance_m"]
    # and once a plan is published, the published routes are where it starts
    with unit_of_work(session):
        planning.publish(session, second, actor=world.helpdesk, now=utcnow(), confirmation=_confirm)
    session.rollback()
    _plan(session, app, world, day)
    assert starts[-1] == _order(second) == planning.last_routes(session, day)


def test_a_visit_needing_a_skill_nobody_on_duty_has_is_reported(world, session, app):
    world.make_technician(competent=False)  # not trained on COPD: cannot take a COPD setup
    day = next_weekday()
    visit = world.setup_request()
    _reserve_kits(world, session, [visit])
    _book(world, session, visit, day)
    run = _plan_and_publish(world, session, app, day)
    assert run.result["unplanned"] == [{"visit_id": visit.id, "reason": "no_skill"}]


def test_publishing_a_stale_plan_is_refused(world, session, app):
    world.make_technician()
    day = next_weekday()
    visit = world.setup_request()
    _book(world, session, visit, day)
    with unit_of_work(session):
        run = planning.start_run(session, day, actor=world.helpdesk, now=utcnow())
    planning.run_plan(app.extensions["database"].factory, run.id, provider=HaversineProvider(), seconds=0.5,
                      now=utcnow)
    with unit_of_work(session):  # rebooked to another day after the plan was made
        visits.book(session, session.get(Visit, visit.id), day=next_weekday(day), window=None, actor=world.helpdesk,
                    now=utcnow(), today=local_date(utcnow()))
    with pytest.raises(Conflict), unit_of_work(session):
        planning.publish(session, planning.get_run(session, run.id), actor=world.helpdesk, now=utcnow(),
                         confirmation=lambda v: ("", []))


def test_a_technician_cannot_be_double_booked_or_booked_off_duty(world, session):
    tech, _user = world.make_technician()
    day = next_weekday()
    first, second = world.setup_request(world.citizen_near(1)), world.setup_request(world.citizen_near(2))
    _reserve_kits(world, session, [first])
    for v in (first, second):
        _book(world, session, v, day)
    with pytest.raises(DomainError, match="Nothing is reserved"), unit_of_work(session):
        planning.assign(session, session.get(Visit, second.id), technician_id=tech.id, start=10 * 60,
                        actor=world.helpdesk, now=utcnow(), confirmation=_confirm)
    _reserve_kits(world, session, [second])
    with unit_of_work(session):
        planning.assign(session, session.get(Visit, first.id), technician_id=tech.id, start=9 * 60,
                        actor=world.helpdesk, now=utcnow(), confirmation=_confirm)
    with pytest.raises(Conflict, match="already booked"), unit_of_work(session):
        planning.assign(session, session.get(Visit, second.id), technician_id=tech.id, start=9 * 60 + 30,
                        actor=world.helpdesk, now=utcnow(), confirmation=_confirm)
    with pytest.raises(DomainError, match="outside"), unit_of_work(session):
        planning.assign(session, session.get(Visit, second.id), technician_id=tech.id, start=15 * 60 + 30,
                        actor=world.helpdesk, now=utcnow(), confirmation=_confirm)
    with unit_of_work(session):  # right after the first one is fine
        planning.assign(session, session.get(Visit, second.id), technician_id=tech.id, start=10 * 60,
                        actor=world.helpdesk, now=utcnow(), confirmation=_confirm)
    session.rollback()
    assert session.get(Visit, second.id).planned_start == 600


def test_an_absent_technician_is_not_on_duty(world, session):
    from dispatch.service.technicians import add_absence

    tech, _user = world.make_technician()
    day = next_weekday()
    assert tech.id in {d.technician.id for d in on_duty(session, day)}
    with unit_of_work(session):
        add_absence(session, tech, first_day=day, last_day=day, reason="Kursus", actor=world.coordinator,
                    now=utcnow())
    assert tech.id not in {d.technician.id for d in on_duty(session, day)}


def _published_setup(world, session, app):
    tech, user = world.make_technician(shift=(0, 24 * 60))  # on duty whenever the test runs
    day = local_date(utcnow())
    kit, members = world.kit()
    visit = world.setup_request()
    with unit_of_work(session):
        allocation.allocate_kit(session, session.get(Visit, visit.id), depot_id=world.depot.id,
                                actor=world.helpdesk, now=utcnow())
        visits.book(session, session.get(Visit, visit.id), day=day, window=(0, 24 * 60), actor=world.helpdesk,
                    now=utcnow(), today=day)
        planning.assign(session, session.get(Visit, visit.id), technician_id=tech.id, start=0, actor=world.helpdesk,
                        now=utcnow(), confirmation=_confirm)
    return visit, user, kit, members


def test_a_setup_is_done_only_with_its_kit_in_the_home_and_then_the_course_is_active(world, session, app):
    from inventory import service as inventory

    visit, user, kit, members = _published_setup(world, session, app)
    with pytest.raises(Conflict, match="Scan every device"), unit_of_work(session):
        visits.complete(session, session.get(Visit, visit.id), actor=user, now=utcnow())
    with pytest.raises(PermissionDenied), unit_of_work(session):  # not the assigned technician
        v = session.get(Visit, visit.id)
        visits.start(session, v, actor=world.helpdesk, now=utcnow())
    with unit_of_work(session):
        v = session.get(Visit, visit.id)
        home = inventory.course_holder(session, v.course)
        inventory.scan(session, "handover", kit.tag, inventory.Context(actor=user, now=utcnow(), holder=home,
                                                                       visit_id=v.id))
        visits.complete(session, v, actor=user, now=utcnow())
    session.rollback()
    assert session.get(Visit, visit.id).status == V.DONE
    assert session.get(Course, visit.course_id).status == CourseStatus.ACTIVE
    assert {session.get(Device, d.id).holder_id for d in members} == {home.id}


def test_hospitalised_pauses_the_course_until_the_day_to_call_again(world, session, app):
    visit, user, _kit, _members = _published_setup(world, session, app)
    call_on = local_date(utcnow()) + dt.timedelta(days=9)
    with pytest.raises(DomainError) as refused, unit_of_work(session):
        visits.fail(session, session.get(Visit, visit.id), reason=FailureReason.HOSPITALISED, note="", actor=user,
                    now=utcnow())
    assert refused.value.field == "call_again_on"
    with unit_of_work(session):
        outcome = visits.fail(session, session.get(Visit, visit.id), reason=FailureReason.HOSPITALISED,
                              note="Indlagt på AUH", call_again_on=call_on, actor=user, now=utcnow())
    session.rollback()
    failed, course = session.get(Visit, visit.id), session.get(Course, visit.course_id)
    assert outcome.paused_course and (course.status, course.pause_reason, course.call_again_on) == (
        CourseStatus.PAUSED, PauseReason.HOSPITALISED, call_on)
    assert (failed.status, failed.failure_reason, failed.technician_id) == (V.REQUEUED, FailureReason.HOSPITALISED,
                                                                            None)
    assert failed.earliest_on == call_on and failed.kit_id is not None  # nothing to book before the call
    with pytest.raises(DomainError, match="paused"), unit_of_work(session):
        visits.book(session, session.get(Visit, visit.id), day=call_on, window=None, actor=world.helpdesk,
                    now=utcnow(), today=local_date(utcnow()))
    with unit_of_work(session):  # the same failure sent twice changes nothing more
        again = visits.fail(session, session.get(Visit, visit.id), reason=FailureReason.HOSPITALISED, note="",
                            actor=user, now=utcnow(), as_technician=False)
    assert not again.paused_course


def test_no_mobile_coverage_proposes_exclusion(world, session, app):
    visit, user, _kit, _members = _published_setup(world, session, app)
    with unit_of_work(session):
        outcome = visits.fail(session, session.get(Visit, visit.id), reason=FailureReason.NO_COVERAGE, note="",
                              actor=user, now=utcnow())
    assert outcome.propose_exclusion and not outcome.paused_course


def test_an_ended_course_with_devices_at_home_gets_one_pickup_and_is_ending(world, session):
    home, members = world.set_up_home(world.citizen_near(3))
    with unit_of_work(session):
        courses.end_course(session, session.get(Course, home.course_id), reason=EndReason.COMPLETED,
                           exclusion_reason=None, actor=world.helpdesk, now=utcnow())
    with pytest.raises(DomainError, match="ended"), unit_of_work(session):
        courses.end_course(session, session.get(Course, home.course_id), reason=EndReason.COMPLETED,
                           exclusion_reason=None, actor=world.helpdesk, now=utcnow())
    session.rollback()
    pickups = session.scalars(select(Visit).where(Visit.course_id == home.course_id,
                                                  Visit.kind == VisitKind.PICKUP)).all()
    assert [(p.status, p.relative_present) for p in pickups] == [(V.REQUESTED, False)]
    assert session.get(Course, home.course_id).status == CourseStatus.ENDING
    assert {session.get(Device, d.id).status for d in members} == {DeviceStatus.AT_CITIZEN}  # nothing moves yet


def test_a_technicians_week_can_be_changed(world, session):
    from dispatch.service.technicians import get_technician, save_technician

    tech, user = world.make_technician()
    with unit_of_work(session):
        save_technician(session, get_technician(session, tech.id), user_id=user.id, depot_id=world.depot.id,
                        van_id=None, skills=[], shifts=[(0, 7 * 60, 15 * 60), (2, 9 * 60, 17 * 60)],
                        actor=world.coordinator, now=utcnow())
    session.rollback()
    assert [(s.weekday, s.start_minute) for s in get_technician(session, tech.id).shifts] == [(0, 420), (2, 540)]


def test_a_locked_stop_stays_with_its_technician_when_the_day_is_optimised_again(world, session, app):
    first, _u1 = world.make_technician()
    second, _u2 = world.make_technician()
    day = next_weekday()
    booked = [world.setup_request(world.citizen_near(n)) for n in range(3)]
    _reserve_kits(world, session, booked)
    for visit in booked:
        _book(world, session, visit, day)
    for technician in (first, second):  # whoever the solver preferred, the lock wins
        with unit_of_work(session):
            planning.lock(session, session.get(Visit, booked[0].id), technician_id=technician.id, day=day,
                          actor=world.helpdesk, now=utcnow())
        _plan_and_publish(world, session, app, day, seconds=0.5)
        assert session.get(Visit, booked[0].id).technician_id == technician.id
    with pytest.raises(DomainError), unit_of_work(session):  # not on duty that day: refused
        planning.lock(session, session.get(Visit, booked[1].id), technician_id=999_999, day=day,
                      actor=world.helpdesk, now=utcnow())


def test_the_citizen_timeline_shows_the_visits(world, session, app):
    from dispatch.history import visit_entries
    from servicecenter.timeline import citizen_timeline

    visit = world.setup_request()
    _book(world, session, visit, next_weekday())
    with unit_of_work(session):
        visits.cancel(session, session.get(Visit, visit.id), actor=world.helpdesk, now=utcnow(), note="dobbelt")
    entries = citizen_timeline(session, visit.citizen_id, [visit_entries], limit=10).entries
    assert [e.params["status"] for e in entries] == ["cancelled", "scheduled", "requested"]
    assert {e.category for e in entries} == {"visit"}


def test_ending_a_course_on_its_page_creates_the_pickup(world, session, client):
    home = world.home(world.citizen_near(4))
    tablet = world.device()
    world.scan("load", tablet.tag, world.van)
    world.scan("handover", tablet.tag, home, actor=world.technician)
    assert client.login(world.helpdesk.username).status_code == 302
    assert client.post(f"/courses/{home.course_id}/end", data={"reason": "completed"}).status_code == 302
    session.rollback()
    setup, pickup = session.scalars(select(Visit).where(Visit.course_id == home.course_id).order_by(Visit.id))
    assert (pickup.kind, pickup.status) == (VisitKind.PICKUP, V.REQUESTED)
    assert (setup.kind, setup.status) == (VisitKind.SETUP, V.CANCELLED)  # nothing else happens in an ended course


def test_ending_a_course_from_the_visit_queue_makes_the_pickup_too(world, session, client):
    """Excluding for no coverage ends the course from dispatch's page: the same rule runs (it lives in the
    service), so the pickup is made and the other visits are cancelled."""
    home, _members = world.set_up_home(world.citizen_near(5))
    with unit_of_work(session):
        swap = visits.create_visit(session, session.get(Course, home.course_id), VisitKind.SERVICE,
                                   visits.VisitRequest(earliest_on=local_date(utcnow()),
                                                       latest_on=local_date(utcnow())),
                                   actor=world.helpdesk, now=utcnow(), today=local_date(utcnow()))
        swap.failure_reason = FailureReason.NO_COVERAGE
    assert client.login(world.helpdesk.username).status_code == 302
    assert client.post(f"/dispatch/visits/{swap.id}/exclude").status_code == 302
    session.rollback()
    course = session.get(Course, home.course_id)
    assert (course.status, course.end_reason) == (CourseStatus.ENDING, EndReason.EXCLUDED)
    kinds = {v.kind: v.status for v in session.scalars(select(Visit).where(Visit.course_id == course.id))}
    assert kinds[VisitKind.PICKUP] == V.REQUESTED and kinds[VisitKind.SERVICE] == V.CANCELLED
