"""The courses' part of the citizen timeline: referral, status changes, ending and handovers of the lead."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from servicecenter.auth.models import User
from servicecenter.courses.models import (
    Course,
    CourseEvent,
    CourseEventKind,
    EndReason,
    ExclusionReason,
    PauseReason,
    Programme,
)
from servicecenter.courses.service import (
    COURSE_STATUS,
    END_REASON_LABELS,
    EXCLUSION_REASON_LABELS,
    PAUSE_REASON_LABELS,
)
from servicecenter.errors import N_, Msgid
from servicecenter.organisations.models import Organisation
from servicecenter.timeline import Cursor, Entry, keyset_params, keyset_position, older_than_bound

K = CourseEventKind
HANDOVER_KINDS = {K.HANDOVER_OFFERED, K.HANDOVER_ACCEPTED, K.HANDOVER_DECLINED, K.HANDOVER_WITHDRAWN}
MESSAGES = {
    K.REFERRED: N_("Referred to %(programme)s by %(organisation)s"),
    K.STATUS: N_("%(programme)s: from “%(from)s” to “%(to)s”"),
    K.ENDED: N_("%(programme)s ended: %(reason)s"),
    K.PAUSED: N_("%(programme)s paused: %(reason)s"),
    K.RESUMED: N_("%(programme)s resumed"),
    K.HANDOVER_OFFERED: N_("%(programme)s: the lead is offered to %(organisation)s"),
    K.HANDOVER_ACCEPTED: N_("%(programme)s: %(organisation)s accepted the lead"),
    K.HANDOVER_DECLINED: N_("%(programme)s: %(organisation)s declined the lead"),
    K.HANDOVER_WITHDRAWN: N_("%(programme)s: the offer to %(organisation)s was withdrawn"),
}
SOURCE = "course"
ACTOR = aliased(User)


def _reason(value: str | None, kind: CourseEventKind) -> Msgid:
    if kind == K.PAUSED:
        return Msgid(PAUSE_REASON_LABELS[PauseReason(value)]) if value in set(PauseReason) else Msgid(N_("unknown"))
    if value in set(ExclusionReason):
        return Msgid(EXCLUSION_REASON_LABELS[ExclusionReason(value)])
    return Msgid(END_REASON_LABELS[EndReason(value)]) if value in set(EndReason) else Msgid(N_("unknown"))


def _status(value: str | None):
    return Msgid(COURSE_STATUS.labels[value]) if value in COURSE_STATUS.labels else "—"


def _entry(event) -> Entry:
    """`event` is a row of the query below: the event's columns with the programme's, organisation's and actor's
    names."""
    params = {"programme": event.programme, "organisation": event.organisation or "—"}
    if event.kind == K.STATUS:
        params.update({"from": _status(event.from_status), "to": _status(event.to_status)})
    if event.kind in (K.ENDED, K.PAUSED):
        params["reason"] = _reason(event.reason, event.kind)
    note = event.reason if event.kind == K.HANDOVER_DECLINED else None
    return Entry(event.at, SOURCE, event.id, "handover" if event.kind in HANDOVER_KINDS else "course",
                 MESSAGES[event.kind], params, note=note, actor=event.actor,
                 link=("courses.view", {"course_id": event.course_id}))


@cache
def _query(position: str):
    """Plain columns, not CourseEvent records: building 51 ORM objects a page costs more than the query."""
    return (select(CourseEvent.id, CourseEvent.course_id, CourseEvent.kind, CourseEvent.at, CourseEvent.from_status,
                   CourseEvent.to_status, CourseEvent.reason, Programme.name.label("programme"),
                   Organisation.name.label("organisation"), ACTOR.full_name.label("actor"))
            .join(Course, Course.id == CourseEvent.course_id).join(Programme, Programme.id == Course.programme_id)
            .outerjoin(Organisation, Organisation.id == CourseEvent.organisation_id)
            .outerjoin(ACTOR, ACTOR.id == CourseEvent.actor_id)
            .where(CourseEvent.citizen_id == bindparam("citizen_id"),
                   CourseEvent.kind.in_(bindparam("kinds", expanding=True)),
                   older_than_bound(CourseEvent.at, CourseEvent.id, position))
            .order_by(CourseEvent.at.desc(), CourseEvent.id.desc()).limit(bindparam("page")))


def course_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                   categories: set[str]) -> list[Entry]:
    kinds = (set(K) - HANDOVER_KINDS if "course" in categories else set()) | (
        HANDOVER_KINDS if "handover" in categories else set())
    if not kinds:
        return []
    rows = session.execute(_query(keyset_position(SOURCE, before)), {
        "citizen_id": citizen_id, "kinds": sorted(kinds), "page": limit + 1, **keyset_params(before)}).all()
    return [_entry(row) for row in rows]


course_entries.categories = ("course", "handover")
