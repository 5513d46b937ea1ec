"""Visits: the request (a nurse's referral with its setup visit), booking, the status machine with its stage
guards, failure reasons that act, and the visit's history for the citizen timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import FailureReason, TimeOfDay, Urgency, Visit, VisitEvent, VisitKind, VisitStatus
from inventory.models import Device
from servicecenter.audit.service import record_event
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, Conflict, DomainError, PermissionDenied
from servicecenter.statuses import TransitionTable, transition

V = VisitStatus
VISIT_STATUS = TransitionTable(
    "visit",
    {
        V.REQUESTED: {V.SCHEDULED, V.CANCELLED},
        V.SCHEDULED: {V.IN_PROGRESS, V.REQUESTED, V.FAILED, V.CANCELLED},
        V.IN_PROGRESS: {V.DONE, V.FAILED},
        V.FAILED: {V.REQUEUED, V.CANCELLED},
        V.REQUEUED: {V.SCHEDULED, V.CANCELLED},
        V.DONE: set(),
        V.CANCELLED: set(),
    },
    {V.REQUESTED: N_("requested"), V.SCHEDULED: N_("scheduled"), V.IN_PROGRESS: N_("in progress"),
     V.DONE: N_("done"), V.FAILED: N_("failed"), V.REQUEUED: N_("requeued"), V.CANCELLED: N_("cancelled")},
)
OPEN = (V.REQUESTED, V.REQUEUED, V.SCHEDULED, V.IN_PROGRESS)
KIND_LABELS = {VisitKind.SETUP: N_("setup"), VisitKind.PICKUP: N_("pickup"), VisitKind.SWAP: N_("swap"),
               VisitKind.SERVICE: N_("service"), VisitKind.TRAINING: N_("training"),
               VisitKind.FOLLOW_UP: N_("follow-up")}
FAILURE_LABELS = {
    FailureReason.NOT_HOME: N_("not home"), FailureReason.HOSPITALISED: N_("hospitalised"),
    FailureReason.DECLINED: N_("declined"), FailureReason.WRONG_ADDRESS: N_("wrong address"),
    FailureReason.NO_ACCESS: N_("no access"), FailureReason.NO_COVERAGE: N_("no mobile coverage"),
    FailureReason.DEVICE_MISSING: N_("device missing"),
}
SERVICE_MINUTES = {VisitKind.SETUP: 60, VisitKind.PICKUP: 30, VisitKind.SWAP: 30, VisitKind.SERVICE: 45,
                   VisitKind.TRAINING: 60, VisitKind.FOLLOW_UP: 30}
WINDOWS = {TimeOfDay.ANY: (8 * 60, 16 * 60), TimeOfDay.MORNING: (8 * 60, 12 * 60),
           TimeOfDay.AFTERNOON: (12 * 60, 16 * 60)}


@dataclass
class VisitRequest:
    earliest_on: dt.date
    latest_on: dt.date
    time_of_day: TimeOfDay = TimeOfDay.ANY
    urgency: Urgency = Urgency.NORMAL
    relative_present: bool = False
    interpreter_needed: bool = False
    hearing_needs: bool = False
    notes: str = ""


def get_visit(session: Session, visit_id: int) -> Visit:
    return get_or_raise(session, Visit, visit_id, N_("No such visit."))


def log(session: Session, visit: Visit, *, actor, now: dt.datetime, from_status: str | None, note: str | None = None
        ) -> None:
    session.add(VisitEvent(visit_id=visit.id, citizen_id=visit.citizen_id, at=now, actor_id=getattr(actor, "id", None),
                           from_status=from_status, to_status=visit.status, note=note))


# Other features follow visits (support: a ticket waiting for its swap): name -> listener(session, visit,
# from_status, actor=, now=), called in the same transaction after every status change.
VisitListener = Callable[..., None]
LISTENERS: dict[str, VisitListener] = {}


def add_listener(name: str, listener: VisitListener) -> None:
    LISTENERS[name] = listener


def move_visit(session: Session, visit: Visit, target: VisitStatus, *, actor, now: dt.datetime,
               note: str | None = None) -> None:
    """The one way a visit's status changes: checked, audited, written to the visit's history, and told to the
    features that follow visits."""
    current = visit.status
    transition(session, visit, target, table=VISIT_STATUS, actor=actor, now=now, citizen_id=visit.citizen_id,
               reason=note)
    log(session, visit, actor=actor, now=now, from_status=current, note=note)
    for listener in LISTENERS.values():
        listener(session, visit, current, actor=actor, now=now)


def _check_dates(request: VisitRequest, today: dt.date) -> None:
    if request.earliest_on < today:
        raise DomainError(N_("The earliest date cannot be in the past."), field="earliest_on")
    if request.latest_on < request.earliest_on:
        raise DomainError(N_("The latest date is before the earliest."), field="latest_on")
    if (request.latest_on - request.earliest_on).days > 90:
        raise DomainError(N_("Give a period of at most 90 days."), field="latest_on")
    if len(request.notes) > 2000:
        raise DomainError(N_("A note can be at most %(max)s characters."), field="notes", max=2000)


def create_visit(session: Session, course: Course, kind: VisitKind, request: VisitRequest, *, actor,
                 now: dt.datetime, today: dt.date) -> Visit:
    _check_dates(request, today)
    if course.status == CourseStatus.ENDED and kind != VisitKind.PICKUP:
        raise DomainError(N_("The course has ended."))
    visit = Visit(kind=kind, status=VisitStatus.REQUESTED, course_id=course.id, citizen_id=course.citizen_id,
                  requested_by_id=getattr(actor, "id", None), requested_at=now, earliest_on=request.earliest_on,
                  latest_on=request.latest_on, time_of_day=request.time_of_day, urgency=request.urgency,
                  relative_present=request.relative_present, interpreter_needed=request.interpreter_needed,
                  hearing_needs=request.hearing_needs, notes=request.notes.strip() or None,
                  service_minutes=SERVICE_MINUTES[kind], skills=[f"programme:{course.programme.code}"])
    session.add(visit)
    session.flush()
    log(session, visit, actor=actor, now=now, from_status=None)
    record_event(session, actor=actor, action="visit.create", entity_type="visit", entity_id=visit.id,
                 citizen_id=visit.citizen_id, now=now, detail={"kind": kind.value})
    return visit


def request_setup(session: Session, *, citizen_id: int, programme_id: int, request: VisitRequest, actor,
                  now: dt.datetime, today: dt.date) -> Visit:
    """A nurse's request: one submission refers the citizen (the course starts as referred) and asks for the
    setup visit."""
    _check_dates(request, today)
    course = courses.open_course(session, citizen_id=citizen_id, programme_id=programme_id, actor=actor, now=now)
    return create_visit(session, course, VisitKind.SETUP, request, actor=actor, now=now, today=today)


def open_visits_of_course(session: Session, course_id: int) -> list[Visit]:
    return list(session.scalars(select(Visit).where(Visit.course_id == course_id, Visit.status.in_(OPEN))
                                .order_by(Visit.id)))


def book(session: Session, visit: Visit, *, day: dt.date, window: tuple[int, int] | None, actor,
         now: dt.datetime, today: dt.date) -> None:
    """Put a visit on a day (the planner sets technician and time when the day is optimised and published)."""
    if day < today:
        raise DomainError(N_("A visit cannot be booked in the past."), field="day")
    if not visit.earliest_on <= day <= visit.latest_on:
        raise DomainError(N_("The day is outside the requested period %(first)s – %(last)s."), field="day",
                          first=visit.earliest_on.isoformat(), last=visit.latest_on.isoformat())
    start, end = window or WINDOWS[visit.time_of_day]
    if not 0 <= start < end <= 24 * 60 or end - start < visit.service_minutes:
        raise DomainError(N_("The window is shorter than the visit."), field="window")
    if visit.status == VisitStatus.SCHEDULED:  # moved to another day: the old plan no longer holds
        move_visit(session, visit, VisitStatus.REQUESTED, actor=actor, now=now, note="rebooked")
    visit.scheduled_on, visit.window_start, visit.window_end = day, start, end
    visit.technician_id = visit.planned_start = visit.route_order = visit.published_at = None
    visit.locked = False
    move_visit(session, visit, VisitStatus.SCHEDULED, actor=actor, now=now)
    if visit.kind == VisitKind.SETUP and visit.course.status == CourseStatus.ALLOCATED:
        courses.change_status(session, visit.course, CourseStatus.SETUP_SCHEDULED, actor=actor, now=now)


def start(session: Session, visit: Visit, *, actor, now: dt.datetime) -> None:
    _assigned_to(visit, actor)
    if visit.status == VisitStatus.IN_PROGRESS:
        return  # a second tap on "start": nothing to do
    move_visit(session, visit, VisitStatus.IN_PROGRESS, actor=actor, now=now)
    visit.started_at = now


def _assigned_to(visit: Visit, actor) -> None:
    """Only the technician the visit is published to works it at the door."""
    if visit.technician is None or visit.technician.user_id != actor.id:
        raise PermissionDenied(N_("This visit is not on your route."))


def complete(session: Session, visit: Visit, *, devices_in_home: set[str], kit_tags: set[str], actor,
             now: dt.datetime) -> None:
    """Done, with the stage guard: a setup is done only when every device of its kit is in the home."""
    _assigned_to(visit, actor)
    if visit.status == VisitStatus.DONE:
        return  # a double submission
    if visit.kind == VisitKind.SETUP:
        missing = sorted(kit_tags - devices_in_home) if kit_tags else ["—"]
        if not kit_tags or missing:
            raise Conflict(N_("Scan every device of the kit into the home first: %(missing)s."),
                           missing=", ".join(missing))
    if visit.kind == VisitKind.SWAP and visit.swap_device_id is not None:
        device = session.get(Device, visit.swap_device_id)
        if device.tag in devices_in_home:
            raise Conflict(N_("Collect the faulty device %(tag)s first."), tag=device.tag)
    if visit.status == VisitStatus.SCHEDULED:
        start(session, visit, actor=actor, now=now)
    move_visit(session, visit, VisitStatus.DONE, actor=actor, now=now)
    visit.finished_at = now
    if visit.kind == VisitKind.SETUP and visit.course.status in (CourseStatus.SETUP_SCHEDULED,
                                                                 CourseStatus.ALLOCATED):
        if visit.course.status == CourseStatus.ALLOCATED:
            courses.change_status(session, visit.course, CourseStatus.SETUP_SCHEDULED, actor=actor, now=now)
        courses.change_status(session, visit.course, CourseStatus.ACTIVE, actor=actor, now=now)


@dataclass(frozen=True)
class FailureOutcome:
    """What the failure reason proposes to the person (shown as a one-click follow-up)."""

    propose_exclusion: bool = False
    paused_course: bool = False


def fail(session: Session, visit: Visit, *, reason: FailureReason, note: str, actor, now: dt.datetime,
         as_technician: bool = True) -> FailureOutcome:
    """Failed with a required reason, which acts: hospitalised pauses an active course; no mobile coverage
    proposes excluding the citizen with that reason. The visit goes back to the queue (requeued)."""
    if visit.status in (VisitStatus.FAILED, VisitStatus.REQUEUED) and visit.failure_reason == reason:
        return FailureOutcome()  # a double submission (the requeued visit is no longer on anyone's route)
    if as_technician:
        _assigned_to(visit, actor)
    if len(note) > 500:
        raise DomainError(N_("A note can be at most %(max)s characters."), field="note", max=500)
    visit.failure_reason, visit.failure_note, visit.finished_at = reason, note.strip() or None, now  # listeners see it
    move_visit(session, visit, VisitStatus.FAILED, actor=actor, now=now, note=reason.value)
    paused = False
    if reason == FailureReason.HOSPITALISED and visit.course.status == CourseStatus.ACTIVE:
        courses.change_status(session, visit.course, CourseStatus.PAUSED, actor=actor, now=now)
        paused = True
    requeue(session, visit, actor=actor, now=now)
    return FailureOutcome(propose_exclusion=reason == FailureReason.NO_COVERAGE, paused_course=paused)


def requeue(session: Session, visit: Visit, *, actor, now: dt.datetime) -> None:
    move_visit(session, visit, VisitStatus.REQUEUED, actor=actor, now=now)
    visit.scheduled_on = visit.technician_id = visit.planned_start = visit.route_order = None
    visit.published_at = visit.confirmed_at = None
    visit.locked = False
    today = now.date()
    if visit.latest_on < today:  # the requested period has passed: keep it open for the coming two weeks
        visit.earliest_on, visit.latest_on = today, today + dt.timedelta(days=14)
    elif visit.earliest_on < today:
        visit.earliest_on = today


def cancel(session: Session, visit: Visit, *, actor, now: dt.datetime, note: str = "") -> None:
    move_visit(session, visit, VisitStatus.CANCELLED, actor=actor, now=now, note=note.strip()[:500] or None)
