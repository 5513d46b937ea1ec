"""Dispatch's part of the citizen timeline: each visit's requests, bookings, results and failures."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from dispatch.models import FailureReason, Visit, VisitEvent
from dispatch.service.visits import FAILURE_LABELS, KIND_LABELS, VISIT_STATUS
from servicecenter.auth.models import User
from servicecenter.errors import N_, Msgid
from servicecenter.timeline import Cursor, Entry, keyset_params, keyset_position, older_than_bound

SOURCE = "visit"
ACTOR = aliased(User)


def _entry(event) -> Entry:
    """`event` is a row of the query below: the event's columns with the visit's kind and the actor's name."""
    status = Msgid(VISIT_STATUS.labels.get(event.to_status, N_("unknown")))
    params = {"kind": Msgid(KIND_LABELS[event.kind]), "status": status}
    if event.from_status is None:
        message = N_("%(kind)s visit requested")
    elif event.from_status == event.to_status:
        message = N_("%(kind)s visit: %(note)s")
        params["note"] = Msgid(event.note or "")  # the system's notes are msgids; a person's text passes through
    elif event.note in set(FailureReason):
        message = N_("%(kind)s visit %(status)s: %(reason)s")
        params["reason"] = Msgid(FAILURE_LABELS[FailureReason(event.note)])
    elif event.note:
        message = N_("%(kind)s visit %(status)s: %(reason)s")
        params["reason"] = Msgid(event.note)
    else:
        message = N_("%(kind)s visit %(status)s")
    return Entry(event.at, SOURCE, event.id, "visit", message, params, actor=event.actor)


@cache
def _query(position: str):
    return (select(VisitEvent.id, VisitEvent.at, VisitEvent.from_status, VisitEvent.to_status, VisitEvent.note,
                   Visit.kind, ACTOR.full_name.label("actor"))
            .join(Visit, Visit.id == VisitEvent.visit_id).outerjoin(ACTOR, ACTOR.id == VisitEvent.actor_id)
            .where(VisitEvent.citizen_id == bindparam("citizen_id"),
                   older_than_bound(VisitEvent.at, VisitEvent.id, position))
            .order_by(VisitEvent.at.desc(), VisitEvent.id.desc()).limit(bindparam("page")))


def visit_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                  categories: set[str]) -> list[Entry]:
    if "visit" not in categories:
        return []
    rows = session.execute(_query(keyset_position(SOURCE, before)),
                           {"citizen_id": citizen_id, "page": limit + 1, **keyset_params(before)}).all()
    return [_entry(row) for row in rows]


visit_entries.categories = ("visit",)
