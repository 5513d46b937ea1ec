"""Dispatch's part of the citizen's journey: the facts the course's state is derived from (its visits), what
happens when a person ends a course (open visits cancelled, the pickup made), when everything is back (an unneeded
pickup cancelled), which devices dispatch counts on for a home (for `flask inventory verify`), and the pickups that
are overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitKind, VisitStatus
from dispatch.service.visits import OPEN, VisitRequest, cancel, create_visit, open_visits_of_course, unbook
from inventory import service as inventory
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import LOCAL_ZONE, local_date
from servicecenter.errors import N_, Conflict

V = VisitStatus
NOT_STARTED = (V.REQUESTED, V.REQUEUED, V.SCHEDULED)


def visit_facts(session: Session, course_ids: Sequence[int]) -> dict[int, dict]:
    """Per course: is a kit reserved, is the setup booked, at the door, done; is a pickup open; other open visits.
    One statement for the chunk: the open visits and the done setups."""
    rows = session.execute(select(Visit.course_id, Visit.kind, Visit.status, Visit.kit_id).where(
        Visit.course_id.in_(course_ids),
        Visit.status.in_(OPEN) | ((Visit.kind == VisitKind.SETUP) & (Visit.status == V.DONE))))
    facts: dict[int, dict] = {}
    for course_id, kind, status, kit_id in rows:
        f = facts.setdefault(course_id, {"other_visits_open": 0})
        if kind == VisitKind.SETUP:
            f["setup_done"] = f.get("setup_done", False) or status == V.DONE
            f["setup_booked"] = f.get("setup_booked", False) or status in (V.SCHEDULED, V.IN_PROGRESS)
            f["setup_at_door"] = f.get("setup_at_door", False) or status == V.IN_PROGRESS
            f["kit_reserved"] = f.get("kit_reserved", False) or (status in OPEN and kit_id is not None)
        if kind == VisitKind.PICKUP and status in OPEN:
            f["pickup_open"] = True
        elif status in OPEN:
            f["other_visits_open"] += 1
    return facts


def on_course_ended(session: Session, course: Course, *, actor, now: dt.datetime) -> Visit | None:
    """A person ended the course: nothing else is going to happen in that home, so its open visits are cancelled
    (what was reserved for them goes back to stock); with devices in the home, one pickup visit is made. Refused
    while a technician is at the door."""
    open_visits = open_visits_of_course(session, course.id)
    if any(v.status == V.IN_PROGRESS and v.kind != VisitKind.PICKUP for v in open_visits):
        raise Conflict(N_("A technician is at the citizen's door now: end the course when the visit is finished."))
    for visit in open_visits:
        if visit.kind != VisitKind.PICKUP:
            cancel(session, visit, actor=actor, now=now, note=N_("the course ended"))
    if not inventory.devices_in_home(session, course.id):
        return None
    if any(v.kind == VisitKind.PICKUP for v in open_visits):
        return None
    today = local_date(now)
    request = VisitRequest(earliest_on=today, latest_on=today + dt.timedelta(days=14),
                           relative_present=course.is_sensitive)
    return create_visit(session, course, VisitKind.PICKUP, request, actor=actor, now=now, today=today)


def on_course_status(session: Session, course: Course, from_status: CourseStatus, *, actor, now: dt.datetime
                     ) -> None:
    """Everything is back (the relative brought the last device to the depot): a pickup not yet started is no
    longer needed. The course is paused (the citizen is in hospital, away): its booked visits go back to the queue,
    off the technicians' routes, until it is resumed."""
    if course.status == CourseStatus.ENDED:
        for visit in open_visits_of_course(session, course.id):
            if visit.kind == VisitKind.PICKUP and visit.status in NOT_STARTED:
                cancel(session, visit, actor=actor, now=now, note=N_("everything is back"))
    elif course.status == CourseStatus.PAUSED:
        for visit in open_visits_of_course(session, course.id):
            if visit.status == V.SCHEDULED:
                unbook(session, visit, actor=actor, now=now, note=N_("the course is paused"))


def reservation_claims(session: Session) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """What open visits count on, for inventory's check: (kit, course, what) for each setup's kit and (device,
    course, what) for each swap's replacement. Inventory finds the members and the homes."""
    kits = session.execute(select(Visit.kit_id, Visit.course_id, Visit.id).where(
        Visit.kind == VisitKind.SETUP, Visit.status.in_(OPEN), Visit.kit_id.is_not(None)))
    spares = session.execute(select(Visit.replacement_device_id, Visit.course_id, Visit.id).where(
        Visit.replacement_device_id.is_not(None), Visit.status.in_(OPEN)))
    return ([(kit, course, f"the kit of setup visit {visit}") for kit, course, visit in kits],
            [(device, course, f"the replacement of swap visit {visit}") for device, course, visit in spares])


@dataclass(frozen=True)
class OverduePickup:
    course: Course
    devices: int  # still in the home
    pickup: Visit | None  # the open pickup visit, if any


def overdue_pickups(session: Session, *, today: dt.date, days: int, page: int = 1, per_page: int = 50
                    ) -> tuple[list[OverduePickup], bool]:
    """Courses ended more than `days` days ago whose devices are still in the home, the longest overdue first,
    with their open pickup: three statements a page, whatever its length."""
    cutoff = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), LOCAL_ZONE).astimezone(dt.UTC)
    rows = list(session.scalars(select(Course).where(Course.status == CourseStatus.ENDING, Course.ended_at < cutoff)
                                .order_by(Course.ended_at, Course.id).offset((page - 1) * per_page)
                                .limit(per_page + 1)))
    shown = rows[:per_page]
    counts = inventory.home_facts(session, [c.id for c in shown])
    pickups = {v.course_id: v for v in session.scalars(select(Visit).where(
        Visit.course_id.in_([c.id for c in shown]), Visit.kind == VisitKind.PICKUP, Visit.status.in_(OPEN)))}
    return [OverduePickup(c, counts.get(c.id, {}).get("devices_in_home", 0), pickups.get(c.id)) for c in shown], \
        len(rows) > per_page
