"""Visits (setup, pickup, swap, ...), technicians with shifts, absences and skills, and planning runs."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.auth.models import User
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course
from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum


class VisitKind(enum.StrEnum):
    SETUP = "setup"
    PICKUP = "pickup"
    SWAP = "swap"
    SERVICE = "service"
    TRAINING = "training"
    FOLLOW_UP = "follow_up"


class VisitStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting to be booked and planned
    SCHEDULED = "scheduled"  # booked on a day (published: with a technician and a time)
    IN_PROGRESS = "in_progress"  # the technician is at the door
    DONE = "done"
    FAILED = "failed"  # with a reason, which may act (pause or propose exclusion)
    REQUEUED = "requeued"  # a failed visit back in the queue
    CANCELLED = "cancelled"


class FailureReason(enum.StrEnum):
    NOT_HOME = "not_home"
    HOSPITALISED = "hospitalised"
    DECLINED = "declined"
    WRONG_ADDRESS = "wrong_address"
    NO_ACCESS = "no_access"
    NO_COVERAGE = "no_coverage"
    DEVICE_MISSING = "device_missing"


class TimeOfDay(enum.StrEnum):
    ANY = "any"
    MORNING = "morning"  # 08-12
    AFTERNOON = "afternoon"  # 12-16


class CitizenRequest(enum.StrEnum):
    """What the citizen did with the link in the confirmation text (the helpdesk sees it in the queue)."""

    MOVED = "moved"  # chose another offered time: booked on it
    NO_TIME_FITS = "no_time_fits"  # none of the offered times: back in the queue, call the citizen


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[VisitKind] = mapped_column(str_enum(VisitKind))
    status: Mapped[VisitStatus] = mapped_column(str_enum(VisitStatus), default=VisitStatus.REQUESTED)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The requester's organisation when she asked (a nurse who moves on leaves her requests with it): its list.
    requested_by_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    earliest_on: Mapped[dt.date] = mapped_column(Date)
    latest_on: Mapped[dt.date] = mapped_column(Date)
    time_of_day: Mapped[TimeOfDay] = mapped_column(str_enum(TimeOfDay), default=TimeOfDay.ANY)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), default=Urgency.NORMAL)
    relative_present: Mapped[bool] = mapped_column(default=False)
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    hearing_needs: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    service_minutes: Mapped[int] = mapped_column(default=45)
    skills: Mapped[list] = mapped_column(JSON, default=list)  # e.g. ["programme:COPD", "spirometry"]
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("kits.id"))  # the kit reserved for a setup
    swap_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))  # a swap: the faulty device
    replacement_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))  # a swap: reserved for it
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), index=True)
    scheduled_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    window_start: Mapped[int | None]  # minutes after midnight, local time: the window promised to the citizen
    window_end: Mapped[int | None]
    planned_start: Mapped[int | None]  # minutes after midnight: the ETA from the published plan
    route_order: Mapped[int | None]
    locked: Mapped[bool] = mapped_column(default=False)  # the planner fixed it to its technician
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    confirmation_text: Mapped[str | None] = mapped_column(Text)
    offered_slots: Mapped[list | None] = mapped_column(JSON)  # [[iso day, start minute, end minute], ...]
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    citizen_request: Mapped[CitizenRequest | None] = mapped_column(str_enum(CitizenRequest))
    citizen_request_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    failure_reason: Mapped[FailureReason | None] = mapped_column(str_enum(FailureReason))
    failure_note: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    course: Mapped[Course] = relationship(lazy="joined")
    citizen: Mapped[Citizen] = relationship(lazy="joined")
    technician: Mapped[Technician | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - two people saving the same visit: one loses
    __table_args__ = (Index("ix_visits_status_earliest", "status", "earliest_on"),
                      # The visit queue's order read from the index alone (urgent, "no time fits", earliest):
                      Index("ix_visits_queue_order", "status", "urgency", "citizen_request", "earliest_on", "id"),
                      Index("ix_visits_requested_by_at", "requested_by_id", "requested_at"),
                      Index("ix_visits_requesting_organisation_at", "requested_by_organisation_id", "requested_at"),
                      Index("ix_visits_requesting_organisation_status", "requested_by_organisation_id", "status"),
                      Index("ix_visits_technician_day", "technician_id", "scheduled_on"),
                      Index("ix_visits_status_scheduled", "status", "scheduled_on"),  # the next day to plan
                      Index("ix_visits_kind_status", "kind", "status"),  # the setups booked (stock forecast)
                      Index("ix_visits_kind_finished", "kind", "finished_at"),  # a month's first setups (indicators)
                      Index("ix_visits_course_kind_finished", "course_id", "kind", "finished_at"))  # ... each one's
    # earlier setups: without it SQLite looks back through every setup ever finished, for each one


class VisitEvent(AppendOnly, Base):
    """A visit's history (status changes with reasons) for the citizen timeline; never updated."""

    __tablename__ = "visit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_visit_events_citizen_at", "citizen_id", "at", "id"),)


class Technician(Base):
    __tablename__ = "technicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("holders.id"))
    van_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))
    skills: Mapped[list] = mapped_column(JSON, default=list)  # extra skills, e.g. "spirometry"
    is_active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(lazy="joined")
    shifts: Mapped[list[Shift]] = relationship(cascade="all, delete-orphan", order_by="Shift.weekday")


class Shift(Base):
    """A weekly shift: weekday 0 = Monday, minutes after midnight, local time."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]

    __table_args__ = (UniqueConstraint("technician_id", "weekday", name="uq_shifts_technician_weekday"),)


class Absence(Base):
    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(120))


class PlanStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    PUBLISHED = "published"


class PlanRun(Base):
    """One optimisation of a day: its progress while it runs, then the routes and the unplanned visits."""

    __tablename__ = "plan_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), default=PlanStatus.RUNNING)
    progress: Mapped[float] = mapped_column(default=0.0)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[dict | None] = mapped_column(JSON)  # {"routes": [...], "unplanned": [...], "distance_m": ...}
    error: Mapped[str | None] = mapped_column(String(500))


class LinkUse(AppendOnly, Base):
    """Each use of a citizen confirmation link, by address (for the rate limit); no token, no visit stored."""

    __tablename__ = "link_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_link_uses_address_at", "address", "at"),)
