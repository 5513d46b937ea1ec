"""A dispatch world built through the services: the inventory world, a depot with a location, technicians on
duty on a given day with programme competence, citizens with coordinates, and requested setup visits."""

from __future__ import annotations

import datetime as dt

from dispatch.service import technicians, visits
from inventory import service as inventory
from servicecenter.auth.models import Role
from servicecenter.courses.service import open_course
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.training import service as training
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingResult
from tests.inventory.helpers import World

AARHUS = (56.1496, 10.1901)


def next_weekday(after: dt.date | None = None) -> dt.date:
    day = (after or local_date(utcnow())) + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class DispatchWorld(World):
    def __init__(self, session, factory):
        super().__init__(session, factory)
        self.helpdesk = factory.user(Role.HELPDESK)
        self.coordinator = factory.user(Role.COORDINATOR)
        with unit_of_work(session):
            inventory.set_location(session, inventory.get_holder(session, self.depot.id), latitude=AARHUS[0],
                                   longitude=AARHUS[1], actor=self.coordinator, now=utcnow())

    def make_technician(self, *, user=None, skills=(), competent=True, van=None, shift=(8 * 60, 16 * 60)):
        user = user or self.factory.user(Role.TECHNICIAN)
        with unit_of_work(self.s):
            tech = technicians.save_technician(self.s, None, user_id=user.id, depot_id=self.depot.id,
                                               van_id=(van or self.van).id, skills=list(skills),
                                               shifts=[(d, *shift) for d in range(7)], actor=self.coordinator,
                                               now=utcnow())
            if competent:
                training.record_training(self.s, training.TrainingData(
                    trainee_kind=TraineeKind.STAFF, trainer_id=self.coordinator.id,
                    held_at=utcnow() - dt.timedelta(days=10), method=TrainingMethod.GROUP,
                    result=TrainingResult.PASSED, staff_user_id=user.id, programme_id=self.copd.id,
                    answers=[training.ChecklistAnswer(i, True) for i in self.copd.checklist]),
                    actor=self.coordinator, now=utcnow())
        return tech, user

    def citizen_near(self, n: int = 0, *, coordinates=True, **extra):
        lat, lon = AARHUS
        values = {"latitude": lat + 0.01 * (n % 7) - 0.03, "longitude": lon + 0.015 * (n % 5) - 0.03} \
            if coordinates else {"latitude": None, "longitude": None}
        return self.factory.citizen(**values, **extra)

    def setup_request(self, citizen=None, *, earliest=None, latest=None, **request):
        citizen = citizen or self.citizen_near()
        today = local_date(utcnow())
        data = visits.VisitRequest(earliest_on=earliest or today, latest_on=latest or today + dt.timedelta(days=14),
                                   **request)
        with unit_of_work(self.s):
            return visits.request_setup(self.s, citizen_id=citizen.id, programme_id=self.copd.id, request=data,
                                        actor=self.helpdesk, now=utcnow(), today=today)

    def course_for(self, citizen):
        with unit_of_work(self.s):
            return open_course(self.s, citizen_id=citizen.id, programme_id=self.copd.id, actor=self.helpdesk,
                               now=utcnow())
