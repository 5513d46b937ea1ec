"""The citizen's journey as random sequences of what people do (reserve, book, deliver, a wrong delivery, complete,
fail, requeue, move, pause, resume, end, collect, swap, cancel), on both databases: after every step — done or
refused — the course's state agrees with the devices in its home and its visits (`flask courses verify`), and every
device with its ledger and its reservation (`flask inventory verify`)."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dispatch.models import FailureReason, Visit, VisitKind, VisitStatus
from dispatch.service import allocation, door, planning, visits
from inventory import service as inventory
from inventory.models import DeviceCategory, HolderKind
from servicecenter.auth.models import Role
from servicecenter.courses import journey
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, EndReason, PauseReason
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.errors import DomainError, InvalidTransition
from tests.dispatch.helpers import DispatchWorld

ACTIONS = ["reserve", "book", "deliver", "wrong_delivery", "complete", "fail", "move", "pause", "resume", "end",
           "collect", "swap", "cancel"]
V = VisitStatus
OPEN = (V.REQUESTED, V.REQUEUED, V.SCHEDULED, V.IN_PROGRESS)


class Journey:
    """One citizen's course on one technician's route, and a second citizen whose kit must never be delivered."""

    def __init__(self, world: DispatchWorld, rnd: random.Random):
        self.w, self.s, self.rnd = world, world.s, rnd
        self.today = local_date(utcnow())
        user = world.factory.user(Role.TECHNICIAN)
        with unit_of_work(self.s):
            van = inventory.create_holder(self.s, actor=world.warehouse, now=utcnow(), kind=HolderKind.VAN,
                                          name=f"Van of {user.username}")
        self.tech, _user = world.make_technician(user=user, van=van, shift=(0, 24 * 60))  # trained: days have room
        self.user, self.van, self.next_start = user, van, 0
        self.setup = world.setup_request(world.citizen_near(rnd.randrange(7)))
        self.course_id = self.setup.course_id
        self.other = world.setup_request(world.citizen_near(rnd.randrange(7)))  # another citizen's setup
        self.ready_kit()
        self.act_as(lambda: allocation.allocate_kit(self.s, self.visit(self.other.id), depot_id=world.depot.id,
                                                    actor=world.helpdesk, now=utcnow()))

    # --- reading ---------------------------------------------------------------------------------------------

    def visit(self, visit_id: int) -> Visit:
        return self.s.get(Visit, visit_id)

    def course(self) -> Course:
        return self.s.get(Course, self.course_id)

    def visits(self, *statuses) -> list[Visit]:
        return list(self.s.scalars(select(Visit).where(Visit.course_id == self.course_id,
                                                       Visit.status.in_(statuses or OPEN)).order_by(Visit.id)))

    def pick(self, *statuses) -> Visit | None:
        found = self.visits(*statuses)
        return self.rnd.choice(found) if found else None

    def problems(self) -> list[str]:
        self.s.rollback()
        course = self.course()
        facts = journey.facts_of(self.s, [course.id])[course.id]
        return journey.problems(course, facts) + [f"{d.tag}: {d.problem}" for d in inventory.verify_ledger(self.s)]

    # --- acting ----------------------------------------------------------------------------------------------

    def act_as(self, do) -> None:
        """One person's action in its own unit of work; a refusal changes nothing. A refusal of a *course* state
        change would mean the journey derived a move it does not allow: that is a failure."""
        try:
            with unit_of_work(self.s):
                do()
        except InvalidTransition as error:
            if str(error.params.get("current")) in {str(v) for v in journey.COURSE_STATUS.labels.values()}:
                raise
        except DomainError:
            pass

    def ready_kit(self) -> None:
        if not inventory.ready_kits(self.s, depot_id=self.w.depot.id, programme_id=self.w.copd.id):
            self.w.kit()

    def run(self, action: str) -> None:
        getattr(self, action)()

    def reserve(self) -> None:
        self.ready_kit()
        visit = self.pick(V.REQUESTED, V.REQUEUED, V.SCHEDULED)
        if visit is not None:
            self.act_as(lambda: allocation.allocate_kit(self.s, visit, depot_id=self.w.depot.id,
                                                        actor=self.w.helpdesk, now=utcnow()))

    def book(self) -> None:
        """Booked on a day of its period and put on the technician's route at the next free hour."""
        visit = self.pick(V.REQUESTED, V.REQUEUED)
        if visit is None:
            return
        day = max(visit.earliest_on, self.today)
        start, self.next_start = self.next_start, self.next_start + 61

        def do():
            visits.book(self.s, visit, day=day, window=(0, 24 * 60), actor=self.w.helpdesk, now=utcnow(),
                        today=self.today)
            if start + visit.service_minutes <= 24 * 60:
                planning.assign(self.s, visit, technician_id=self.tech.id, start=start, actor=self.w.helpdesk,
                                now=utcnow(), confirmation=lambda _v: ("", []))

        self.act_as(do)

    def deliver(self) -> None:
        visit = self.pick(V.SCHEDULED, V.IN_PROGRESS)
        if visit is None:
            return
        codes = [d.tag for d in allocation.reserved_devices(self.s, visit)]
        if visit.kit_id is not None and self.rnd.random() < 0.5:
            codes = [inventory.get_kit(self.s, visit.kit_id).tag]
        for code in codes[: self.rnd.randint(1, max(1, len(codes)))]:
            self.act_as(lambda code=code: door.scan_at_door(self.s, self.visit(visit.id), "deliver", code,
                                                            actor=self.user, now=utcnow()))

    def wrong_delivery(self) -> None:
        """A device reserved for the other citizen scanned at this door: always refused."""
        visit = self.pick(V.SCHEDULED, V.IN_PROGRESS)
        other = allocation.reserved_devices(self.s, self.visit(self.other.id))
        if visit is None or not other:
            return
        tag = self.rnd.choice(other).tag
        before = inventory.get_device(self.s, tag).holder_id
        self.act_as(lambda: door.scan_at_door(self.s, visit, "deliver", tag, actor=self.user, now=utcnow()))
        self.s.rollback()
        assert inventory.get_device(self.s, tag).holder_id == before

    def complete(self) -> None:
        visit = self.pick(V.SCHEDULED, V.IN_PROGRESS)
        if visit is not None:
            self.act_as(lambda: visits.complete(self.s, visit, actor=self.user, now=utcnow()))

    def fail(self) -> None:
        visit = self.pick(V.SCHEDULED, V.IN_PROGRESS)
        if visit is None:
            return
        reason = self.rnd.choice([FailureReason.NOT_HOME, FailureReason.HOSPITALISED, FailureReason.DECLINED])
        if visit.kind == VisitKind.SETUP and self.rnd.random() < 0.7:  # collect what was delivered first
            for device in inventory.devices_in_home(self.s, self.course_id):
                self.act_as(lambda tag=device.tag: door.scan_at_door(self.s, self.visit(visit.id), "collect", tag,
                                                                     actor=self.user, now=utcnow()))
        self.act_as(lambda: visits.fail(self.s, self.visit(visit.id), reason=reason, note="", actor=self.user,
                                        now=utcnow(), call_again_on=self.today + dt.timedelta(days=3)))

    def move(self) -> None:
        """The citizen moves the visit to another day with room, or the helpdesk rebooks it."""
        visit = self.pick(V.SCHEDULED)
        if visit is None:
            return
        slot = [(self.today + dt.timedelta(days=self.rnd.randint(1, 5))).isoformat(), 8 * 60, 12 * 60]
        self.act_as(lambda: planning.citizen_moved(self.s, visit, slot, now=utcnow(), today=self.today))

    def pause(self) -> None:
        self.act_as(lambda: courses.pause_course(self.s, self.course(), reason=PauseReason.AWAY, call_again_on=None,
                                                 actor=self.w.helpdesk, now=utcnow()))

    def resume(self) -> None:
        self.act_as(lambda: courses.resume_course(self.s, self.course(), actor=self.w.helpdesk, now=utcnow()))

    def end(self) -> None:
        self.act_as(lambda: courses.end_course(self.s, self.course(), reason=EndReason.COMPLETED,
                                               exclusion_reason=None, actor=self.w.helpdesk, now=utcnow()))

    def collect(self) -> None:
        visit = self.pick(V.SCHEDULED, V.IN_PROGRESS)
        home = inventory.devices_in_home(self.s, self.course_id)
        if visit is not None and home:
            tag = self.rnd.choice(home).tag
            self.act_as(lambda: door.scan_at_door(self.s, visit, "collect", tag, actor=self.user, now=utcnow()))

    def swap(self) -> None:
        home = [d for d in inventory.devices_in_home(self.s, self.course_id) if d.category == DeviceCategory.TABLET]
        if not home:
            return
        self.w.device(DeviceCategory.TABLET)  # a ready spare at the depot
        request = visits.VisitRequest(earliest_on=self.today, latest_on=self.today + dt.timedelta(days=5))
        self.act_as(lambda: visits.request_swap(self.s, device_id=home[0].id, request=request,
                                                actor=self.w.helpdesk, now=utcnow(), today=self.today))

    def cancel(self) -> None:
        visit = self.pick(V.REQUESTED, V.REQUEUED, V.SCHEDULED)
        if visit is not None:
            self.act_as(lambda: visits.cancel(self.s, visit, actor=self.w.helpdesk, now=utcnow(), note="test"))


def test_random_journeys_keep_the_course_and_the_devices_true(session, factory):
    world = DispatchWorld(session, factory)

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=14), st.integers(0, 2**32))
    def journey_of(actions, seed):
        run = Journey(world, random.Random(seed))
        assert run.problems() == [], "before"
        for n, action in enumerate(actions):
            run.run(action)
            assert run.problems() == [], f"after {actions[:n + 1]}"

    journey_of()


def test_a_scripted_journey_reaches_every_state_and_stays_true(session, factory):
    """The happy path the random walks build on: each state is reached, and verify agrees at each."""
    world = DispatchWorld(session, factory)
    run = Journey(world, random.Random(1))
    seen = [run.course().status]
    for action in ("reserve", "book", "deliver", "complete", "pause", "resume", "end"):
        if action == "deliver":  # every device of the kit, by its label
            visit = run.pick(V.SCHEDULED)
            kit = inventory.get_kit(session, visit.kit_id)
            run.act_as(lambda kit=kit, visit=visit: door.scan_at_door(session, visit, "deliver", kit.tag,
                                                                      actor=run.user, now=utcnow()))
        else:
            run.run(action)
        assert run.problems() == [], action
        seen.append(run.course().status.value)
    run.book()
    for device in inventory.devices_in_home(session, run.course_id):
        run.act_as(lambda tag=device.tag: door.scan_at_door(session, run.pick(V.SCHEDULED, V.IN_PROGRESS), "collect",
                                                            tag, actor=run.user, now=utcnow()))
    run.complete()
    assert run.problems() == []
    seen.append(run.course().status.value)
    assert seen == ["referred", "allocated", "setup_scheduled", "setup_scheduled", "active", "paused", "active",
                    "ending", "ended"]
