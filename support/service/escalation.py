"""The scheduler's part: tickets whose running deadline has passed are escalated once per deadline (an event on
the ticket, shown in the queue), and the stored deadlines are recomputed when the SLA settings change."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicecenter.audit.service import record_event
from support.models import EventKind, Ticket
from support.service.settings import load_settings
from support.service.tickets import _log, refresh_sla

log = logging.getLogger(__name__)
BATCH = 500


def escalate_breached(session: Session, *, now: dt.datetime) -> list[int]:
    """Mark the breached, not yet escalated tickets (at most BATCH a run); returns their ids."""
    tickets = list(session.scalars(
        select(Ticket).where(Ticket.is_active.is_(True), Ticket.sla_due_at <= now, Ticket.escalated_at.is_(None))
        .order_by(Ticket.sla_due_at, Ticket.id).limit(BATCH)
        .with_for_update(of=Ticket, skip_locked=True)))  # one an agent is saving right now waits for the next run
    for ticket in tickets:
        target = "first_response" if ticket.first_response_at is None else "resolution"
        ticket.escalated_at = now
        _log(session, ticket, EventKind.ESCALATED, actor=None, now=now,
             data={"target": target, "due": ticket.sla_due_at.isoformat()})
        record_event(session, actor=None, action="ticket.escalate", entity_type="ticket", entity_id=ticket.id,
                     now=now, detail={"target": target})
        log.warning("ticket %d breached its %s target (due %s)", ticket.id, target, ticket.sla_due_at.isoformat())
    return [t.id for t in tickets]


def recompute_active(session: Session, *, now: dt.datetime) -> int:
    """Recompute every active ticket's stored deadlines from its log (after the settings changed)."""
    settings = load_settings(session)
    count, last_id = 0, 0
    while True:
        batch = list(session.scalars(select(Ticket).where(Ticket.is_active.is_(True), Ticket.id > last_id)
                                     .order_by(Ticket.id).limit(BATCH).with_for_update(of=Ticket)))
        for ticket in batch:
            refresh_sla(session, ticket, now=now, settings=settings)
        count += len(batch)
        if len(batch) < BATCH:
            return count
        last_id = batch[-1].id
