"""The coordinator's figures: indicator cells per month (a cache of a recomputation, never typed in), and the monthly
steering-group reports with the deviations the coordinator explains before release."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum


class IndicatorCell(Base):
    """One count (and sum) of one indicator in one month for one programme and municipality (NULL: none applies).
    Written only by `indicators.refresh`, which replaces a month's cells in one transaction from a full
    recomputation; `flask coordination verify` proves the stored cells equal a recomputation."""

    __tablename__ = "indicator_cells"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)  # the first day of the (local) month
    indicator: Mapped[str] = mapped_column(String(30))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    key: Mapped[str] = mapped_column(String(30), default="")  # a reason, a priority, a bucket
    n: Mapped[int]
    total: Mapped[float] = mapped_column(default=0.0)

    __table_args__ = (Index("ix_indicator_cells_month_indicator", "month", "indicator"),)


class MonthComputed(Base):
    """When each month's cells were last recomputed (the dashboard says how fresh its figures are)."""

    __tablename__ = "indicator_months"

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"  # generated; the coordinator writes a cause and an action for each deviation
    RELEASED = "released"  # frozen: the PDF is kept byte for byte and never regenerated


class MonthlyReport(Base):
    __tablename__ = "monthly_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus), default=ReportStatus.DRAFT)
    generated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the last change (a cause written)
    figures: Mapped[str] = mapped_column(Text)  # the figures as JSON, as computed when generated
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)  # set at release, never changed after
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    released_by = relationship("User", lazy="joined")
    deviations: Mapped[list[Deviation]] = relationship(order_by="Deviation.id", back_populates="report")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - two coordinators editing: one loses, told so
    __table_args__ = (UniqueConstraint("month", name="uq_monthly_reports_month"),)


class Deviation(Base):
    """A figure that missed its target in the report's month, found by the rules, with the coordinator's cause and
    proposed action (both required before release)."""

    __tablename__ = "report_deviations"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monthly_reports.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40))  # e.g. "inclusion_rate", "sla:P1"
    value: Mapped[float]
    target: Mapped[float]
    cause: Mapped[str | None] = mapped_column(String(1000))
    action: Mapped[str | None] = mapped_column(String(1000))
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    report: Mapped[MonthlyReport] = relationship(back_populates="deviations")


class NonReturnStage(enum.StrEnum):
    """Where the case of a home's devices that did not come back stands. The open stages follow one another, each
    started by the job on its working day; RETURNED is derived from the ledger (every device back), WRITTEN_OFF is a
    coordinator's approval of the proposed write-off."""

    REMINDED = "reminded"  # the first reminder is sent (or a call is asked of the helpdesk)
    REMINDED_AGAIN = "reminded_again"
    ESCALATED = "escalated"  # with the coordinator
    WRITE_OFF_PROPOSED = "write_off_proposed"  # awaiting a coordinator's approval
    RETURNED = "returned"  # closed: every device is back
    WRITTEN_OFF = "written_off"  # closed: the devices still out are lost in the ledger


OPEN_STAGES = (NonReturnStage.REMINDED, NonReturnStage.REMINDED_AGAIN, NonReturnStage.ESCALATED,
               NonReturnStage.WRITE_OFF_PROPOSED)


class NonReturnTrigger(enum.StrEnum):
    COURSE_ENDED = "course_ended"  # the course ended and its devices stayed in the home past the grace days
    PICKUP_FAILED = "pickup_failed"  # a pickup visit failed


class NonReturnCase(Base):
    """One ended course whose devices did not all come back: opened, advanced and (unless the devices come back)
    closed by the jobs and a coordinator. One per course; its history is `NonReturnEvent`."""

    __tablename__ = "non_return_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    trigger: Mapped[NonReturnTrigger] = mapped_column(str_enum(NonReturnTrigger))
    stage: Mapped[NonReturnStage] = mapped_column(str_enum(NonReturnStage, 30), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    stage_since: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    next_step_on: Mapped[dt.date | None] = mapped_column(Date)  # the working day the job takes the next step
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who proposed the write-off
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    course = relationship("Course", lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - the job and a coordinator at once: one loses


class NonReturnEventKind(enum.StrEnum):
    OPENED = "opened"
    REMINDER = "reminder"  # an SMS to the citizen or her relative (through the outbox)
    CALL_TASK = "call_task"  # no mobile number: a ticket asks the helpdesk to call
    ESCALATED = "escalated"
    WRITE_OFF_PROPOSED = "write_off_proposed"
    WRITE_OFF_REJECTED = "write_off_rejected"
    WRITTEN_OFF = "written_off"
    RETURNED = "returned"
    FOUND = "found"  # reported found in the home: the stages wait while a pickup is booked (the ledger closes it)


class NonReturnEvent(AppendOnly, Base):
    """What happened to a non-return case, in order (append-only): shown on the case, the citizen's timeline and the
    devices' pages."""

    __tablename__ = "non_return_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("non_return_cases.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    kind: Mapped[NonReturnEventKind] = mapped_column(str_enum(NonReturnEventKind))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[NonReturnStage] = mapped_column(str_enum(NonReturnStage, 30))  # the stage after the event
    devices: Mapped[str] = mapped_column(String(500), default="")  # the tags still out, comma-separated
    note: Mapped[str | None] = mapped_column(String(1000))
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    actor = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_non_return_events_citizen_at", "citizen_id", "at", "id"),)


class NonReturnDevice(AppendOnly, Base):
    """The devices that were in the home when the case opened (the device's page shows the case's history)."""

    __tablename__ = "non_return_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("non_return_cases.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)

    __table_args__ = (UniqueConstraint("case_id", "device_id", name="uq_non_return_devices_case_device"),)
