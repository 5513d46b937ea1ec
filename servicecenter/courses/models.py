"""Programme (COPD, heart failure, ...), Course (a citizen on a programme) and the relay Handover of its lead."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.citizens.models import Citizen
from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum
from servicecenter.organisations.models import Organisation


class Programme(Base):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    follow_up_days: Mapped[int] = mapped_column(default=14)  # training -> follow-up conversation
    checklist: Mapped[list | None] = mapped_column(JSON)  # the competence items a training checks
    competence_months: Mapped[int] = mapped_column(default=24)  # how long a staff member's training holds


class CourseStatus(enum.StrEnum):
    REFERRED = "referred"  # a doctor referred the citizen; nothing allocated yet
    ALLOCATED = "allocated"  # equipment allocated (visitation)
    SETUP_SCHEDULED = "setup_scheduled"  # a setup visit is booked
    ACTIVE = "active"  # equipment works in the home; measurements flow
    PAUSED = "paused"  # e.g. hospitalised
    ENDED = "ended"  # with an end reason


class EndReason(enum.StrEnum):
    COMPLETED = "completed"
    DECEASED = "deceased"
    MOVED = "moved"
    DECLINED = "declined"
    EXCLUDED = "excluded"  # with an exclusion reason: counts against the inclusion rate


class ExclusionReason(enum.StrEnum):
    NO_COVERAGE = "no_coverage"  # no mobile broadband coverage at home
    UNABLE_TO_USE = "unable_to_use"  # unable to use the equipment
    NOT_CLINICALLY_RELEVANT = "not_clinically_relevant"
    OTHER = "other"


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus), default=CourseStatus.REFERRED)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    referred_by_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    referred_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    referred_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The lead actor (tovholder). The service never leaves it empty; it changes only when a handover is accepted.
    lead_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    end_reason: Mapped[EndReason | None] = mapped_column(str_enum(EndReason))
    exclusion_reason: Mapped[ExclusionReason | None] = mapped_column(str_enum(ExclusionReason, 30))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    is_sensitive: Mapped[bool] = mapped_column(default=False)  # deceased: no reminders to the citizen

    citizen: Mapped[Citizen] = relationship()
    programme: Mapped[Programme] = relationship(lazy="joined")
    lead_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[lead_organisation_id])
    referred_by_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[referred_by_organisation_id])


class HandoverStatus(enum.StrEnum):
    OFFERED = "offered"  # the current lead offered; responsibility has not moved
    ACCEPTED = "accepted"  # the receiver actively accepted: now the lead
    DECLINED = "declined"  # the receiver said no, with a reason; the lead stays
    WITHDRAWN = "withdrawn"  # the offering lead took it back


class Handover(Base):
    """The relay principle: lead responsibility moves only when the receiver actively accepts."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[HandoverStatus] = mapped_column(str_enum(HandoverStatus), default=HandoverStatus.OFFERED)
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    offered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(String(500))

    course: Mapped[Course] = relationship()
    from_organisation: Mapped[Organisation] = relationship(foreign_keys=[from_organisation_id])
    to_organisation: Mapped[Organisation] = relationship(foreign_keys=[to_organisation_id])

    __table_args__ = (
        Index("ix_handovers_to_status", "to_organisation_id", "status"),
        # At most one offer waiting per course, whatever two people do at the same moment.
        Index("uq_handovers_one_open_offer", "course_id", unique=True, sqlite_where=text("status = 'offered'"),
              postgresql_where=text("status = 'offered'")),
    )


class CourseEventKind(enum.StrEnum):
    REFERRED = "referred"
    STATUS = "status"  # from_status -> to_status
    ENDED = "ended"  # with the end reason (and exclusion reason) in `reason`
    HANDOVER_OFFERED = "handover_offered"
    HANDOVER_ACCEPTED = "handover_accepted"
    HANDOVER_DECLINED = "handover_declined"
    HANDOVER_WITHDRAWN = "handover_withdrawn"


class CourseEvent(AppendOnly, Base):
    """The course's own history for the citizen timeline: referral, status changes, handovers. Written in the same
    transaction as the change it explains; never updated, never deleted."""

    __tablename__ = "course_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    kind: Mapped[CourseEventKind] = mapped_column(str_enum(CourseEventKind, 30))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))  # referrer / receiver
    reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_course_events_citizen_at", "citizen_id", "at", "id"),)
