"""Programmes and courses: the minimal operations inventory needs (the courses issue adds the rest)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicecenter.audit.service import record_event
from servicecenter.courses.models import Course, CourseStatus, Programme
from servicecenter.errors import N_, NotFound

PROGRAMMES = [("COPD", "KOL (kronisk obstruktiv lungesygdom)"), ("HF", "Hjertesvigt"), ("WOUND", "Sårvurdering")]


def seed_programmes(session: Session) -> int:
    existing = set(session.scalars(select(Programme.code)))
    missing = [Programme(code=code, name=name) for code, name in PROGRAMMES if code not in existing]
    session.add_all(missing)
    session.flush()
    return len(missing)


def list_programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).order_by(Programme.name)))


def get_course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(N_("No such course."))
    return course


def list_citizen_courses(session: Session, citizen_id: int) -> list[Course]:
    return list(session.scalars(select(Course).where(Course.citizen_id == citizen_id).order_by(Course.id.desc())))


def open_course(session: Session, *, citizen_id: int, programme_id: int, actor, now: dt.datetime) -> Course:
    course = Course(citizen_id=citizen_id, programme_id=programme_id, status=CourseStatus.REFERRED, created_at=now)
    session.add(course)
    session.flush()
    record_event(session, actor=actor, action="course.create", entity_type="course", entity_id=course.id,
                 citizen_id=citizen_id, now=now)
    return course
