"""The citizen timeline: every source, newest first, filtered by category, paged by keyset without gaps."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.models import VisitKind
from dispatch.service import VisitRequest, create_visit
from inventory.models import Device, DeviceCategory, DeviceStatus, Holder, Movement, MovementKind
from inventory.service.ledger import move
from inventory.timeline import movement_entries
from servicecenter.auth.models import Role
from servicecenter.courses import service as courses
from servicecenter.courses.history import course_entries
from servicecenter.courses.models import Course, CourseEvent, PauseReason
from servicecenter.db import unit_of_work, utcnow
from servicecenter.organisations.models import OrganisationKind
from servicecenter.timeline import Cursor, citizen_timeline, older_than
from servicecenter.training import service as training
from servicecenter.training.history import training_entries
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingResult
from tests.inventory.helpers import World

SOURCES = [course_entries, training_entries, movement_entries]
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def history(session, factory):
    """A citizen's course: referral, allocation, a device handed over, a training and its follow-up, a handover of
    the lead, and several things at the same minute (the order must still be total and stable)."""
    world = World(session, factory)
    gp = factory.organisation(OrganisationKind.GP_CLINIC, "GP-T")
    municipality = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
    gp_nurse = factory.user(Role.NURSE, organisation=gp)
    municipal_nurse = factory.user(Role.NURSE, organisation=municipality)
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen()
    with unit_of_work(session):
        course = courses.open_course(session, citizen_id=citizen.id, programme_id=world.copd.id, actor=gp_nurse,
                                     now=at(0))
        setup = create_visit(session, course, VisitKind.SETUP, VisitRequest(earliest_on=T0.date(),
                                                                            latest_on=T0.date()),
                             actor=gp_nurse, now=at(0), today=T0.date())
    with unit_of_work(session):
        courses.pause_course(session, session.get(Course, course.id), reason=PauseReason.AWAY, call_again_on=None,
                             actor=helpdesk, now=at(10))
    device = world.device(DeviceCategory.TABLET, now=at(5))
    home_holder = None
    with unit_of_work(session):
        from inventory.service import course_holder
        home_holder = course_holder(session, session.get(Course, course.id))
    world.scan("load", device.tag, world.van, now=at(20))
    world.scan("handover", device.tag, home_holder, now=at(30), actor=world.technician, visit_id=setup.id)
    with unit_of_work(session):
        record = training.record_training(session, training.TrainingData(
            trainee_kind=TraineeKind.CITIZEN, trainer_id=helpdesk.id, held_at=at(30), method=TrainingMethod.PHONE,
            result=TrainingResult.PASSED, course_id=course.id,
            answers=[training.ChecklistAnswer(i, True) for i in world.copd.checklist]), actor=helpdesk, now=at(30))
    with unit_of_work(session):
        handover = courses.offer_lead(session, session.get(Course, course.id), to_organisation_id=municipality.id,
                                      actor=gp_nurse, now=at(30))
    with unit_of_work(session):
        courses.answer_handover(session, handover, accept=True, actor=municipal_nurse, now=at(40))
        training.record_follow_up(session, training.get_record(session, record.id), held_at=at(50), note="Fint",
                                  actor=helpdesk, now=at(50))
    return {"citizen": citizen, "course": course, "device": device}


def _messages(entries):
    return [(e.at, e.category, e.message) for e in entries]


def test_everything_that_happened_newest_first(session, history):
    page = citizen_timeline(session, history["citizen"].id, SOURCES, limit=100)
    kinds = [(e.category, e.params.get("tag") or e.params.get("to") or e.message.split()[0]) for e in page.entries]
    assert [e.at for e in page.entries] == sorted((e.at for e in page.entries), reverse=True)
    # At the same minute (training, device handed over, lead offered) the order is fixed by the source name.
    assert [c for c, _ in kinds] == ["training", "handover", "training", "equipment", "handover", "course",
                                     "course"]
    assert page.entries[-1].message.startswith("Referred to")
    assert page.entries[0].note == "Fint" and page.entries[0].actor
    assert page.next_cursor is None


def test_the_categories_filter(session, history):
    page = citizen_timeline(session, history["citizen"].id, SOURCES, limit=100, categories={"equipment"})
    assert {e.category for e in page.entries} == {"equipment"}
    assert [e.params["tag"] for e in page.entries] == [history["device"].tag]  # loading the van is not the home
    handovers = citizen_timeline(session, history["citizen"].id, SOURCES, limit=100, categories={"handover"})
    assert [e.message for e in handovers.entries] == ["%(programme)s: %(organisation)s accepted the lead",
                                                      "%(programme)s: the lead is offered to %(organisation)s"]


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_paging_by_keyset_has_no_gaps_and_no_repeats(session, history, limit):
    whole = citizen_timeline(session, history["citizen"].id, SOURCES, limit=100).entries
    pages, cursor = [], None
    while True:
        page = citizen_timeline(session, history["citizen"].id, SOURCES, before=cursor, limit=limit)
        pages.extend(page.entries)
        assert len(page.entries) <= limit
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor.encode())  # through the URL form and back
    assert [e.key for e in pages] == [e.key for e in whole]


def test_another_citizens_history_stays_out(session, factory, history):
    assert citizen_timeline(session, factory.citizen().id, SOURCES, limit=100).entries == []


@pytest.mark.parametrize("text", ["", "garbage", "20260101T000000.000000~x", "2026~course~1", "x~course~1",
                                  "20260101T000000.000000~no pe~1", "20260101T000000.000000~course~x"])
def test_a_malformed_cursor_starts_from_the_newest(text):
    assert Cursor.decode(text) is None


def test_each_source_reads_in_one_statement(session, history, app):
    from sqlalchemy import event

    statements, citizen_id = [], history["citizen"].id
    engine = session.get_bind()
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        citizen_timeline(session, citizen_id, SOURCES, limit=3)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # courses, trainings, follow-ups, movements
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4


def test_the_course_referral_event_names_the_referring_organisation(session, history):
    first = citizen_timeline(session, history["citizen"].id, SOURCES, limit=100).entries[-1]
    assert first.params["organisation"] == "gp_clinic GP-T"
    assert session.scalar(select(Course.lead_organisation_id).where(Course.id == history["course"].id))


def test_a_movement_between_two_homes_of_the_citizen_is_shown_once(session, factory):
    """Both of its ends are the citizen's: it is in the "into" and the "out of" range of the movements source."""
    world = World(session, factory)
    citizen = factory.citizen()
    first, second = world.home(citizen), world.home(citizen, programme_code="HF")  # one open course a programme
    device = world.device(DeviceCategory.TABLET)
    world.scan("load", device.tag, world.van)
    world.scan("handover", device.tag, first, actor=world.technician)
    with unit_of_work(session):
        move(session, session.get(Device, device.id), kind=MovementKind.HANDOVER,
             to_holder=session.get(Holder, second.id), to_status=DeviceStatus.AT_CITIZEN, actor=world.technician,
             now=utcnow())
    world.scan("collect", device.tag, world.van, actor=world.technician)
    moves = session.execute(select(Movement.id, Movement.from_holder_id, Movement.to_holder_id)
                            .where(Movement.device_id == device.id).order_by(Movement.id.desc())).all()
    # collected from the second home, moved from the first to the second, handed over into the first
    assert [(f, t) for _, f, t in moves[:3]] == [(second.id, world.van.id), (first.id, second.id),
                                                 (world.van.id, first.id)]
    expected = [m.id for m in moves[:3]]

    whole = citizen_timeline(session, citizen.id, SOURCES, limit=100, categories={"equipment"})
    assert [e.seq for e in whole.entries] == expected
    pages, cursor = [], None
    while True:
        page = citizen_timeline(session, citizen.id, SOURCES, before=cursor, limit=1, categories={"equipment"})
        pages += [e.seq for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == expected


@pytest.mark.parametrize("source", ["a_source_before", "course", "z_source_after"])
def test_older_than_keeps_what_sorts_after_the_cursor_for_a_statement_built_per_call(session, history, source):
    """The form with the cursor's values in the condition (a source that builds its statement per call uses it)."""
    events = session.execute(select(CourseEvent.at, CourseEvent.id)
                             .where(CourseEvent.citizen_id == history["citizen"].id)).all()
    for at, seq in events:
        cursor = Cursor(at, "course", seq)
        found = session.scalars(select(CourseEvent.id).where(
            CourseEvent.citizen_id == history["citizen"].id,
            older_than(CourseEvent.at, CourseEvent.id, source, cursor))).all()
        assert sorted(found) == sorted(i for a, i in events if (a, source, i) < (at, "course", seq))
    everything = select(CourseEvent.id).where(CourseEvent.citizen_id == history["citizen"].id,
                                              older_than(CourseEvent.at, CourseEvent.id, source, None))
    assert len(session.scalars(everything).all()) == len(events)
