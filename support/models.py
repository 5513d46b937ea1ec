"""Tickets with their append-only event log, support groups, SLA settings, canned responses and the knowledge
base."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.auth.models import User
from servicecenter.citizens.models import Citizen
from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum

# The sort key of a ticket whose clocks are stopped (waiting) or met: after every running deadline. Far from the
# end of the calendar, so converting it to local time never overflows.
NO_DEADLINE = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


class TicketStatus(enum.StrEnum):  # the values are the SLA engine's (support/sla.py)
    NEW = "new"
    OPEN = "open"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_THIRD_PARTY = "waiting_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(enum.StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Channel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    PORTAL = "portal"
    WALK_IN = "walk_in"


class Category(enum.StrEnum):
    DEVICE_FAULT = "device_fault"
    CONNECTIVITY = "connectivity"
    HOW_TO = "how_to"
    LOGISTICS = "logistics"
    USER_ADMIN = "user_admin"
    MISSING_MEASUREMENTS = "missing_measurements"


class RequesterKind(enum.StrEnum):
    CITIZEN = "citizen"
    RELATIVE = "relative"
    NURSE = "nurse"
    STAFF = "staff"


class EventKind(enum.StrEnum):
    CREATED = "created"  # `at` is the time of the call (may be back-dated), the body the caller's words
    REPLY = "reply"  # to the requester; the first one meets the first-response target
    NOTE = "note"  # internal
    STATUS = "status"
    ASSIGNED = "assigned"
    PRIORITY = "priority"
    DEVICE = "device"  # the device the ticket is about was set or changed
    MERGED_INTO = "merged_into"  # on the duplicate
    MERGED_FROM = "merged_from"  # on the survivor
    LINKED = "linked"
    SWAP_REQUESTED = "swap_requested"
    SWAP_DONE = "swap_done"
    VISIT_REQUESTED = "visit_requested"  # a service visit booked from the ticket
    VISIT_DONE = "visit_done"
    ESCALATED = "escalated"  # the scheduler found a target breached


class SupportGroup(Base):
    __tablename__ = "support_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    round_robin: Mapped[bool] = mapped_column(default=False)
    last_assigned_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # where round-robin goes on
    is_active: Mapped[bool] = mapped_column(default=True)


class GroupMember(Base):
    __tablename__ = "support_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("support_groups.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    on_duty: Mapped[bool] = mapped_column(default=False)  # set by the agent: takes new tickets by round-robin

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_group_member"),)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    requester_kind: Mapped[RequesterKind] = mapped_column(str_enum(RequesterKind))
    requester_name: Mapped[str | None] = mapped_column(String(120))
    requester_phone: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    category: Mapped[Category] = mapped_column(str_enum(Category, 30))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, 2))
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, 30))
    group_id: Mapped[int] = mapped_column(ForeignKey("support_groups.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)  # the swap it waits for
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the time of the call (may be back-dated)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The SLA as computed from the event log at the last change (support/sla.py); stored so lists are indexed.
    is_active: Mapped[bool] = mapped_column(default=True)  # not resolved, closed or merged
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sla_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the nearest running deadline, or NO_DEADLINE
    sla_warn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # when "breaching soon" starts
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # for the deadline now in sla_due_at
    version: Mapped[int] = mapped_column(default=1)

    group: Mapped[SupportGroup] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[assignee_id])
    citizen: Mapped[Citizen | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - two people saving the same ticket: one loses
    __table_args__ = (
        # The queues: each is one index range in deadline order (mine, a group's, unassigned, breaching, breached).
        Index("ix_tickets_assignee_queue", "assignee_id", "is_active", "sla_due_at", "id"),
        Index("ix_tickets_group_queue", "group_id", "is_active", "sla_due_at", "id"),
        Index("ix_tickets_active_due", "is_active", "sla_due_at", "id"),
        # Unassigned: PostgreSQL does not walk the assignee index in deadline order for "assignee_id IS NULL" (it read
        # and sorted the whole unassigned backlog per page); a partial index is that order itself.
        Index("ix_tickets_unassigned_queue", "is_active", "sla_due_at", "id",
              postgresql_where=text("assignee_id IS NULL"), sqlite_where=text("assignee_id IS NULL")),
        # A ticket's page lists the tickets merged into it: without this, a scan of every ticket (few are merged).
        Index("ix_tickets_merged_into", "merged_into_id", postgresql_where=text("merged_into_id IS NOT NULL"),
              sqlite_where=text("merged_into_id IS NOT NULL")),
    )


class TicketEvent(AppendOnly, Base):
    """A ticket's history: the call, replies, notes, status and assignment changes. Never updated; the SLA is
    computed from it."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))  # for the citizen timeline
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # when it happened (a call may be logged later)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str | None] = mapped_column(String(30))  # STATUS: the new status
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)  # e.g. {"from": ..., "to": ...}, {"ticket": 12}

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_ticket_events_ticket", "ticket_id", "at", "id"),
        Index("ix_ticket_events_citizen_at", "citizen_id", "at", "id"),
    )


class TicketLink(Base):
    """Two related tickets (not duplicates); stored once, lower id first."""

    __tablename__ = "ticket_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("ticket_id", "other_id", name="uq_ticket_link"),)


class SlaPolicyRow(Base):
    """The targets of one priority, in minutes of business time (or elapsed time when not business_hours)."""

    __tablename__ = "sla_policies"

    priority: Mapped[Priority] = mapped_column(str_enum(Priority, 2), primary_key=True)
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    business_hours: Mapped[bool] = mapped_column(default=True)


class BusinessHoursRow(Base):
    """The service center's opening hours, local time (Europe/Copenhagen); Danish public holidays are closed."""

    __tablename__ = "business_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int]  # 0 = Monday
    opens: Mapped[dt.time]
    closes: Mapped[dt.time]


class CannedResponse(Base):
    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)  # may use {citizen_name}, {device}, {visit_time}
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Article(Base):
    """A knowledge-base article for a device model and/or a category, in Danish and English."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_model_id: Mapped[int | None] = mapped_column(ForeignKey("device_models.id"), index=True)
    category: Mapped[Category | None] = mapped_column(str_enum(Category, 30), index=True)
    title_da: Mapped[str] = mapped_column(String(200))
    body_da: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(String(200))
    body_en: Mapped[str] = mapped_column(Text)
    helpful_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ArticleVote(AppendOnly, Base):
    """One person marked an article helpful (once per person and article)."""

    __tablename__ = "kb_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("article_id", "user_id", name="uq_kb_vote"),)
