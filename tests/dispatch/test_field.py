"""The technician's phone view over HTTP: her own stops only, the stop page, scanning a kit into the home and
devices into the van, the setup's stage guard at completion, failing with a reason, and forms sent twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from dispatch.models import PlanStatus, Technician, Visit, VisitEvent, VisitKind, VisitStatus
from dispatch.service import allocation, planning, technicians, visits
from inventory import service as inventory
from inventory.models import Device, DeviceStatus, Movement, MovementKind
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.courses.models import CourseStatus, EndReason
from servicecenter.courses.service import end_course, get_course
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.training import service as training
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingResult
from tests.inventory.helpers import World


def login(client, user):
    client.post("/logout")
    assert client.login(user.username).status_code == 302
    client.post("/language", data={"lang": "en"})  # the assertions read the English texts
    return user


class Day:
    """Today's dispatch world, made through the services: technicians with a van and a shift today, setup visits
    with a ready kit reserved and booked today, and plans published by hand (the solver is tested elsewhere)."""

    def __init__(self, session, factory):
        self.s = session
        self.factory = factory
        self.world = World(session, factory)
        self.helpdesk = factory.user(Role.HELPDESK)
        self.coordinator = factory.user(Role.COORDINATOR)
        self.today = local_date(utcnow())
        self.anna = self.technician(self.world.technician, self.world.van)

    def technician(self, user, van, *, every_day: bool = False) -> Technician:
        days = range(7) if every_day else [self.today.weekday()]
        with unit_of_work(self.s):
            return technicians.save_technician(
                self.s, None, user_id=user.id, depot_id=self.world.depot.id, van_id=van.id, skills=[],
                shifts=[(d, 0, 24 * 60) for d in days], actor=self.coordinator, now=utcnow())

    def competent(self, user) -> None:
        """Trained on the COPD programme (what the planner, and the room a day has, count on)."""
        with unit_of_work(self.s):
            training.record_training(self.s, training.TrainingData(
                trainee_kind=TraineeKind.STAFF, trainer_id=self.coordinator.id,
                held_at=utcnow() - dt.timedelta(days=3), method=TrainingMethod.GROUP, result=TrainingResult.PASSED,
                staff_user_id=user.id, programme_id=self.world.copd.id,
                answers=[training.ChecklistAnswer(i, True) for i in self.world.copd.checklist]),
                actor=self.coordinator, now=utcnow())

    def citizen(self, **extra):
        return self.factory.citizen(latitude=56.1572, longitude=10.2107, mobile="+45 20 30 40 50",
                                    access_notes="Nøgleboks ved døren, kode 4711", **extra)

    def request(self) -> visits.VisitRequest:
        return visits.VisitRequest(earliest_on=self.today, latest_on=self.today + dt.timedelta(days=7))

    def setup_visit(self, citizen=None) -> tuple[Visit, list[Device]]:
        """A setup visit with a complete kit reserved for it, booked today (not yet planned)."""
        citizen = citizen or self.citizen()
        _kit, members = self.world.kit()
        with unit_of_work(self.s):
            visit = visits.request_setup(self.s, citizen_id=citizen.id, programme_id=self.world.copd.id,
                                         request=self.request(), actor=self.helpdesk, now=utcnow(), today=self.today)
            allocation.allocate_kit(self.s, visit, depot_id=self.world.depot.id, actor=self.helpdesk, now=utcnow())
            self._book(visit)
        return visit, members

    def other_visit(self, course_id: int, kind: VisitKind) -> Visit:
        with unit_of_work(self.s):
            visit = visits.create_visit(self.s, get_course(self.s, course_id), kind, self.request(),
                                        actor=self.helpdesk, now=utcnow(), today=self.today)
            self._book(visit)
        return visit

    def _book(self, visit: Visit) -> None:
        visits.book(self.s, visit, day=self.today, window=None, actor=self.helpdesk, now=utcnow(), today=self.today)

    def publish(self, routes: dict[Technician, list[Visit]], *, slots: int = 3) -> None:
        """Publish a plan of these routes (stops in order, an hour apart from 09:00) as the planner would."""
        with unit_of_work(self.s):
            run = planning.start_run(self.s, self.today, actor=self.helpdesk, now=utcnow())
            # What run_plan stores when the solver finishes; the solver itself is not under test here.
            run.status, run.progress = PlanStatus.DONE, 1.0
            run.result = {"unplanned": [], "distance_m": 0, "seconds": 0.0, "routes": [
                {"technician_id": t.id, "distance_m": 0, "driving_minutes": 0, "leaves_at": 480, "returns_at": 960,
                 "stops": [{"visit_id": v.id, "arrival": 540 + 60 * n, "start": 540 + 60 * n, "end": 585 + 60 * n}
                           for n, v in enumerate(stops)]} for t, stops in routes.items()]}
            run_id = run.id
        with unit_of_work(self.s):
            planning.publish(self.s, planning.get_run(self.s, run_id), actor=self.helpdesk, now=utcnow(),
                             confirmation=lambda v: ("Besøg", self.slots(v, slots)))

    def slots(self, visit: Visit, count: int) -> list:
        return [[(self.today + dt.timedelta(days=n)).isoformat(), visit.window_start, visit.window_end]
                for n in range(count)]

    def end_with_pickup(self, course_id: int, reason: EndReason = EndReason.COMPLETED) -> Visit:
        """The course ended (its pickup visit made by the end itself), the pickup booked today and published to
        Anna."""
        with unit_of_work(self.s):
            end_course(self.s, get_course(self.s, course_id), reason=reason, exclusion_reason=None,
                       actor=self.helpdesk, now=utcnow())
        pickup = self.s.scalar(select(Visit).where(Visit.course_id == course_id, Visit.kind == VisitKind.PICKUP))
        with unit_of_work(self.s):
            self._book(self.s.get(Visit, pickup.id))
        self.publish({self.anna: [pickup]})
        return pickup

    def complete_setup(self, visit: Visit, members: list[Device]) -> None:
        """The technician's work at the door, through the services (for tests about what comes after)."""
        with unit_of_work(self.s):
            visit = self.s.get(Visit, visit.id)
            home = inventory.course_holder(self.s, visit.course)
            for d in members:
                inventory.scan(self.s, "handover", d.tag, inventory.Context(
                    actor=self.world.technician, now=utcnow(), holder=home, visit_id=visit.id))
            visits.complete(self.s, visit, actor=self.world.technician, now=utcnow())


@pytest.fixture
def day(session, factory):
    return Day(session, factory)


def fresh(session, model, ident):
    session.rollback()
    return session.get(model, ident)


def events(session, visit_id: int, to_status: str) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(VisitEvent).where(
        VisitEvent.visit_id == visit_id, VisitEvent.to_status == to_status))


def scan(client, visit, code, mode="deliver", *, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/dispatch/my-day/visits/{visit.id}/scan", data={"mode": mode, "code": code}, headers=headers)


# --- the day and the stop -----------------------------------------------------------------------------------


def test_the_technician_sees_only_her_own_stops_in_route_order(client, session, factory, day):
    # Given: two stops published to Anna (the later one listed first in the plan's order) and one to Bob
    bob_user = factory.user(Role.TECHNICIAN)
    bob = day.technician(bob_user, day.world.van2)
    first, _ = day.setup_visit(day.citizen(first_name="Agnes"))
    second, _ = day.setup_visit(day.citizen(first_name="Birthe"))
    bobs, _ = day.setup_visit(day.citizen(first_name="Carl"))
    day.publish({day.anna: [first, second], bob: [bobs]})
    # When: Anna opens her day
    login(client, day.world.technician)
    page = client.get("/dispatch/my-day").get_data(as_text=True)
    # Then: her two stops in route order with ETA and promised window; not Bob's
    assert page.index(fresh(session, Visit, first.id).citizen.full_name) < page.index(second.citizen.full_name)
    assert bobs.citizen.full_name not in page
    assert "09:00" in page and "10:00" in page and "Promised 08:00–10:00" in page
    assert f'href="/dispatch/my-day/visits/{first.id}"' in page
    listed = set(session.scalars(select(AuditEvent.citizen_id).where(
        AuditEvent.action == "citizen.list_route", AuditEvent.actor_id == day.world.technician.id)))
    assert listed == {first.citizen_id, second.citizen_id}


def test_without_a_technician_profile_or_stops_the_day_says_so(client, factory, day):
    login(client, factory.user(Role.TECHNICIAN))
    assert 'id="no-profile"' in client.get("/dispatch/my-day").get_data(as_text=True)
    login(client, day.world.technician)
    assert 'id="no-stops"' in client.get("/dispatch/my-day").get_data(as_text=True)


def test_the_stop_page_shows_the_way_in_the_task_and_the_kit(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    response = client.get(f"/dispatch/my-day/visits/{visit.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    citizen = fresh(session, Visit, visit.id).citizen
    assert citizen.full_name in page and citizen.address in page
    assert 'href="tel:+4520304050"' in page
    assert 'href="geo:56.157200,10.210700?q=56.157200,10.210700"' in page
    assert 'href="https://www.openstreetmap.org/directions?to=56.157200,10.210700"' in page
    assert "kode 4711" in page and "setup" in page
    assert all(d.tag in page for d in members)
    assert "Tager en måling" in page  # the programme's training checklist
    assert 'id="code"' in page and "autofocus" in page
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "visit.field_view", AuditEvent.citizen_id == visit.citizen_id)) == 1


def test_another_technician_gets_404_on_a_stop_that_is_not_on_her_route(client, session, factory, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    bob_user = factory.user(Role.TECHNICIAN)
    day.technician(bob_user, day.world.van2)
    login(client, bob_user)
    assert client.get(f"/dispatch/my-day/visits/{visit.id}").status_code == 404
    assert scan(client, visit, members[0].tag).status_code == 404
    assert client.post(f"/dispatch/my-day/visits/{visit.id}/start").status_code == 404
    assert client.post(f"/dispatch/my-day/visits/{visit.id}/fail", data={"reason": "not_home"}).status_code == 404
    assert fresh(session, Visit, visit.id).status == VisitStatus.SCHEDULED
    assert fresh(session, Device, members[0].id).status == DeviceStatus.RESERVED


def test_the_helpdesk_cannot_use_the_phone_view(client, day):
    login(client, day.helpdesk)
    assert client.get("/dispatch/my-day").status_code == 403


# --- at the door ---------------------------------------------------------------------------------------------


def test_scanning_the_kit_delivered_makes_the_course_home_the_holder(client, session, day):
    # Given: a published setup with its kit reserved at the depot
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    # When: each device is scanned as delivered (the page's script posts each code on its own)
    answers = [scan(client, visit, d.tag, htmx=True).get_data(as_text=True) for d in members]
    # Then: each got a green answer, and the ledger says the devices are in the citizen's home for this visit
    assert all('data-scan-result="ok"' in a for a in answers)
    session.rollback()
    home = inventory.course_holder(session, fresh(session, Visit, visit.id).course)
    for d in members:
        device = session.get(Device, d.id)
        assert (device.holder_id, device.status) == (home.id, DeviceStatus.AT_CITIZEN)
        last = session.scalar(select(Movement).where(Movement.device_id == d.id).order_by(Movement.id.desc()))
        assert (last.visit_id, last.to_holder_id) == (visit.id, home.id)
    # And: the same tag again changes nothing and says so
    again = scan(client, visit, members[0].tag, htmx=True).get_data(as_text=True)
    assert 'data-scan-result="ok"' in again and "already done" in again
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.visit_id == visit.id, Movement.kind == MovementKind.HANDOVER)) == 3


def test_a_bad_code_gets_a_red_answer_and_without_script_the_page_shows_it(client, day):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    assert 'data-scan-result="error"' in scan(client, visit, "D0000000", htmx=True).get_data(as_text=True)
    response = scan(client, visit, "hello")
    assert response.status_code == 302
    assert "alert-danger" in client.get(response.location).get_data(as_text=True)


def test_completing_a_setup_before_the_whole_kit_is_in_the_home_is_refused(client, session, day):
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    for d in members[:2]:
        scan(client, visit, d.tag)
    response = client.post(f"/dispatch/my-day/visits/{visit.id}/complete", follow_redirects=True)
    assert response.status_code == 200
    assert f"Scan every device of the kit into the home first: {members[2].tag}." in response.get_data(as_text=True)
    assert fresh(session, Visit, visit.id).status == VisitStatus.IN_PROGRESS  # the first scan at the door started it
    # When the last one is in, the visit completes and the course is active; pressing again is harmless
    scan(client, visit, members[2].tag)
    for _ in range(2):
        response = client.post(f"/dispatch/my-day/visits/{visit.id}/complete")
        assert response.status_code == 302 and response.location.endswith("/dispatch/my-day")
    done = fresh(session, Visit, visit.id)
    assert done.status == VisitStatus.DONE and done.course.status == CourseStatus.ACTIVE
    assert events(session, visit.id, "done") == 1
    assert "The visit is done." in client.get("/dispatch/my-day").get_data(as_text=True)


def test_start_twice_starts_once(client, session, day):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    for _ in range(2):
        assert client.post(f"/dispatch/my-day/visits/{visit.id}/start").status_code == 302
    assert fresh(session, Visit, visit.id).status == VisitStatus.IN_PROGRESS
    assert events(session, visit.id, "in_progress") == 1


def test_collected_devices_go_from_the_home_into_the_van(client, session, day):
    setup, members = day.setup_visit()
    day.publish({day.anna: [setup]})
    day.complete_setup(setup, members)
    pickup = day.end_with_pickup(setup.course_id)  # ending the course makes the pickup visit
    login(client, day.world.technician)
    page = client.get(f"/dispatch/my-day/visits/{pickup.id}").get_data(as_text=True)
    assert 'id="collect"' in page and members[0].tag in page and 'id="mode-collect" value="collect" checked' in page
    assert 'data-scan-result="ok"' in scan(client, pickup, members[0].tag, "collect", htmx=True).get_data(
        as_text=True)
    device = fresh(session, Device, members[0].id)
    assert (device.holder_id, device.status) == (day.world.van.id, DeviceStatus.RETURNED)


def test_failing_hospitalised_pauses_the_active_course_and_requeues_the_visit(client, session, day):
    # Given: an active course (its setup done) and a service visit published to Anna
    setup, members = day.setup_visit()
    day.publish({day.anna: [setup]})
    day.complete_setup(setup, members)
    service = day.other_visit(setup.course_id, VisitKind.SERVICE)
    day.publish({day.anna: [service]})
    login(client, day.world.technician)
    # When: she fails it as hospitalised, and the form is sent twice
    call_on = (day.today + dt.timedelta(days=6)).isoformat()
    refused = client.post(f"/dispatch/my-day/visits/{service.id}/fail",
                          data={"reason": "hospitalised", "note": "Indlagt på AUH"})
    assert refused.status_code == 302 and fresh(session, Visit, service.id).status == VisitStatus.SCHEDULED
    for _ in range(2):
        response = client.post(f"/dispatch/my-day/visits/{service.id}/fail",
                               data={"reason": "hospitalised", "note": "Indlagt på AUH", "call_again_on": call_on})
        assert response.status_code == 302 and response.location.endswith("/dispatch/my-day")
    # Then: the visit is back in the queue with its reason, the course is paused, and all of it happened once
    visit = fresh(session, Visit, service.id)
    assert (visit.status, visit.failure_reason, visit.failure_note) == (VisitStatus.REQUEUED, "hospitalised",
                                                                       "Indlagt på AUH")
    assert visit.technician_id is None and visit.course.status == CourseStatus.PAUSED
    assert visit.course.call_again_on.isoformat() == call_on and visit.earliest_on.isoformat() == call_on
    assert events(session, service.id, "failed") == 1
    page = client.get("/dispatch/my-day").get_data(as_text=True)
    assert "The visit went back to the queue (hospitalised)." in page and "course is paused" in page


def test_failing_without_a_reason_is_refused_at_the_field(client, session, day):
    visit, _members = day.setup_visit()
    day.publish({day.anna: [visit]})
    login(client, day.world.technician)
    response = client.post(f"/dispatch/my-day/visits/{visit.id}/fail", data={"reason": "", "note": "?"})
    assert response.status_code == 400
    assert 'id="reason-err"' in response.get_data(as_text=True)
    assert fresh(session, Visit, visit.id).status == VisitStatus.SCHEDULED


@pytest.mark.parametrize("action, data, status", [("complete", {}, "done"),
                                                  ("fail", {"reason": "not_home"}, "failed")])
def test_the_same_form_sent_twice_at_the_same_moment_acts_once(app, session, day, action, data, status):
    # Given: a setup whose kit is in the home, open on two phones (or a double tap that became two requests)
    visit, members = day.setup_visit()
    day.publish({day.anna: [visit]})
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        login(c, day.world.technician)
    for d in members if action == "complete" else []:  # a visit that could not be done leaves nothing behind
        scan(clients[0], visit, d.tag)
    barrier = threading.Barrier(2)
    responses = []

    def press(c):
        barrier.wait()
        responses.append(c.post(f"/dispatch/my-day/visits/{visit.id}/{action}", data=data))

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Then: both get the page they expect (no error page) and the visit changed once
    assert [r.status_code for r in responses] == [302, 302]
    assert all(r.location.endswith("/dispatch/my-day") for r in responses)
    assert events(session, visit.id, status) == 1
