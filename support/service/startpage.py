"""The helpdesk's and the coordinator's start-page panels of the ticket queue (flask-free loaders)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from support.service.queue import queue_counts


def ticket_counts(session: Session, user, now: dt.datetime) -> dict[str, int]:
    """My tickets, unassigned, breaching soon, breached: one statement, capped."""
    return queue_counts(session, user_id=user.id, now=now)
