"""Courses: the status machine, ending with reasons, the relay handover of the lead, the inclusion rate."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from servicecenter.auth.models import Role, User
from servicecenter.courses import service
from servicecenter.courses.models import (
    Course,
    CourseStatus,
    EndReason,
    ExclusionReason,
    HandoverStatus,
    Programme,
)
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import Conflict, DomainError, InvalidTransition, PermissionDenied
from servicecenter.organisations.models import OrganisationKind
from servicecenter.statuses import transition

C = CourseStatus
BEFORE_SETUP = (C.REFERRED, C.ALLOCATED, C.SETUP_SCHEDULED)
COURSE_ALLOWED = (
    {(a, b) for a in BEFORE_SETUP for b in BEFORE_SETUP if a != b}  # a kit reserved or released, booked, requeued
    | {(C.SETUP_SCHEDULED, C.ACTIVE)}  # only the setup visit done makes a course active
    | {(a, C.PAUSED) for a in (*BEFORE_SETUP, C.ACTIVE)} | {(C.PAUSED, b) for b in (*BEFORE_SETUP, C.ACTIVE)}
    | {(a, end) for a in (*BEFORE_SETUP, C.ACTIVE, C.PAUSED) for end in (C.ENDING, C.ENDED)}
    | {(C.ENDING, C.ENDED)}  # the last device back; nothing leaves "ended"
)
H = HandoverStatus
HANDOVER_ALLOWED = {(H.OFFERED, H.ACCEPTED), (H.OFFERED, H.DECLINED), (H.OFFERED, H.WITHDRAWN)}


class _Null:
    def add(self, _obj):
        pass

    def flush(self):
        pass


@pytest.mark.parametrize("table,allowed,statuses", [
    (service.COURSE_STATUS, COURSE_ALLOWED, list(CourseStatus)),
    (service.HANDOVER_STATUS, HANDOVER_ALLOWED, list(HandoverStatus)),
])
def test_the_transition_tables_in_full(table, allowed, statuses):
    for current, target in itertools.product(statuses, statuses):
        subject = type("Subject", (), {"id": 1, "status": current})
        assert table.can(current, target) == ((current, target) in allowed), (current, target)
        if (current, target) in allowed:
            transition(_Null(), subject, target, table=table, actor=None, now=utcnow())
            assert subject.status == target
        else:
            with pytest.raises(InvalidTransition):
                transition(_Null(), subject, target, table=table, actor=None, now=utcnow())


@pytest.fixture
def orgs(factory):
    return {
        "gp": factory.organisation(OrganisationKind.GP_CLINIC, "GP-A"),
        "aarhus": factory.organisation(OrganisationKind.MUNICIPALITY, "751"),
        "hospital": factory.organisation(OrganisationKind.HOSPITAL, "H-AARHUS"),
    }


def refer(session, factory, nurse, *, now=None, **citizen):
    programme = session.scalar(select(Programme).where(Programme.code == "COPD"))
    person = factory.citizen(**citizen)
    with unit_of_work(session):
        return service.open_course(session, citizen_id=person.id, programme_id=programme.id, actor=nurse,
                                   now=now or utcnow())


def test_a_referral_is_led_by_the_referring_organisation(session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    course = refer(session, factory, nurse)
    assert (course.status, course.lead_organisation_id, course.referred_by_user_id) == (
        C.REFERRED, orgs["gp"].id, nurse.id)


def test_ending_needs_a_reason_and_exclusion_a_listed_reason(session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    course = refer(session, factory, nurse)
    with pytest.raises(DomainError, match="cannot be included"), unit_of_work(session):
        service.end_course(session, session.get(Course, course.id), reason=EndReason.EXCLUDED,
                           exclusion_reason=None, actor=nurse, now=utcnow())
    with unit_of_work(session):
        service.end_course(session, session.get(Course, course.id), reason=EndReason.EXCLUDED,
                           exclusion_reason=ExclusionReason.NO_COVERAGE, actor=nurse, now=utcnow())
    session.expire_all()
    ended = session.get(Course, course.id)
    assert (ended.status, ended.exclusion_reason) == (C.ENDED, ExclusionReason.NO_COVERAGE)


def test_a_deceased_citizens_course_is_sensitive(session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    course = refer(session, factory, nurse)
    with unit_of_work(session):
        service.end_course(session, session.get(Course, course.id), reason=EndReason.DECEASED,
                           exclusion_reason=None, actor=nurse, now=utcnow())
    session.expire_all()
    assert session.get(Course, course.id).is_sensitive


def test_the_lead_moves_only_when_the_receiver_accepts(session, factory, orgs):
    gp_nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    municipal_nurse = factory.user(Role.NURSE, organisation=orgs["aarhus"])
    course = refer(session, factory, gp_nurse)
    with pytest.raises(PermissionDenied), unit_of_work(session):
        service.offer_lead(session, session.get(Course, course.id), to_organisation_id=orgs["hospital"].id,
                           actor=municipal_nurse, now=utcnow())
    with unit_of_work(session):
        handover = service.offer_lead(session, session.get(Course, course.id), to_organisation_id=orgs["aarhus"].id,
                                      actor=gp_nurse, now=utcnow())
    session.expire_all()
    assert session.get(Course, course.id).lead_organisation_id == orgs["gp"].id  # not until accepted
    assert [h.id for h in service.pending_handovers(session, orgs["aarhus"].id)] == [handover.id]
    with pytest.raises(Conflict), unit_of_work(session):
        service.offer_lead(session, session.get(Course, course.id), to_organisation_id=orgs["hospital"].id,
                           actor=gp_nurse, now=utcnow())
    with pytest.raises(DomainError, match="why"), unit_of_work(session):
        service.answer_handover(session, service.open_handover(session, session.get(Course, course.id)),
                                accept=False, actor=municipal_nurse, now=utcnow())
    with unit_of_work(session):
        service.answer_handover(session, service.open_handover(session, session.get(Course, course.id)),
                                accept=True, actor=municipal_nurse, now=utcnow())
    session.expire_all()
    assert session.get(Course, course.id).lead_organisation_id == orgs["aarhus"].id


OPS = st.lists(st.tuples(st.sampled_from(["offer", "accept", "decline", "withdraw"]), st.integers(0, 2),
                         st.integers(0, 2)), max_size=20)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=OPS)
def test_a_course_is_never_without_a_lead(session, factory, orgs, steps):
    """Random offers, acceptances, declines and withdrawals by random organisations: the lead is never empty,
    changes only on an acceptance by the organisation offered, and always to that organisation."""
    org_list = [orgs["gp"], orgs["aarhus"], orgs["hospital"]]
    cache = session.info.setdefault("users", {})
    users = [cache.setdefault(o.id, factory.user(Role.NURSE, organisation=o)) for o in org_list]
    course = refer(session, factory, users[0])
    lead = orgs["gp"].id
    for op, who, target in steps:
        actor = users[who]
        try:
            with unit_of_work(session):
                current = session.get(Course, course.id)
                pending = service.open_handover(session, current)
                if op == "offer":
                    service.offer_lead(session, current, to_organisation_id=org_list[target].id, actor=actor,
                                       now=utcnow())
                elif pending is not None and op == "withdraw":
                    service.withdraw_handover(session, pending, actor=actor, now=utcnow())
                elif pending is not None:
                    service.answer_handover(session, pending, accept=op == "accept", reason="Nej tak",
                                            actor=actor, now=utcnow())
                    if op == "accept":
                        lead = pending.to_organisation_id
        except (DomainError, PermissionDenied, Conflict):
            pass
        session.expire_all()
        assert session.get(Course, course.id).lead_organisation_id == lead is not None


def test_the_inclusion_rate_per_programme_and_municipality(session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    courses = [refer(session, factory, nurse, municipality_code="751") for _ in range(3)]
    courses += [refer(session, factory, nurse, municipality_code="730")]
    with unit_of_work(session):
        service.end_course(session, session.get(Course, courses[0].id), reason=EndReason.EXCLUDED,
                           exclusion_reason=ExclusionReason.UNABLE_TO_USE, actor=nurse, now=utcnow())
        service.end_course(session, session.get(Course, courses[1].id), reason=EndReason.COMPLETED,
                           exclusion_reason=None, actor=nurse, now=utcnow())
    assert service.inclusion_rate(session) == (3, 1, 0.75)
    assert service.inclusion_rate(session, municipality_id=orgs["aarhus"].id) == (2, 1, pytest.approx(2 / 3))
    other = factory.organisation(OrganisationKind.MUNICIPALITY, "730")
    assert service.inclusion_rate(session, municipality_id=other.id) == (1, 0, 1.0)
    rows = {(m, total, excluded) for _p, m, total, excluded in service.inclusion_rates(session)}
    assert rows == {(orgs["aarhus"].name, 3, 1), (other.name, 1, 0)}


def test_a_programme_is_data_and_refuses_what_does_not_add_up(session, factory):
    coordinator = factory.user(Role.COORDINATOR)
    with unit_of_work(session):
        made = service.save_programme(
            session, None, code=" diab ", name="Graviditet", follow_up_days=7, competence_months=12,
            checklist=["Måler blodtryk", " ", "Ved hvem hun ringer til"], actor=coordinator, now=utcnow())
    assert (made.code, made.checklist) == ("DIAB", ["Måler blodtryk", "Ved hvem hun ringer til"])
    for change, field in [({"code": "COPD"}, "code"), ({"follow_up_days": 400}, "follow_up_days"),
                          ({"competence_months": 0}, "competence_months"), ({"checklist": ["a", "a"]}, "checklist"),
                          ({"name": " "}, "name")]:
        values = {"code": "DIAB", "name": "Graviditet", "follow_up_days": 7, "competence_months": 12,
                  "checklist": ["x"], **change}
        with pytest.raises(DomainError) as refused, unit_of_work(session):
            service.save_programme(session, session.get(Programme, made.id), **values, actor=coordinator,
                                   now=utcnow())
        assert refused.value.field == field
    session.expire_all()
    assert session.get(Programme, made.id).checklist == ["Måler blodtryk", "Ved hvem hun ringer til"]


@pytest.mark.parametrize("start,end,expected", [
    (dt.date(2026, 11, 26), dt.date(2026, 11, 30), 2),  # Thu -> Mon: Fri, Mon
    (dt.date(2026, 12, 23), dt.date(2026, 12, 28), 1),  # Christmas Eve, Christmas Day, Boxing Day, weekend
    (dt.date(2026, 6, 4), dt.date(2026, 6, 8), 1),  # Constitution Day (Fri 5 June) is a day off
    (dt.date(2026, 12, 24), dt.date(2026, 12, 24), 0),
])
def test_working_days_know_danish_holidays(start, end, expected):
    assert service.working_days_between(start, end) == expected


def test_unanswered_handovers_are_flagged_after_the_working_days(session, factory, orgs):
    nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    offered = dt.datetime(2026, 12, 23, 9, 0, tzinfo=dt.UTC)  # Wednesday before Christmas
    course = refer(session, factory, nurse, now=offered - dt.timedelta(days=1))  # one clock: the fixed one
    with unit_of_work(session):
        service.offer_lead(session, session.get(Course, course.id), to_organisation_id=orgs["aarhus"].id,
                           actor=nurse, now=offered)
    assert service.overdue_handovers(session, now=dt.datetime(2026, 12, 29, 9, 0, tzinfo=dt.UTC),
                                     working_days=2) == []  # only Mon 28 and Tue 29 have passed
    late = service.overdue_handovers(session, now=dt.datetime(2026, 12, 30, 9, 0, tzinfo=dt.UTC), working_days=2)
    assert [h.course_id for h in late] == [course.id]


def test_two_answers_to_one_handover_at_once_one_wins(app, session, factory, orgs):
    """An accept and a decline pressed at the same moment: exactly one takes effect, and the course's lead agrees
    with the handover's final status (each answer locks the rows it reads)."""
    import threading

    gp_nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    first, second = (factory.user(Role.NURSE, organisation=orgs["aarhus"]) for _ in range(2))
    course = refer(session, factory, gp_nurse)
    with unit_of_work(session):
        handover = service.offer_lead(session, session.get(Course, course.id), to_organisation_id=orgs["aarhus"].id,
                                      actor=gp_nurse, now=utcnow())
    factory_ = app.extensions["database"].factory
    barrier, outcomes = threading.Barrier(2, timeout=20), []
    handover_id, model, user_ids = handover.id, type(handover), (first.id, second.id)
    session.rollback()  # the test's own session holds no snapshot or lock while the two answer

    def answer(user_id, accept):
        s = factory_()
        try:
            actor = s.get(User, user_id)  # each thread its own session: nothing shared
            loaded = s.get(model, handover_id)
            barrier.wait()
            with unit_of_work(s):
                service.answer_handover(s, loaded, accept=accept, actor=actor,
                                        now=utcnow(), reason=None if accept else "Ikke vores")
            outcomes.append("ok")
        except (InvalidTransition, DomainError):
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 - shown in the assertion
            outcomes.append(repr(error))
        finally:
            s.close()

    threads = [threading.Thread(target=answer, args=(user_ids[0], True)),
               threading.Thread(target=answer, args=(user_ids[1], False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.rollback()  # end the test's own read snapshot
    final = session.get(model, handover_id)
    lead = session.get(Course, course.id).lead_organisation_id
    assert (final.status == HandoverStatus.ACCEPTED) == (lead == orgs["aarhus"].id)
    assert final.status in (HandoverStatus.ACCEPTED, HandoverStatus.DECLINED)
