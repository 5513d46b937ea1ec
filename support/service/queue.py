"""The queues: mine, unassigned, breaching soon, breached, and one per group. Each is one index range in deadline
order, so a page costs the same statements and about the same time at 500 or 500,000 tickets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from support.models import Ticket

PER_PAGE = 50
COUNT_CAP = 100  # tab counts stop at "99+": counting every open ticket would cost more than the page itself
WARNING_REACH = dt.timedelta(days=7)  # a warning starts at most an hour of opening time before the deadline


@dataclass(frozen=True)
class QueuePage:
    tickets: list[Ticket]
    has_more: bool
    page: int


def _condition(view: str, *, user_id: int, now: dt.datetime, group_id: int | None = None) -> list:
    active = Ticket.is_active.is_(True)
    if view == "mine":
        return [Ticket.assignee_id == user_id, active]
    if view == "unassigned":
        return [Ticket.assignee_id.is_(None), active]
    if view == "breaching":
        return [active, Ticket.sla_due_at > now, Ticket.sla_due_at <= now + WARNING_REACH, Ticket.sla_warn_at <= now]
    if view == "breached":
        return [active, Ticket.sla_due_at <= now]
    if view == "group" and group_id is not None:
        return [Ticket.group_id == group_id, active]
    raise ValueError(view)


VIEWS = ("mine", "unassigned", "breaching", "breached")


def queue_page(session: Session, view: str, *, user_id: int, now: dt.datetime, page: int = 1,
               group_id: int | None = None) -> QueuePage:
    rows = list(session.scalars(
        select(Ticket).where(*_condition(view, user_id=user_id, now=now, group_id=group_id))
        .order_by(Ticket.sla_due_at, Ticket.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)))
    return QueuePage(rows[:PER_PAGE], len(rows) > PER_PAGE, page)


def queue_counts(session: Session, *, user_id: int, now: dt.datetime) -> dict[str, int]:
    """How many tickets each tab holds, up to COUNT_CAP, in one statement."""
    def capped(view: str):
        inner = select(Ticket.id).where(*_condition(view, user_id=user_id, now=now)).limit(COUNT_CAP).subquery()
        return select(func.count()).select_from(inner).scalar_subquery()

    row = session.execute(select(*(capped(v).label(v) for v in VIEWS))).one()
    return dict(zip(VIEWS, row, strict=True))
