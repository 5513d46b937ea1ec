"""Programmes and courses: referral, the decisions a person makes about a course (pause, resume, end, each with its
reason; the state itself follows the journey, see journey.py), the relay handover of the lead actor, and the
inclusion rate."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, joinedload

from servicecenter.audit.service import record_event
from servicecenter.auth.models import Role
from servicecenter.citizens.models import Citizen
from servicecenter.courses import journey
from servicecenter.courses.journey import COURSE_STATUS  # noqa: F401 - the labels, for pages and the timeline
from servicecenter.courses.models import (
    Course,
    CourseEvent,
    CourseEventKind,
    CourseStatus,
    EndReason,
    ExclusionReason,
    Handover,
    HandoverStatus,
    PauseReason,
    Programme,
)
from servicecenter.db import get_or_raise, local_date, lock_row, serialize_on
from servicecenter.errors import N_, Conflict, DomainError, PermissionDenied
from servicecenter.organisations.models import Organisation, OrganisationKind
from servicecenter.statuses import TransitionTable, transition
from servicecenter.workdays import danish_days_off

H = HandoverStatus
ENDED_STATUSES = (CourseStatus.ENDING, CourseStatus.ENDED)  # the course's OPEN_COURSE index says the same
HANDOVER_STATUS = TransitionTable(
    "handover",
    {H.OFFERED: {H.ACCEPTED, H.DECLINED, H.WITHDRAWN}, H.ACCEPTED: set(), H.DECLINED: set(), H.WITHDRAWN: set()},
    {H.OFFERED: N_("offered"), H.ACCEPTED: N_("accepted"), H.DECLINED: N_("declined"), H.WITHDRAWN: N_("withdrawn")},
)

END_REASON_LABELS = {
    EndReason.COMPLETED: N_("completed"), EndReason.DECEASED: N_("deceased"), EndReason.MOVED: N_("moved away"),
    EndReason.DECLINED: N_("declined by the citizen"), EndReason.EXCLUDED: N_("excluded"),
}
PAUSE_REASON_LABELS = {
    PauseReason.HOSPITALISED: N_("hospitalised"), PauseReason.AWAY: N_("away from home"),
    PauseReason.CITIZEN_REQUEST: N_("at the citizen's request"), PauseReason.OTHER: N_("other reason"),
}
EXCLUSION_REASON_LABELS = {
    ExclusionReason.NO_COVERAGE: N_("no mobile broadband coverage at home"),
    ExclusionReason.UNABLE_TO_USE: N_("unable to use the equipment"),
    ExclusionReason.NOT_CLINICALLY_RELEVANT: N_("not clinically relevant"),
    ExclusionReason.OTHER: N_("other reason"),
}

PROGRAMMES = [
    ("COPD", "KOL (kronisk obstruktiv lungesygdom)", 14,
     ["Tager en måling", "Oplader udstyret", "Ved hvordan man får hjælp", "Kan aflæse egne resultater"]),
    ("HF", "Hjertesvigt", 14,
     ["Tager en måling", "Vejer sig dagligt", "Oplader udstyret", "Ved hvordan man får hjælp"]),
    ("WOUND", "Sårvurdering", 7, ["Tager et billede af såret", "Ved hvordan man får hjælp"]),
    ("PREG", "Graviditet (hjemmemonitorering)", 7,
     ["Måler blodtryk", "Tager en urinprøve", "Oplader udstyret", "Ved hvordan man får hjælp"]),
]


def seed_programmes(session: Session) -> int:
    existing = set(session.scalars(select(Programme.code)))
    missing = [Programme(code=code, name=name, follow_up_days=days, checklist=checklist)
               for code, name, days, checklist in PROGRAMMES if code not in existing]
    session.add_all(missing)
    session.flush()
    return len(missing)


def get_programme(session: Session, programme_id: int) -> Programme:
    return get_or_raise(session, Programme, programme_id, N_("No such programme."))


def save_programme(session: Session, programme: Programme | None, *, code: str, name: str, follow_up_days: int,
                   competence_months: int, checklist: list[str], actor, now: dt.datetime) -> Programme:
    """Create or change a programme. Trainings already recorded keep the checklist they were held with."""
    code, name = code.strip().upper(), name.strip()
    items = [item.strip() for item in checklist if item.strip()]
    if not code or not name:
        raise DomainError(N_("A programme needs a code and a name."), field="code" if not code else "name")
    clash = session.scalar(select(Programme.id).where(Programme.code == code))
    if clash is not None and (programme is None or clash != programme.id):
        raise Conflict(N_("Another programme has the code %(code)s."), field="code", code=code)
    if not 0 <= follow_up_days <= 365:
        raise DomainError(N_("The follow-up is held 0 to 365 days after the training."), field="follow_up_days")
    if not 1 <= competence_months <= 120:
        raise DomainError(N_("A competence holds 1 to 120 months."), field="competence_months")
    if len(items) > 30 or any(len(item) > 120 for item in items) or len(set(items)) != len(items):
        raise DomainError(N_("At most 30 different checklist items of at most 120 characters."), field="checklist")
    programme = programme or Programme()
    programme.code, programme.name, programme.follow_up_days = code, name, follow_up_days
    programme.competence_months, programme.checklist = competence_months, items
    session.add(programme)
    session.flush()
    record_event(session, actor=actor, action="programme.save", entity_type="programme", entity_id=programme.id,
                 now=now, detail={"code": code, "items": len(items)})
    return programme


def list_programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).order_by(Programme.name)))


def get_course(session: Session, course_id: int) -> Course:
    return get_or_raise(session, Course, course_id, N_("No such course."))


def list_citizen_courses(session: Session, citizen_id: int) -> list[Course]:
    return list(session.scalars(select(Course).where(Course.citizen_id == citizen_id).order_by(Course.id.desc())))


LEAD_KINDS = (OrganisationKind.GP_CLINIC, OrganisationKind.MUNICIPALITY, OrganisationKind.HOSPITAL)


def open_course(session: Session, *, citizen_id: int, programme_id: int, actor, now: dt.datetime,
                lead_organisation_id: int | None = None) -> Course:
    """A referral: the course starts as referred, led by the named organisation, else the referring care
    organisation, else the citizen's responsible organisation or municipality, else the region."""
    citizen = get_or_raise(session, Citizen, citizen_id, N_("No such citizen."))
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise DomainError(N_("Choose a programme."), field="programme_id")
    _refuse_second_open_course(session, citizen, programme)
    lead = lead_organisation_id or _default_lead(session, citizen, actor)
    course = Course(citizen_id=citizen_id, programme_id=programme_id, status=CourseStatus.REFERRED, created_at=now,
                    referred_by_organisation_id=getattr(actor, "organisation_id", None),
                    referred_by_user_id=getattr(actor, "id", None), referred_at=now, lead_organisation_id=lead)
    session.add(course)
    session.flush()
    record_event(session, actor=actor, action="course.create", entity_type="course", entity_id=course.id,
                 citizen_id=citizen_id, now=now, detail={"programme": programme_id, "lead": lead})
    _log(session, course, CourseEventKind.REFERRED, actor=actor, now=now, to_status=CourseStatus.REFERRED,
         organisation_id=course.referred_by_organisation_id)
    return course


def get_open_course(session: Session, citizen_id: int, programme_id: int) -> Course | None:
    """The citizen's course on the programme that has not ended (at most one: a unique index holds it)."""
    return session.scalar(select(Course).where(Course.citizen_id == citizen_id, Course.programme_id == programme_id,
                                               Course.status.not_in(ENDED_STATUSES)))


def _refuse_second_open_course(session: Session, citizen: Citizen, programme: Programme) -> None:
    # Two referrals at the same moment take turns, so the second sees the first and is told which course it is.
    serialize_on(session, f"open-course:{citizen.id}:{programme.id}")
    existing = get_open_course(session, citizen.id, programme.id)
    if existing is not None:
        raise Conflict(N_("The citizen already has an open %(programme)s course (no. %(course)s, referred on "
                          "%(day)s): continue that course or end it first."), field="programme_id",
                       programme=programme.name, course=existing.id, day=local_date(existing.created_at).isoformat())


def _default_lead(session: Session, citizen: Citizen, actor) -> int | None:
    organisation = session.get(Organisation, getattr(actor, "organisation_id", None) or 0)
    if organisation is not None and organisation.kind in LEAD_KINDS:
        return organisation.id
    return citizen.responsible_organisation_id or citizen.municipality_id or _region_id(session)


def _region_id(session: Session) -> int | None:
    return session.scalar(select(Organisation.id).where(Organisation.kind == OrganisationKind.REGION)
                          .order_by(Organisation.id))


def _log(session: Session, course: Course, kind: CourseEventKind, *, actor, now: dt.datetime,
         from_status: str | None = None, to_status: str | None = None, organisation_id: int | None = None,
         reason: str | None = None) -> None:
    """One row of the course's history, in the same transaction as the change (the citizen timeline reads it)."""
    session.add(CourseEvent(course_id=course.id, citizen_id=course.citizen_id, kind=kind, at=now,
                            actor_id=getattr(actor, "id", None), from_status=from_status, to_status=to_status,
                            organisation_id=organisation_id, reason=reason))


def may_decide(course: Course, actor) -> bool:
    """A nurse decides about a course (pause, resume, end) only when her organisation leads it; the central roles
    always may. The course page offers those actions only when this holds."""
    return getattr(actor, "role", None) != Role.NURSE or actor.organisation_id == course.lead_organisation_id


def check_may_decide(course: Course, actor) -> None:
    if not may_decide(course, actor):
        raise PermissionDenied(N_("Only the lead organisation's nurses can pause or end the course."))


def _still_running(course: Course) -> None:
    if course.end_reason is not None:
        raise DomainError(N_("The course has ended."))


def mark_set_up(session: Session, course: Course, *, actor, now: dt.datetime) -> None:
    """The setup visit was done with every device of the kit in the home (dispatch checks that): the course is
    active from now, unless a person paused or ended it."""
    if course.activated_at is None:
        course.activated_at = now
    journey.follow(session, course, actor=actor, now=now)


def pause_course(session: Session, course: Course, *, reason: PauseReason, note: str = "",
                 call_again_on: dt.date | None, actor, now: dt.datetime) -> None:
    """A person pauses the course with a reason (hospitalised: with the day the helpdesk calls again)."""
    lock_row(session, course)
    check_may_decide(course, actor)
    _still_running(course)
    if course.paused_at is not None:
        raise Conflict(N_("The course is already paused."))
    if reason == PauseReason.HOSPITALISED and call_again_on is None:
        raise DomainError(N_("Give the day to call the citizen again."), field="call_again_on")
    if call_again_on is not None and not local_date(now) <= call_again_on <= local_date(now) + dt.timedelta(days=366):
        raise DomainError(N_("Call again on a day within the coming year."), field="call_again_on")
    if len(note) > 500:
        raise DomainError(N_("A note can be at most %(max)s characters."), field="note", max=500)
    course.paused_at, course.pause_reason, course.call_again_on = now, reason, call_again_on
    course.pause_note = note.strip() or None
    _log(session, course, CourseEventKind.PAUSED, actor=actor, now=now, from_status=course.status,
         to_status=CourseStatus.PAUSED, reason=reason.value)
    journey.follow(session, course, actor=actor, now=now, note=reason.value, decided=True)


def resume_course(session: Session, course: Course, *, actor, now: dt.datetime) -> None:
    """A person resumes a paused course; its state is again what the journey says."""
    lock_row(session, course)
    check_may_decide(course, actor)
    _still_running(course)
    if course.paused_at is None:
        raise Conflict(N_("The course is not paused."))
    course.paused_at = course.pause_reason = course.pause_note = course.call_again_on = None
    target = journey.derive(course, journey.facts_of(session, [course.id])[course.id])
    _log(session, course, CourseEventKind.RESUMED, actor=actor, now=now, from_status=course.status, to_status=target)
    journey.follow(session, course, actor=actor, now=now, decided=True)


def end_course(session: Session, course: Course, *, reason: EndReason, exclusion_reason: ExclusionReason | None,
               actor, now: dt.datetime) -> None:
    """End with a reason; an exclusion needs its reason from the fixed list (the inclusion rate is reported).
    A deceased citizen's course is marked sensitive: no reminders to the citizen, contact the relative.
    The features that follow courses act in the same transaction (dispatch: open visits cancelled, the pickup
    visit); the course is "ending" until every device is back, then "ended"."""
    lock_row(session, course)
    check_may_decide(course, actor)
    _still_running(course)
    if reason == EndReason.EXCLUDED and exclusion_reason is None:
        raise DomainError(N_("Choose why the citizen cannot be included."), field="exclusion_reason")
    if reason != EndReason.EXCLUDED and exclusion_reason is not None:
        raise DomainError(N_("An exclusion reason goes only with the end reason “excluded”."),
                          field="exclusion_reason")
    course.end_reason, course.exclusion_reason, course.ended_at = reason, exclusion_reason, now
    course.is_sensitive = reason == EndReason.DECEASED
    course.paused_at = course.pause_reason = course.pause_note = course.call_again_on = None
    record_event(session, actor=actor, action="course.end", entity_type="course", entity_id=course.id,
                 citizen_id=course.citizen_id, now=now, detail={"reason": reason.value,
                                                                "exclusion": getattr(exclusion_reason, "value", None)})
    from_status = course.status
    journey.follow(session, course, actor=actor, now=now, note=reason.value, decided=True)
    _log(session, course, CourseEventKind.ENDED, actor=actor, now=now, from_status=from_status,
         to_status=course.status, reason=exclusion_reason or reason)
    handover = open_handover(session, course)
    if handover is not None:  # an ended course is led by no one new: the open offer lapses with it
        withdraw_handover(session, handover, actor=None, now=now)
    for listener in journey.ENDED_LISTENERS.values():  # dispatch: open visits cancelled, the pickup visit
        listener(session, course, actor=actor, now=now)
    journey.follow(session, course, actor=actor, now=now)


def is_deceased(session: Session, citizen_id: int) -> bool:
    """A course of the citizen ended with her death (it is marked sensitive): nothing is sent to her any more, by any
    feature; the relative is contacted instead."""
    return session.scalar(select(exists().where(Course.citizen_id == citizen_id, Course.is_sensitive.is_(True))))


# --- the relay handover of the lead -------------------------------------------------------------------


def open_handover(session: Session, course: Course) -> Handover | None:
    return session.scalar(select(Handover).where(Handover.course_id == course.id,
                                                 Handover.status == HandoverStatus.OFFERED))


def offer_lead(session: Session, course: Course, *, to_organisation_id: int, actor, now: dt.datetime) -> Handover:
    """The current lead offers the lead to another organisation. Nothing moves until that one accepts."""
    lock_row(session, course)
    if actor.organisation_id != course.lead_organisation_id:
        raise PermissionDenied(N_("Only the current lead can hand the course over."))
    if to_organisation_id == course.lead_organisation_id:
        raise DomainError(N_("The course is already led by that organisation."), field="to_organisation_id")
    if session.get(Organisation, to_organisation_id) is None:
        raise DomainError(N_("Choose an organisation."), field="to_organisation_id")
    _still_running(course)
    if open_handover(session, course) is not None:
        raise Conflict(N_("A handover is already waiting for an answer."))
    handover = Handover(course_id=course.id, from_organisation_id=course.lead_organisation_id,
                        to_organisation_id=to_organisation_id, offered_by_id=actor.id, offered_at=now)
    session.add(handover)
    session.flush()
    record_event(session, actor=actor, action="course.handover_offer", entity_type="handover", entity_id=handover.id,
                 citizen_id=course.citizen_id, now=now, detail={"to": to_organisation_id})
    _log(session, course, CourseEventKind.HANDOVER_OFFERED, actor=actor, now=now,
         organisation_id=to_organisation_id)
    return handover


def answer_handover(session: Session, handover: Handover, *, accept: bool, actor, now: dt.datetime,
                    reason: str | None = None) -> None:
    """Only the receiving organisation answers. Accepting moves the lead; declining needs a reason."""
    lock_row(session, handover.course)
    lock_row(session, handover)
    if actor.organisation_id != handover.to_organisation_id:
        raise PermissionDenied(N_("Only the organisation the course is offered to can answer."))
    if not accept and not (reason or "").strip():
        raise DomainError(N_("Say why the handover is declined."), field="reason")
    course = handover.course
    transition(session, handover, HandoverStatus.ACCEPTED if accept else HandoverStatus.DECLINED,
               table=HANDOVER_STATUS, actor=actor, now=now, citizen_id=course.citizen_id, reason=reason)
    handover.answered_by_id, handover.answered_at = actor.id, now
    handover.decline_reason = None if accept else reason.strip()[:500]
    if accept:
        course.lead_organisation_id = handover.to_organisation_id
    _log(session, course, CourseEventKind.HANDOVER_ACCEPTED if accept else CourseEventKind.HANDOVER_DECLINED,
         actor=actor, now=now, organisation_id=handover.to_organisation_id, reason=handover.decline_reason)


def withdraw_handover(session: Session, handover: Handover, *, actor, now: dt.datetime) -> None:
    """The offering organisation takes its offer back (actor None: the system, when the course ends)."""
    lock_row(session, handover)
    if actor is not None and actor.organisation_id != handover.from_organisation_id:
        raise PermissionDenied(N_("Only the organisation that offered the handover can withdraw it."))
    transition(session, handover, HandoverStatus.WITHDRAWN, table=HANDOVER_STATUS, actor=actor, now=now,
               citizen_id=handover.course.citizen_id)
    _log(session, handover.course, CourseEventKind.HANDOVER_WITHDRAWN, actor=actor, now=now,
         organisation_id=handover.to_organisation_id)


def get_handover(session: Session, handover_id: int) -> Handover:
    return get_or_raise(session, Handover, handover_id, N_("No such handover."))


def _open_offers():
    return (select(Handover).where(Handover.status == HandoverStatus.OFFERED)
            .options(joinedload(Handover.course).joinedload(Course.citizen),
                     joinedload(Handover.from_organisation), joinedload(Handover.to_organisation))
            .order_by(Handover.offered_at, Handover.id))


def pending_handovers(session: Session, organisation_id: int) -> list[Handover]:
    """Offers waiting for this organisation's answer, oldest first."""
    return list(session.scalars(_open_offers().where(Handover.to_organisation_id == organisation_id)))


def handovers_of(session: Session, organisation_id: int) -> tuple[list[Handover], list[Handover]]:
    """(offers to us waiting for our answer, our offers waiting for theirs)."""
    outgoing = session.scalars(_open_offers().where(Handover.from_organisation_id == organisation_id))
    return pending_handovers(session, organisation_id), list(outgoing)


def working_days_between(start: dt.date, end: dt.date, days_off=None) -> int:
    """Danish working days after `start` up to and including `end` (weekends and days off excluded)."""
    danish = days_off if days_off is not None else danish_days_off(start.year, end.year)
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in danish:
            days += 1
    return days


def overdue_handovers(session: Session, *, now: dt.datetime, working_days: int) -> list[Handover]:
    """Offers unanswered for more than `working_days` Danish working days (a scheduler job flags them)."""
    offers = list(session.scalars(select(Handover).where(Handover.status == HandoverStatus.OFFERED)))
    if not offers:
        return []
    days_off = danish_days_off(min(h.offered_at.year for h in offers), now.year)  # one calendar for all
    return [h for h in offers
            if working_days_between(local_date(h.offered_at), local_date(now), days_off) > working_days]


# --- indicators -----------------------------------------------------------------------------------------


def inclusion_rates(session: Session) -> list[tuple[str, str, int, int]]:
    """(programme, municipality, courses, excluded) for every pair that has courses: one grouped query."""
    excluded = func.coalesce(func.sum(case((Course.end_reason == EndReason.EXCLUDED, 1), else_=0)), 0)
    municipality = Organisation.__table__.alias("municipality")
    return [tuple(row) for row in session.execute(
        select(Programme.name, municipality.c.name, func.count(), excluded)
        .select_from(Course).join(Programme, Programme.id == Course.programme_id)
        .join(Citizen, Citizen.id == Course.citizen_id).join(municipality, municipality.c.id == Citizen.municipality_id)
        .group_by(Programme.name, municipality.c.name).order_by(Programme.name, municipality.c.name))]


def inclusion_rate(session: Session, *, programme_id: int | None = None,
                   municipality_id: int | None = None) -> tuple[int, int, float | None]:
    """(included, excluded, rate): every course not ended as excluded counts as included."""
    excluded = case((Course.end_reason == EndReason.EXCLUDED, 1), else_=0)
    stmt = select(func.count(), func.coalesce(func.sum(excluded), 0)).select_from(Course).join(
        Citizen, Citizen.id == Course.citizen_id)
    if programme_id:
        stmt = stmt.where(Course.programme_id == programme_id)
    if municipality_id:
        stmt = stmt.where(Citizen.municipality_id == municipality_id)
    total, excluded_count = session.execute(stmt).one()
    included = total - excluded_count
    return included, excluded_count, (included / total if total else None)
