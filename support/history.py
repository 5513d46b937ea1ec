"""Support's part of the citizen timeline: tickets opened, resolved or closed, and their swap visits."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from servicecenter.auth.models import User
from servicecenter.errors import N_, Msgid
from servicecenter.timeline import Cursor, Entry, keyset_params, keyset_position, older_than_bound
from support.models import EventKind, Ticket, TicketEvent
from support.service.tickets import CATEGORY_LABELS, TICKET_STATUS

SOURCE = "ticket"
SHOWN = (EventKind.CREATED, EventKind.STATUS, EventKind.SWAP_REQUESTED, EventKind.SWAP_DONE, EventKind.VISIT_REQUESTED,
         EventKind.VISIT_DONE, EventKind.MERGED_INTO)
ACTOR = aliased(User)


def _entry(event_id, kind, at, status, body, data, ticket_id, subject, category, actor) -> Entry:
    params = {"id": ticket_id, "category": Msgid(CATEGORY_LABELS[category])}
    note = None
    if kind == EventKind.CREATED:
        message, note = N_("Ticket #%(id)s (%(category)s) opened"), subject
    elif kind == EventKind.STATUS:
        message = N_("Ticket #%(id)s: %(status)s")
        params["status"] = Msgid(TICKET_STATUS.labels.get(status, N_("unknown")))
    elif kind == EventKind.SWAP_REQUESTED:
        message = N_("Ticket #%(id)s: swap visit requested for %(device)s")
        params["device"] = (data or {}).get("device", "—")
    elif kind == EventKind.SWAP_DONE:
        message = N_("Ticket #%(id)s: swap done")
    elif kind == EventKind.VISIT_REQUESTED:
        message = N_("Ticket #%(id)s: service visit requested")
    elif kind == EventKind.VISIT_DONE:
        message = N_("Ticket #%(id)s: service visit done")
    else:
        message = N_("Ticket #%(id)s merged into #%(other)s")
        params["other"] = (data or {}).get("ticket", "—")
    return Entry(at, SOURCE, event_id, "ticket", message, params, note=note, actor=actor,
                 link=("support.ticket", {"ticket_id": ticket_id}))


@cache
def _query(position: str):
    """Built once per cursor position, executed with parameters (see servicecenter/timeline.py)."""
    return (select(TicketEvent.id, TicketEvent.kind, TicketEvent.at, TicketEvent.status, TicketEvent.body,
                   TicketEvent.data, Ticket.id, Ticket.subject, Ticket.category, ACTOR.full_name)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id).outerjoin(ACTOR, ACTOR.id == TicketEvent.actor_id)
            .where(TicketEvent.citizen_id == bindparam("citizen_id"), TicketEvent.kind.in_(SHOWN),
                   older_than_bound(TicketEvent.at, TicketEvent.id, position))
            .order_by(TicketEvent.at.desc(), TicketEvent.id.desc()).limit(bindparam("page")))


def ticket_entries(session: Session, citizen_id: int, *, before: Cursor | None, limit: int,
                   categories: set[str]) -> list[Entry]:
    if "ticket" not in categories:
        return []
    rows = session.execute(_query(keyset_position(SOURCE, before)),
                           {"citizen_id": citizen_id, "page": limit + 1, **keyset_params(before)}).all()
    return [_entry(*row) for row in rows]


ticket_entries.categories = ("ticket",)
