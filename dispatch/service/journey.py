"""Dispatch's part of the citizen's journey: the facts the course's state is derived from (its visits), what
happens when a person ends a course (open visits cancelled, the pickup made), when everything is back (an unneeded
pickup cancelled), and which devices dispatch counts on for a home (for `flask inventory verify`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitKind, VisitStatus
from dispatch.service.visits import OPEN, VisitRequest, cancel, create_visit, open_visits_of_course
from inventory import service as inventory
from inventory.models import Device, Holder
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import local_date
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
    longer needed."""
    if course.status != CourseStatus.ENDED:
        return
    for visit in open_visits_of_course(session, course.id):
        if visit.kind == VisitKind.PICKUP and visit.status in NOT_STARTED:
            cancel(session, visit, actor=actor, now=now, note=N_("everything is back"))


def reservation_claims(session: Session) -> list[tuple[int, int, str]]:
    """(device, home, what) for every device an open visit counts on: a setup's kit, a swap's replacement."""
    kits = session.execute(
        select(Device.id, Holder.id, Visit.id).join(Visit, Visit.kit_id == Device.kit_id)
        .outerjoin(Holder, Holder.course_id == Visit.course_id)
        .where(Visit.kind == VisitKind.SETUP, Visit.status.in_(OPEN)))
    spares = session.execute(
        select(Visit.replacement_device_id, Holder.id, Visit.id)
        .outerjoin(Holder, Holder.course_id == Visit.course_id)
        .where(Visit.replacement_device_id.is_not(None), Visit.status.in_(OPEN)))
    return [(device, home, f"in the kit of setup visit {visit}") for device, home, visit in kits] + [
        (device, home, f"the replacement of swap visit {visit}") for device, home, visit in spares]
