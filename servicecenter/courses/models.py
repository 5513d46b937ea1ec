"""Programme (COPD, heart failure, ...), Course (a citizen on a programme) and the relay Handover of its lead."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, text
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
    """Derived from the journey (servicecenter.courses.journey), never set by hand; pausing and ending are the
    human decisions it follows."""

    REFERRED = "referred"  # a doctor referred the citizen; nothing reserved yet
    ALLOCATED = "allocated"  # a kit is reserved for the setup visit (visitation)
    SETUP_SCHEDULED = "setup_scheduled"  # the setup visit is booked on a day
    ACTIVE = "active"  # the setup visit was done with every device of the kit in the home
    PAUSED = "paused"  # paused by a person, with a reason (e.g. hospitalised) and a day to call again
    ENDING = "ending"  # ended by a person, with a reason; devices are still in the home (the pickup is open)
    ENDED = "ended"  # ended, and every device is back


class PauseReason(enum.StrEnum):
    HOSPITALISED = "hospitalised"
    AWAY = "away"  # travelling, staying elsewhere for a while
    CITIZEN_REQUEST = "citizen_request"
    OTHER = "other"


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


OPEN_COURSE = "status NOT IN ('ending', 'ended')"  # ending: ended by a person, the pickup still open


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
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # the decision to end (devices may be out)
    is_sensitive: Mapped[bool] = mapped_column(default=False)  # deceased: no reminders to the citizen
    # When the setup visit was done with the whole kit in the home (the lead time ends here).
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # set while paused, with its reason
    pause_reason: Mapped[PauseReason | None] = mapped_column(str_enum(PauseReason))
    pause_note: Mapped[str | None] = mapped_column(String(500))
    call_again_on: Mapped[dt.date | None] = mapped_column(Date)  # paused: the day the helpdesk calls again

    citizen: Mapped[Citizen] = relationship()
    programme: Mapped[Programme] = relationship(lazy="joined")
    lead_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[lead_organisation_id])
    referred_by_organisation: Mapped[Organisation | None] = relationship(foreign_keys=[referred_by_organisation_id])

    __table_args__ = (
        # At most one open course per citizen and programme, whatever two people (or two tabs) do at once.
        Index("uq_courses_one_open_per_programme", "citizen_id", "programme_id", unique=True,
              sqlite_where=text(OPEN_COURSE), postgresql_where=text(OPEN_COURSE)),
        Index("ix_courses_status_ended", "status", "ended_at"),  # overdue pickups on the start pages
    )


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
    PAUSED = "paused"  # with the pause reason (and the day to call again) in `reason`
    RESUMED = "resumed"


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
