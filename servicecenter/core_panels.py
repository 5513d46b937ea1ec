"""Start-page panels of the core (flask-free loaders): handovers waiting for our answer, follow-ups due for the
nurse's citizens, the citizens she opened lately."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicecenter.auth.models import Role
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import list_recently_opened, record_listed, sees
from servicecenter.courses.models import Course, Handover, HandoverStatus
from servicecenter.db import local_date
from servicecenter.startpage import COUNT_CAP, Panel, counts
from servicecenter.training.models import TrainingRecord
from servicecenter.training.service import open_follow_up

FOLLOW_UP_REACH = 7  # follow-ups due within a week are shown
LISTED = 5


def handovers_waiting(session: Session, user, _now: dt.datetime) -> dict[str, int]:
    """Offers to my organisation waiting for our answer (relay principle), capped."""
    return counts(session, waiting=select(Handover.id).where(Handover.to_organisation_id == user.organisation_id,
                                                              Handover.status == HandoverStatus.OFFERED))


def follow_ups_due(session: Session, user, now: dt.datetime) -> dict:
    """Follow-up conversations not held yet, due within a week, of running courses of citizens she may see: the
    first COUNT_CAP in due order in one statement, whose length is the (capped) count and whose head is the list."""
    due_by = local_date(now) + dt.timedelta(days=FOLLOW_UP_REACH)
    # Driven from the due date (the not-held follow-ups are one range of their index), then her citizens.
    due = list(session.scalars(
        select(TrainingRecord.id).join(Course, Course.id == TrainingRecord.course_id)
        .where(*open_follow_up(due_by), sees(session, user, now, Course.citizen_id, of_a_course=True))
        .order_by(TrainingRecord.follow_up_due_on, TrainingRecord.id).limit(COUNT_CAP)))
    listed = due[:LISTED]
    found = {r.id: (r, c) for r, c in session.execute(
        select(TrainingRecord, Course).join(Course, Course.id == TrainingRecord.course_id)
        .where(TrainingRecord.id.in_(listed)))}
    rows = [found[i] for i in listed if i in found]
    # The panel names each citizen: one statement loads them into the session, so `course.citizen` finds them there
    # rather than one lazy load per row (a joinedload in the query above cost PostgreSQL 0.7 s more at 100,000).
    list(session.scalars(select(Citizen).where(Citizen.id.in_([c.citizen_id for _r, c in rows]))))
    record_listed(session, [c.citizen_id for _r, c in rows], actor=user, now=now, action="citizen.list_follow_ups")
    return {"rows": rows, "today": local_date(now), "due": len(due)}


def recent_citizens(session: Session, user, now: dt.datetime) -> dict:
    return {"citizens": list_recently_opened(session, actor=user, now=now, limit=LISTED)}


PANELS = (
    Panel("citizens", frozenset({Role.NURSE}), 5, "start/citizens.html", recent_citizens),
    Panel("handovers", frozenset({Role.NURSE, Role.HELPDESK, Role.COORDINATOR}), 50, "start/handovers.html",
          handovers_waiting),
    Panel("follow_ups", frozenset({Role.NURSE}), 30, "start/follow_ups.html", follow_ups_due),
    # The KPI dashboard is issue 15's; until then the indicator pages that exist.
    Panel("indicators", frozenset({Role.COORDINATOR}), 60, "start/indicators.html"),
)
