"""Coordination's part of the citizen timeline: the stages of a case of devices that did not come back."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from coordination.models import NonReturnEvent, NonReturnEventKind
from servicecenter.auth.models import User
from servicecenter.errors import N_
from servicecenter.timeline import Cursor, Entry, keyset_params, keyset_position, older_than_bound

SOURCE = "non_return"
ACTOR = aliased(User)
MESSAGES = {
    NonReturnEventKind.OPENED: N_("Devices not returned (case %(id)s): case opened"),
    NonReturnEventKind.REMINDER: N_("Devices not returned (case %(id)s): reminder sent by SMS"),
    NonReturnEventKind.CALL_TASK: N_("Devices not returned (case %(id)s): the helpdesk is asked to call"),
    NonReturnEventKind.ESCALATED: N_("Devices not returned (case %(id)s): escalated to the coordinator"),
    NonReturnEventKind.WRITE_OFF_PROPOSED: N_("Devices not returned (case %(id)s): write-off proposed"),
    NonReturnEventKind.WRITE_OFF_REJECTED: N_("Devices not returned (case %(id)s): write-off rejected"),
    NonReturnEventKind.WRITTEN_OFF: N_("Devices not returned (case %(id)s): written off as lost"),
    NonReturnEventKind.RETURNED: N_("Devices not returned (case %(id)s): every device is back"),
    NonReturnEventKind.FOUND: N_("Devices not returned (case %(id)s): reported found, a pickup is being booked"),
}
PERSONS_NOTE = (NonReturnEventKind.WRITE_OFF_PROPOSED, NonReturnEventKind.WRITE_OFF_REJECTED,
                NonReturnEventKind.WRITTEN_OFF, NonReturnEventKind.FOUND, NonReturnEventKind.ESCALATED)


@cache
def _query(position: str):
    """Built once per cursor position, executed with parameters (see servicecenter/timeline.py)."""
    return (select(NonReturnEvent.id, NonReturnEvent.kind, NonReturnEvent.at, NonReturnEvent.case_id,
                   NonReturnEvent.devices, NonReturnEvent.note, ACTOR.full_name)
            .outerjoin(ACTOR, ACTOR.id == NonReturnEvent.actor_id)
            .where(NonReturnEvent.citizen_id == bindparam("citizen_id"),
                   older_than_bound(NonReturnEvent.at, NonReturnEvent.id, position))
            .order_by(NonReturnEvent.at.desc(), NonReturnEvent.id.desc()).limit(bindparam("page")))


def non_return_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                       categories: set[str]) -> list[Entry]:
    if "equipment" not in categories:
        return []
    rows = session.execute(_query(keyset_position(SOURCE, before)),
                           {"citizen_id": citizen_id, "page": limit + 1, **keyset_params(before)}).all()
    return [Entry(at, SOURCE, event_id, "equipment", MESSAGES[kind], {"id": case_id},
                  note=(note if kind in PERSONS_NOTE else None) or devices or None, actor=actor,
                  link=("non_returns.case", {"case_id": case_id}))
            for event_id, kind, at, case_id, devices, note, actor in rows]


non_return_entries.categories = ("equipment",)
