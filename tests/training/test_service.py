"""Training records: checklist, devices from the ledger, follow-ups due and overdue, the competence matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from inventory.models import DeviceCategory
from inventory.timeline import models_in_home
from servicecenter.auth.models import Role
from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import ContactKind
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, EndReason, Programme
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.errors import DomainError
from servicecenter.jobs import JOBS
from servicecenter.training import service
from servicecenter.training.models import StaffCompetence, TraineeKind, TrainingMethod, TrainingResult
from tests.inventory.helpers import World

COPD_ITEMS = ["Tager en måling", "Oplader udstyret", "Ved hvordan man får hjælp", "Kan aflæse egne resultater"]


def answers(*failed: str, items=COPD_ITEMS):
    return [service.ChecklistAnswer(item, item not in failed, "øver igen" if item in failed else "")
            for item in items]


def data(course, trainer, *, kind=TraineeKind.CITIZEN, held_at=None, result=TrainingResult.PASSED, failed=(),
         **extra):
    return service.TrainingData(trainee_kind=kind, trainer_id=trainer.id, held_at=held_at or utcnow(),
                                method=TrainingMethod.HOME_VISIT, result=result, answers=answers(*failed),
                                course_id=course.id if course else None, **extra)


@pytest.fixture
def setting(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen()
    copd = session.scalar(select(Programme).where(Programme.code == "COPD"))
    with unit_of_work(session):  # referred a month ago, so every training a test records comes after it
        course = courses.open_course(session, citizen_id=citizen.id, programme_id=copd.id, actor=helpdesk,
                                     now=utcnow() - dt.timedelta(days=30))
        relative = citizens.add_contact(session, session.get(type(citizen), citizen.id), citizens.ContactData(
            kind=ContactKind.RELATIVE, name="Jens Datter", relation="datter", phone="12345678", may_contact=True),
            actor=helpdesk, now=utcnow())
    return {"helpdesk": helpdesk, "citizen": citizen, "course": course, "relative": relative, "copd": copd}


def record(session, training_data, actor, now=None):
    with unit_of_work(session):
        return service.record_training(session, training_data, actor=actor, now=now or utcnow())


def test_a_training_of_the_citizen_and_a_relative_sets_the_follow_up_due(session, setting):
    helpdesk, course = setting["helpdesk"], setting["course"]
    # Yesterday 23:30 UTC: already today in Copenhagen (00:30 or, in summer, 01:30).
    held = (utcnow() - dt.timedelta(days=1)).replace(hour=23, minute=30, second=0, microsecond=0)
    mine = record(session, data(course, helpdesk, held_at=held), helpdesk)
    theirs = record(session, data(course, helpdesk, kind=TraineeKind.RELATIVE, contact_id=setting["relative"].id,
                                  held_at=held, result=TrainingResult.PARTLY, failed=("Oplader udstyret",)), helpdesk)
    assert mine.follow_up_due_on == held.date() + dt.timedelta(days=1 + 14)
    assert (theirs.trainee_name, theirs.citizen_id) == ("Jens Datter", setting["citizen"].id)
    assert [a["passed"] for a in theirs.checklist] == [True, False, True, True]
    assert theirs.checklist[1]["note"] == "øver igen"


@pytest.mark.parametrize("change,field", [
    ({"answers": answers(items=COPD_ITEMS[:3])}, "answers"),  # an item left out
    ({"answers": answers(items=[*COPD_ITEMS, "Danser"])}, "answers"),  # an item the programme does not have
    ({"failed": ("Oplader udstyret",)}, "result"),  # passed with an item not passed
    ({"held_at": lambda: utcnow() + dt.timedelta(hours=2)}, "held_at"),  # in the future when the test runs
    ({"kind": TraineeKind.RELATIVE, "contact_id": 999_999}, "contact_id"),  # not this citizen's relative
])
def test_a_training_that_does_not_add_up_is_refused(session, setting, change, field):
    helpdesk, course = setting["helpdesk"], setting["course"]
    change = {k: v() if callable(v) else v for k, v in change.items()}  # shared by both databases
    given_answers = change.pop("answers", None)
    training = data(course, helpdesk, **change)
    if given_answers is not None:
        training.answers = given_answers
    with pytest.raises(DomainError) as refused, unit_of_work(session):
        service.record_training(session, training, actor=helpdesk, now=utcnow())
    assert refused.value.field == field
    assert service.list_course_trainings(session, course.id) == []


def test_devices_trained_on_are_what_the_ledger_says_was_in_the_home(session, factory):
    world = World(session, factory)
    home = world.home()
    before = utcnow()
    oximeter = world.device(DeviceCategory.PULSE_OXIMETER)
    world.scan("load", oximeter.tag, world.van)
    world.scan("handover", oximeter.tag, home, actor=world.technician)
    assert models_in_home(session, home.course_id, utcnow()) == [{"id": oximeter.model_id, "name": "Pulse_Oximeter"}]
    assert models_in_home(session, home.course_id, before) == []


def test_follow_ups_due_and_overdue_and_the_daily_job(session, setting):
    helpdesk, course = setting["helpdesk"], setting["course"]
    old = record(session, data(course, helpdesk, held_at=utcnow() - dt.timedelta(days=20)), helpdesk)
    fresh = record(session, data(course, helpdesk), helpdesk)
    today = local_date(utcnow())
    assert [r.id for r in service.overdue_follow_ups(session, today=today)] == [old.id]
    rows, _more = service.follow_ups_due(session, due_by=today + dt.timedelta(days=30), page=1, per_page=10)
    assert [r.id for r, _c in rows] == [old.id, fresh.id]
    assert JOBS["overdue_follow_ups"].run(session, utcnow(), {}) == "1 overdue"
    with unit_of_work(session):
        service.record_follow_up(session, service.get_record(session, old.id), held_at=utcnow(), note="Går fint",
                                 actor=helpdesk, now=utcnow())
    assert service.overdue_follow_ups(session, today=today) == []
    with pytest.raises(DomainError, match="already"), unit_of_work(session):
        service.record_follow_up(session, service.get_record(session, old.id), held_at=utcnow(), note="",
                                 actor=helpdesk, now=utcnow())
    with unit_of_work(session):  # an ended course has no follow-up to hold
        courses.end_course(session, session.get(Course, course.id), reason=EndReason.DECLINED,
                           exclusion_reason=None, actor=helpdesk, now=utcnow())
    rows, _more = service.follow_ups_due(session, due_by=today + dt.timedelta(days=30), page=1, per_page=10)
    assert rows == []


def test_a_training_cannot_be_recorded_on_an_ended_course(session, setting):
    helpdesk, course = setting["helpdesk"], setting["course"]
    with unit_of_work(session):
        courses.end_course(session, session.get(Course, course.id), reason=EndReason.COMPLETED,
                           exclusion_reason=None, actor=helpdesk, now=utcnow())
    with pytest.raises(DomainError, match="ended"), unit_of_work(session):
        service.record_training(session, data(course, helpdesk), actor=helpdesk, now=utcnow())


def test_a_passed_staff_training_makes_a_competence_that_expires(session, factory, setting):
    coordinator, copd = factory.user(Role.COORDINATOR), setting["copd"]
    technician, other = factory.user(Role.TECHNICIAN), factory.user(Role.TECHNICIAN)
    held = dt.datetime(2025, 1, 15, 10, tzinfo=dt.UTC)  # recorded that day: every date here is fixed, none is today

    def staff(user, when, result=TrainingResult.PASSED, failed=()):
        return record(session, data(None, coordinator, kind=TraineeKind.STAFF, staff_user_id=user.id,
                                    programme_id=copd.id, held_at=when, result=result, failed=failed), coordinator,
                      now=held + dt.timedelta(hours=1))

    staff(technician, held)
    staff(other, held, TrainingResult.NOT_PASSED, failed=("Oplader udstyret",))
    competence = session.scalar(select(StaffCompetence).where(StaffCompetence.user_id == technician.id))
    assert (competence.trained_on, competence.expires_on) == (dt.date(2025, 1, 15), dt.date(2027, 1, 15))
    assert service.competent_user_ids(session, copd.id, on=dt.date(2026, 6, 1)) >= {technician.id}
    assert other.id not in service.competent_user_ids(session, copd.id, on=dt.date(2026, 6, 1))
    assert technician.id not in service.competent_user_ids(session, copd.id, on=dt.date(2027, 1, 16))
    staff(technician, held - dt.timedelta(days=400))  # an older training recorded late changes nothing
    session.expire_all()
    assert session.get(StaffCompetence, competence.id).expires_on == dt.date(2027, 1, 15)

    programmes, rows, _more = service.competence_matrix(session, today=dt.date(2026, 12, 20), role=Role.TECHNICIAN,
                                                        page=1, per_page=100)
    cells = {user.id: dict(zip([p.id for p in programmes], row, strict=True)) for user, row in rows}
    assert cells[technician.id][copd.id].state == "expiring"  # within 30 days of 15 January 2027
    assert cells[other.id][copd.id].state == "none"
    _p, rows, _m = service.competence_matrix(session, today=dt.date(2027, 2, 1), role=None, page=1, per_page=100)
    assert {u.id: r for u, r in rows}[technician.id][[p.id for p in programmes].index(copd.id)].state == "expired"


def test_only_staff_can_be_trained_as_staff(session, factory, setting):
    coordinator = factory.user(Role.COORDINATOR)
    warehouse = factory.user(Role.WAREHOUSE)
    with pytest.raises(DomainError) as refused, unit_of_work(session):
        service.record_training(session, data(None, coordinator, kind=TraineeKind.STAFF, staff_user_id=warehouse.id,
                                               programme_id=setting["copd"].id), actor=coordinator, now=utcnow())
    assert refused.value.field == "staff_user_id"
