"""Visits: the request (a nurse's referral with its setup visit, or any visit where it arises), booking, the status
machine with its stage guards, failure reasons that act, and the visit's history for the citizen timeline. Every
status change is told to the course, which follows the journey."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, lazyload

from dispatch.models import FailureReason, TimeOfDay, Urgency, Visit, VisitEvent, VisitKind, VisitStatus
from dispatch.service import allocation, messages
from inventory import service as inventory
from servicecenter import events
from servicecenter.audit.service import record_event
from servicecenter.auth.models import Role, User
from servicecenter.citizens.access import sees
from servicecenter.courses import journey
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, PauseReason
from servicecenter.db import get_or_raise, local_date
from servicecenter.errors import N_, Conflict, DomainError, Msgid, PermissionDenied
from servicecenter.events import EventType
from servicecenter.statuses import TransitionTable, transition
from servicecenter.training import service as training
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingResult

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


def history(session: Session, visit_id: int) -> list[tuple[VisitEvent, str | None]]:
    """The visit's events, newest first, with who did each (None: the system or the citizen)."""
    return list(session.execute(select(VisitEvent, User.full_name).outerjoin(User, User.id == VisitEvent.actor_id)
                                .where(VisitEvent.visit_id == visit_id)
                                .order_by(VisitEvent.at.desc(), VisitEvent.id.desc())))


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
VISIT_EVENTS = {VisitStatus.DONE: EventType.VISIT_DONE, VisitStatus.FAILED: EventType.VISIT_FAILED}


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
    if target in VISIT_EVENTS:
        events.publish(session, VISIT_EVENTS[target], {"visit_id": visit.id, "course_id": visit.course_id,
                                                       "status": target.value}, now=now)
    journey.follow(session, visit.course, actor=actor, now=now)


def withdraw_confirmation(session: Session, visit: Visit, *, actor, now: dt.datetime) -> None:
    """The confirmation text and its link no longer hold (the visit moved or went back to the queue): the link is
    bound to the publication, so clearing it makes the old link say it was replaced; its text is not sent if it has
    not gone yet."""
    had_text = visit.confirmation_text is not None
    messages.withdraw_publication(session, visit)
    visit.published_at = visit.confirmed_at = visit.confirmation_text = visit.offered_slots = None
    if had_text:
        log(session, visit, actor=actor, now=now, from_status=visit.status,
            note=N_("the confirmation text and its link are withdrawn"))

DEFAULT_PERIOD_DAYS = 14


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The period a new request offers before anyone types a date: from today, two weeks (the planner books
    the earliest day with room)."""
    return today, today + dt.timedelta(days=DEFAULT_PERIOD_DAYS)


def usual_programme(session: Session, citizen_id: int, organisation_id: int | None) -> int | None:
    """The programme to preselect on a new request: the one of the citizen's latest course, else the one the
    requester's organisation referred to last."""
    return session.scalar(select(Course.programme_id).where(Course.citizen_id == citizen_id)
                          .order_by(Course.id.desc()).limit(1)) or session.scalar(
        select(Course.programme_id).where(Course.referred_by_organisation_id == organisation_id)
        .order_by(Course.id.desc()).limit(1))


def _check_dates(request: VisitRequest, today: dt.date) -> None:
    if request.earliest_on < today:
        raise DomainError(N_("The earliest date cannot be in the past."), field="earliest_on")
    if request.latest_on < request.earliest_on:
        raise DomainError(N_("The latest date is before the earliest."), field="latest_on")
    if (request.latest_on - request.earliest_on).days > 90:
        raise DomainError(N_("Give a period of at most 90 days."), field="latest_on")
    if len(request.notes) > 2000:
        raise DomainError(N_("A note can be at most %(max)s characters."), field="notes", max=2000)


def requests_of(session: Session, user: User, now: dt.datetime) -> Select:
    """The ids of the requests in this person's list: a nurse's organisation's, anyone else's own; only those of
    citizens she may see now. Newest first is one backward range of `ix_visits_requesting_organisation_at`."""
    mine = (Visit.requested_by_organisation_id == user.organisation_id if user.role == Role.NURSE
            else Visit.requested_by_id == user.id)
    return select(Visit.id).where(mine, sees(session, user, now, Visit.citizen_id, of_a_course=True))


def newest_requests(session: Session, user: User, now: dt.datetime, *, limit: int, offset: int = 0) -> list[Visit]:
    """Her list's requests, newest first: the ids from the bare table, then those rows with their joined course and
    citizen (with the joins inside, PostgreSQL sorted every visit in the table, 2 s at a million, before the LIMIT)."""
    ids = list(session.scalars(requests_of(session, user, now).order_by(Visit.requested_at.desc(), Visit.id.desc())
                               .offset(offset).limit(limit)))
    found = {v.id: v for v in session.scalars(select(Visit).where(Visit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def create_visit(session: Session, course: Course, kind: VisitKind, request: VisitRequest, *, actor,
                 now: dt.datetime, today: dt.date) -> Visit:
    _check_dates(request, today)
    if course.end_reason is not None and kind != VisitKind.PICKUP:
        raise DomainError(N_("The course has ended."))
    if kind == VisitKind.PICKUP and course.end_reason is None:
        raise DomainError(N_("A pickup is made when the course ends."))
    if kind == VisitKind.SETUP and any(v.kind == VisitKind.SETUP for v in open_visits_of_course(session, course.id)):
        raise Conflict(N_("A setup visit is already open for this course."))
    visit = Visit(kind=kind, status=VisitStatus.REQUESTED, course_id=course.id, citizen_id=course.citizen_id,
                  requested_by_id=getattr(actor, "id", None),
                  requested_by_organisation_id=getattr(actor, "organisation_id", None), requested_at=now,
                  earliest_on=request.earliest_on,
                  latest_on=request.latest_on, time_of_day=request.time_of_day, urgency=request.urgency,
                  relative_present=request.relative_present, interpreter_needed=request.interpreter_needed,
                  hearing_needs=request.hearing_needs, notes=request.notes.strip() or None,
                  service_minutes=SERVICE_MINUTES[kind], skills=[f"programme:{course.programme.code}"])
    session.add(visit)
    session.flush()
    log(session, visit, actor=actor, now=now, from_status=None)
    record_event(session, actor=actor, action="visit.create", entity_type="visit", entity_id=visit.id,
                 citizen_id=visit.citizen_id, now=now, detail={"kind": kind.value})
    journey.follow(session, course, actor=actor, now=now)
    return visit


def request_setup(session: Session, *, citizen_id: int, programme_id: int, request: VisitRequest, actor,
                  now: dt.datetime, today: dt.date) -> Visit:
    """A nurse's request: one submission refers the citizen (the course starts as referred) and asks for the
    setup visit."""
    _check_dates(request, today)
    course = courses.open_course(session, citizen_id=citizen_id, programme_id=programme_id, actor=actor, now=now)
    return create_visit(session, course, VisitKind.SETUP, request, actor=actor, now=now, today=today)


def request_swap(session: Session, *, device_id: int, request: VisitRequest, actor, now: dt.datetime,
                 today: dt.date, nearest_spare: bool = True) -> Visit:
    """A swap visit for a device in a citizen's home. A ready device of its model is reserved as the replacement at
    the nearest depot that has one (without one, the queue and the plan say a replacement is needed)."""
    home = inventory.home_of_device(session, device_id)
    device = inventory.get_device_by_id(session, device_id)
    if home is None:
        raise DomainError(N_("%(tag)s is not in a citizen's home, so there is nothing to swap."), tag=device.tag)
    waiting = session.scalar(select(Visit.id).where(Visit.swap_device_id == device_id, Visit.status.in_(OPEN)))
    if waiting is not None:
        raise Conflict(N_("A swap visit for %(tag)s is already on its way (another ticket asked for it)."),
                       tag=device.tag)
    visit = create_visit(session, session.get(Course, home.course_id), VisitKind.SWAP, request, actor=actor, now=now,
                         today=today)
    visit.swap_device_id = device_id
    if nearest_spare:
        allocation.reserve_nearest_spare(session, visit, actor=actor, now=now)
    return visit


def open_visits_of_citizen(session: Session, citizen_id: int, *, limit: int = 10) -> list[Visit]:
    """The citizen's open visits, newest first (plain columns are what the callers show)."""
    return list(session.scalars(select(Visit).where(Visit.citizen_id == citizen_id, Visit.status.in_(OPEN))
                                .order_by(Visit.id.desc()).limit(limit).options(lazyload("*"))))


def visits_of_course(session: Session, course_id: int, *, limit: int = 50) -> list[Visit]:
    return list(session.scalars(select(Visit).where(Visit.course_id == course_id).order_by(Visit.id.desc())
                                .limit(limit)))


def open_visits_of_course(session: Session, course_id: int) -> list[Visit]:
    return list(session.scalars(select(Visit).where(Visit.course_id == course_id, Visit.status.in_(OPEN))
                                .order_by(Visit.id)))


def book(session: Session, visit: Visit, *, day: dt.date, window: tuple[int, int] | None, actor,
         now: dt.datetime, today: dt.date, note: str | None = None) -> None:
    """Put a visit on a day (the planner sets technician and time when the day is optimised and published). A
    citizen who was told of the day it had is told it moved (no staff actor: she moved it herself, a receipt)."""
    if day < today:
        raise DomainError(N_("A visit cannot be booked in the past."), field="day")
    if not visit.earliest_on <= day <= visit.latest_on:
        raise DomainError(N_("The day is outside the requested period %(first)s – %(last)s."), field="day",
                          first=visit.earliest_on.isoformat(), last=visit.latest_on.isoformat())
    if visit.course.paused_at is not None and visit.kind != VisitKind.PICKUP:
        raise DomainError(N_("The course is paused (%(reason)s): resume it before booking its visits."), field="day",
                          reason=Msgid(courses.PAUSE_REASON_LABELS[visit.course.pause_reason]))
    start, end = window or WINDOWS[visit.time_of_day]
    if not 0 <= start < end <= 24 * 60 or end - start < visit.service_minutes:
        raise DomainError(N_("The window is shorter than the visit."), field="window")
    visit.citizen_request = visit.citizen_request_at = None  # whatever the citizen asked, this booking answers
    told = messages.retract(session, visit)
    if visit.status == VisitStatus.SCHEDULED:  # moved to another day: the old plan no longer holds
        move_visit(session, visit, VisitStatus.REQUESTED, actor=actor, now=now, note=N_("rebooked"))
        withdraw_confirmation(session, visit, actor=actor, now=now)
    visit.scheduled_on, visit.window_start, visit.window_end = day, start, end
    visit.technician_id = visit.planned_start = visit.route_order = visit.published_at = None
    visit.locked = False
    move_visit(session, visit, VisitStatus.SCHEDULED, actor=actor, now=now, note=note)
    messages.tell_change(session, visit, told, messages.Change.MOVED, by_citizen=actor is None, now=now)


def unbook(session: Session, visit: Visit, *, actor, now: dt.datetime, note: str) -> None:
    """Back to the queue, off its day: no technician, no time, and the citizen's confirmation withdrawn. A citizen
    who was told of the day is told it cannot take place as planned (a receipt when she said no time suits her)."""
    told = messages.retract(session, visit)
    move_visit(session, visit, VisitStatus.REQUESTED, actor=actor, now=now, note=note)
    visit.scheduled_on = visit.technician_id = visit.planned_start = visit.route_order = None
    visit.window_start = visit.window_end = None
    visit.locked = False
    withdraw_confirmation(session, visit, actor=actor, now=now)
    messages.tell_change(session, visit, told, messages.Change.OFF, by_citizen=actor is None, now=now)


def unassign(session: Session, visit: Visit, *, actor, now: dt.datetime, note: str) -> None:
    """Back to the planner on its day (its technician cannot come): no technician, no time, no confirmation."""
    visit.technician_id = visit.planned_start = visit.route_order = None
    visit.locked = False
    withdraw_confirmation(session, visit, actor=actor, now=now)
    log(session, visit, actor=actor, now=now, from_status=visit.status, note=note)


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


@dataclass(frozen=True)
class DoorTraining:
    """The training given at the door on a setup visit: the programme's checklist as the technician ticked it."""

    passed_items: frozenset[str]
    note: str = ""


def complete(session: Session, visit: Visit, *, actor, now: dt.datetime, training_given: DoorTraining | None = None
             ) -> None:
    """Done, with the stage guards of its kind: a setup only with every device of its kit in the home (and then the
    course is active and the training at the door recorded), a swap only with the faulty device collected and the
    replacement delivered, a pickup only when the home is empty."""
    _assigned_to(visit, actor)
    if visit.status == VisitStatus.DONE:
        return  # a double submission
    in_home = {d.tag for d in inventory.devices_in_home(session, visit.course_id)}
    GUARDS.get(visit.kind, lambda *_a: None)(session, visit, in_home)
    if visit.status == VisitStatus.SCHEDULED:
        start(session, visit, actor=actor, now=now)
    if visit.kind == VisitKind.SETUP:
        courses.mark_set_up(session, visit.course, actor=actor, now=now)
        _record_door_training(session, visit, training_given, actor=actor, now=now)
    move_visit(session, visit, VisitStatus.DONE, actor=actor, now=now)
    visit.finished_at = now


def _guard_setup(session: Session, visit: Visit, in_home: set[str]) -> None:
    kit_tags = allocation.kit_tags(session, visit)
    missing = sorted(kit_tags - in_home) if kit_tags else ["—"]
    if not kit_tags or missing:
        raise Conflict(N_("Scan every device of the kit into the home first: %(missing)s."),
                       missing=", ".join(missing))


def _guard_swap(session: Session, visit: Visit, in_home: set[str]) -> None:
    faulty = inventory.get_device_by_id(session, visit.swap_device_id) if visit.swap_device_id else None
    if faulty is not None and faulty.tag in in_home:
        raise Conflict(N_("Collect the faulty device %(tag)s first."), tag=faulty.tag)
    replacement = inventory.get_device_by_id(session, visit.replacement_device_id) \
        if visit.replacement_device_id else None
    if replacement is not None and replacement.tag not in in_home:
        raise Conflict(N_("Deliver the replacement %(tag)s first."), tag=replacement.tag)


def _guard_pickup(_session: Session, _visit: Visit, in_home: set[str]) -> None:
    if in_home:
        raise Conflict(N_("Collect every device first: %(missing)s. If one cannot be found, report the visit as not "
                          "done with “device missing”."), missing=", ".join(sorted(in_home)))


GUARDS = {VisitKind.SETUP: _guard_setup, VisitKind.SWAP: _guard_swap, VisitKind.PICKUP: _guard_pickup}


def _record_door_training(session: Session, visit: Visit, given: DoorTraining | None, *, actor,
                          now: dt.datetime) -> None:
    """The programme's checklist as ticked at the door becomes the citizen's training record (method: home visit);
    its follow-up conversation falls due after the programme's delay."""
    checklist = list(visit.course.programme.checklist or [])
    if not checklist:
        return
    passed = given.passed_items if given else frozenset()
    result = (TrainingResult.PASSED if passed >= set(checklist)
              else TrainingResult.PARTLY if passed else TrainingResult.NOT_PASSED)
    models = [{"id": d.model_id, "name": d.model} for d in inventory.devices_in_home(session, visit.course_id)]
    training.record_training(session, training.TrainingData(
        trainee_kind=TraineeKind.CITIZEN, trainer_id=actor.id, held_at=now, method=TrainingMethod.HOME_VISIT,
        result=result, answers=[training.ChecklistAnswer(item, item in passed) for item in checklist],
        course_id=visit.course_id, note=(given.note if given else "")[:500], device_models=_unique(models)),
        actor=actor, now=now)


def _unique(models: list[dict]) -> list[dict]:
    return list({m["id"]: m for m in models}.values())


@dataclass(frozen=True)
class FailureOutcome:
    """What the failure reason proposes to the person (shown as a one-click follow-up)."""

    propose_exclusion: bool = False
    paused_course: bool = False


def fail(session: Session, visit: Visit, *, reason: FailureReason, note: str, actor, now: dt.datetime,
         as_technician: bool = True, call_again_on: dt.date | None = None) -> FailureOutcome:
    """Failed with a required reason, which acts: hospitalised pauses the course until the day the helpdesk calls
    again; no mobile coverage proposes excluding the citizen with that reason. The visit goes back to the queue
    (requeued). A setup fails only with nothing it delivered left in the home."""
    if visit.status in (VisitStatus.FAILED, VisitStatus.REQUEUED) and visit.failure_reason == reason:
        return FailureOutcome()  # a double submission (the requeued visit is no longer on anyone's route)
    if as_technician:
        _assigned_to(visit, actor)
    if len(note) > 500:
        raise DomainError(N_("A note can be at most %(max)s characters."), field="note", max=500)
    if reason == FailureReason.HOSPITALISED and call_again_on is None and visit.course.paused_at is None:
        raise DomainError(N_("Give the day to call the citizen again."), field="call_again_on")
    _nothing_left_behind(session, visit)
    visit.failure_reason, visit.failure_note, visit.finished_at = reason, note.strip() or None, now  # listeners see it
    move_visit(session, visit, VisitStatus.FAILED, actor=actor, now=now, note=reason.value)
    paused = False
    if reason == FailureReason.HOSPITALISED and visit.course.paused_at is None and visit.course.end_reason is None:
        courses.pause_course(session, visit.course, reason=PauseReason.HOSPITALISED, note=note,
                             call_again_on=call_again_on, actor=actor, now=now)
        paused = True
    requeue(session, visit, actor=actor, now=now)
    if paused:  # nothing to book before the day the helpdesk calls again
        _not_before(visit, call_again_on)
    return FailureOutcome(propose_exclusion=reason == FailureReason.NO_COVERAGE, paused_course=paused)


def _nothing_left_behind(session: Session, visit: Visit) -> None:
    """A setup that failed leaves nothing in the home: the devices delivered on it are collected again first."""
    if visit.kind != VisitKind.SETUP or visit.course.activated_at is not None:
        return
    delivered = sorted(d.tag for d in inventory.devices_in_home(session, visit.course_id))
    if delivered:
        raise Conflict(N_("Collect what you delivered (%(tags)s) first: a visit that could not be done leaves "
                          "nothing in the home."), tags=", ".join(delivered))


def _not_before(visit: Visit, day: dt.date) -> None:
    span = visit.latest_on - visit.earliest_on
    if visit.earliest_on < day:
        visit.earliest_on, visit.latest_on = day, day + max(span, dt.timedelta(days=14))


def requeue(session: Session, visit: Visit, *, actor, now: dt.datetime) -> None:
    move_visit(session, visit, VisitStatus.REQUEUED, actor=actor, now=now)
    visit.scheduled_on = visit.technician_id = visit.planned_start = visit.route_order = None
    withdraw_confirmation(session, visit, actor=actor, now=now)
    visit.locked = False
    today = local_date(now)
    if visit.latest_on < today:  # the requested period has passed: keep it open for the coming two weeks
        visit.earliest_on, visit.latest_on = today, today + dt.timedelta(days=14)
    elif visit.earliest_on < today:
        visit.earliest_on = today


def cancel(session: Session, visit: Visit, *, actor, now: dt.datetime, note: str = "") -> None:
    """Cancel an open visit; what was reserved for it (a kit, a replacement) goes back to stock, and the citizen's
    confirmation text is withdrawn; a citizen who was told of its day is told it is cancelled (a receipt when she
    cancelled it herself). A pickup is not cancelled while devices are still in the home."""
    if visit.kind == VisitKind.PICKUP and visit.course.end_reason is not None and \
            inventory.devices_in_home(session, visit.course_id):
        raise Conflict(N_("Devices are still in the home: the pickup stays. If they cannot be collected, report "
                          "them lost."))
    told = messages.retract(session, visit)
    allocation.release_reservations(session, visit, actor=actor, now=now, note=note.strip()[:500] or None)
    withdraw_confirmation(session, visit, actor=actor, now=now)
    move_visit(session, visit, VisitStatus.CANCELLED, actor=actor, now=now, note=note.strip()[:500] or None)
    messages.tell_change(session, visit, told, messages.Change.CANCELLED, by_citizen=actor is None, now=now)
