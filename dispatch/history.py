"""Dispatch's part of the citizen timeline: each visit's requests, bookings, results and failures."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dispatch.models import FailureReason, Visit, VisitEvent, VisitKind
from dispatch.service.visits import FAILURE_LABELS, KIND_LABELS, VISIT_STATUS
from servicecenter.auth.models import User
from servicecenter.errors import N_, Msgid
from servicecenter.timeline import Cursor, Entry, older_than

SOURCE = "visit"


def _entry(event: VisitEvent, kind: VisitKind, actor: str | None) -> Entry:
    status = Msgid(VISIT_STATUS.labels.get(event.to_status, N_("unknown")))
    params = {"kind": Msgid(KIND_LABELS[kind]), "status": status}
    if event.from_status is None:
        message = N_("%(kind)s visit requested")
    elif event.from_status == event.to_status:
        message = N_("%(kind)s visit: %(note)s")
        params["note"] = event.note or ""
    elif event.note in set(FailureReason):
        message = N_("%(kind)s visit %(status)s: %(reason)s")
        params["reason"] = Msgid(FAILURE_LABELS[FailureReason(event.note)])
    else:
        message = N_("%(kind)s visit %(status)s")
    return Entry(event.at, SOURCE, event.id, "visit", message, params, actor=actor)


def visit_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                  categories: set[str]) -> list[Entry]:
    if "visit" not in categories:
        return []
    actor = aliased(User)
    rows = session.execute(
        select(VisitEvent, Visit.kind, actor.full_name).join(Visit, Visit.id == VisitEvent.visit_id)
        .outerjoin(actor, actor.id == VisitEvent.actor_id)
        .where(VisitEvent.citizen_id == citizen_id, older_than(VisitEvent.at, VisitEvent.id, SOURCE, before))
        .order_by(VisitEvent.at.desc(), VisitEvent.id.desc()).limit(limit + 1)).all()
    return [_entry(*row) for row in rows]


visit_entries.categories = ("visit",)
