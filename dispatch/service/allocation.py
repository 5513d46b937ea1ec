"""Allocation: a setup reserves a ready kit at a depot; a pickup lists what the ledger says is in the home;
a course that ends gets its pickup visit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dispatch.models import Visit, VisitKind, VisitStatus
from dispatch.service.visits import VisitRequest, cancel, create_visit, open_visits_of_course
from inventory import service as inventory
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.errors import N_, DomainError


def depot_skill(depot_id: int) -> str:
    return f"depot:{depot_id}"


def allocate_kit(session: Session, visit: Visit, *, depot_id: int, actor, now: dt.datetime):
    """Reserve a complete ready kit of the course's programme at the depot for this setup (all members in one
    transaction); the visit can then only go to a technician working from that depot."""
    if visit.kind != VisitKind.SETUP:
        raise DomainError(N_("Only a setup visit gets a kit."))
    if visit.status not in (VisitStatus.REQUESTED, VisitStatus.REQUEUED, VisitStatus.SCHEDULED):
        raise DomainError(N_("The visit is no longer open."))
    if visit.kit_id is not None:
        raise DomainError(N_("A kit is already reserved for this visit."))
    kits = inventory.ready_kits(session, depot_id=depot_id, programme_id=visit.course.programme_id)
    if not kits:
        raise DomainError(N_("No complete, ready kit for %(programme)s at this depot."), field="depot_id",
                          programme=visit.course.programme.name)
    kit = kits[0]
    inventory.scan(session, "reserve", kit.tag, inventory.Context(actor=actor, now=now, visit_id=visit.id))
    visit.kit_id = kit.id
    visit.skills = [s for s in visit.skills if not s.startswith("depot:")] + [depot_skill(depot_id)]
    if visit.course.status == CourseStatus.REFERRED:
        courses.change_status(session, visit.course, CourseStatus.ALLOCATED, actor=actor, now=now)
    return kit


def release_kit(session: Session, visit: Visit, *, actor, now: dt.datetime) -> None:
    """Give the reserved kit back to the shelf (a cancelled setup)."""
    if visit.kit_id is None:
        return
    kit = inventory.get_kit(session, visit.kit_id)
    inventory.scan(session, "release", kit.tag, inventory.Context(actor=actor, now=now, visit_id=visit.id))
    visit.kit_id = None
    visit.skills = [s for s in visit.skills if not s.startswith("depot:")]


def kit_tags(session: Session, visit: Visit) -> set[str]:
    """The tags of the devices in the visit's kit (what a setup must leave in the home)."""
    if visit.kit_id is None:
        return set()
    return {device.tag for device in inventory.get_kit(session, visit.kit_id).members}


def create_pickup_for_ended_course(session: Session, course: Course, *, actor, now: dt.datetime) -> Visit | None:
    """A course that ends with devices in the home gets one pickup visit (none if one is already open)."""
    if not inventory.devices_in_home(session, course.id):
        return None
    if any(v.kind == VisitKind.PICKUP for v in open_visits_of_course(session, course.id)):
        return None
    for visit in open_visits_of_course(session, course.id):  # nothing else is going to happen in that home
        if visit.status in (VisitStatus.REQUESTED, VisitStatus.REQUEUED, VisitStatus.SCHEDULED):
            release_kit(session, visit, actor=actor, now=now)
            cancel(session, visit, actor=actor, now=now, note="course ended")
    today = now.date()
    request = VisitRequest(earliest_on=today, latest_on=today + dt.timedelta(days=14))
    return create_visit(session, course, VisitKind.PICKUP, request, actor=actor, now=now, today=today)
