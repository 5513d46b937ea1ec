"""Start-page panels of dispatch (flask-free loaders): visits to book and the plan for the coordinator and the
helpdesk, the technician's day, the nurse's requests, the warehouse's kits to pack. Each reads a fixed number of
statements, whatever the number of visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import PlanRun, Technician, Visit, VisitKind, VisitStatus
from dispatch.service.planning import next_plan_day, technician_day
from dispatch.service.technicians import technician_of_user
from dispatch.service.visits import newest_requests, requests_of
from servicecenter.auth.models import Role
from servicecenter.citizens.service import record_listed
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import LOCAL_ZONE, local_date
from servicecenter.startpage import counts

PACK_DAYS = 7  # booked setups this many days ahead need their kit packed
RECENT_REQUESTS = 5


@dataclass(frozen=True)
class PlanState:
    day: dt.date | None  # the next day with booked visits, today included
    booked: int = 0
    published: int = 0
    run: PlanRun | None = None


def plan_state(session: Session, today: dt.date) -> PlanState:
    """The day the planning page opens on (the same rule), with its booked and published visits and latest run."""
    day = next_plan_day(session, today)
    on_day = select(Visit.id).where(Visit.scheduled_on == day, Visit.status == VisitStatus.SCHEDULED)
    found = counts(session, booked=on_day, published=on_day.where(Visit.published_at.is_not(None)))
    run = session.scalar(select(PlanRun).where(PlanRun.day == day).order_by(PlanRun.id.desc()).limit(1))
    if not found["booked"] and run is None:
        return PlanState(None)  # nothing booked from today on
    return PlanState(day, found["booked"], found["published"], run)


def dispatch_overview(session: Session, user, now: dt.datetime, *, overdue_days: int) -> dict:
    """Visits to book and failed ones; for the coordinator also the plan and the overdue pickups."""
    today = local_date(now)
    cutoff = dt.datetime.combine(today - dt.timedelta(days=overdue_days), dt.time(), LOCAL_ZONE).astimezone(dt.UTC)
    found = counts(
        session,
        to_book=select(Visit.id).where(Visit.status.in_((VisitStatus.REQUESTED, VisitStatus.REQUEUED))),
        failed=select(Visit.id).where(Visit.status == VisitStatus.FAILED),
        overdue=select(Course.id).where(Course.status == CourseStatus.ENDING, Course.ended_at < cutoff))
    return {**found, "plan": plan_state(session, today) if user.role == Role.COORDINATOR else None}


@dataclass(frozen=True)
class TechnicianDay:
    technician: Technician | None
    day: dt.date
    stops: list[Visit]


def technician_today(session: Session, user, now: dt.datetime) -> TechnicianDay:
    """Today's stops in route order with their state; each citizen listed is a read."""
    day = local_date(now)
    technician = technician_of_user(session, user.id)
    stops = technician_day(session, technician, day) if technician else []
    record_listed(session, [v.citizen_id for v in stops], actor=user, now=now, action="citizen.list_route")
    return TechnicianDay(technician, day, stops)


def nurse_requests(session: Session, user, now: dt.datetime) -> dict:
    """Her organisation's latest requests that she may see, and how many are still open."""
    recent = newest_requests(session, user, now, limit=RECENT_REQUESTS)
    found = counts(session, open=requests_of(session, user, now).where(Visit.status.in_(
        (VisitStatus.REQUESTED, VisitStatus.REQUEUED, VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS))))
    record_listed(session, [v.citizen_id for v in recent], actor=user, now=now, action="citizen.list_requests")
    return {"recent": recent, **found}


def kits_to_pack(session: Session, _user, now: dt.datetime) -> dict:
    """Setups booked in the coming days: how many still have no kit reserved, and how many have."""
    today = local_date(now)
    booked = select(Visit.id).where(Visit.kind == VisitKind.SETUP, Visit.status == VisitStatus.SCHEDULED,
                                    Visit.scheduled_on >= today, Visit.scheduled_on <= today + dt.timedelta(PACK_DAYS))
    return {**counts(session, without_kit=booked.where(Visit.kit_id.is_(None)),
                     with_kit=booked.where(Visit.kit_id.is_not(None))), "days": PACK_DAYS}
