"""TrainingRecord (who was trained, on what, by whom, how, with which checklist result) and StaffCompetence."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.auth.models import User
from servicecenter.courses.models import Programme
from servicecenter.db import Base, UTCDateTime, str_enum


class TraineeKind(enum.StrEnum):
    CITIZEN = "citizen"
    RELATIVE = "relative"
    STAFF = "staff"  # a nurse or technician: counts towards the competence matrix


class TrainingMethod(enum.StrEnum):
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    VIDEO = "video"
    GROUP = "group"


class TrainingResult(enum.StrEnum):
    PASSED = "passed"  # manages on their own
    PARTLY = "partly"  # needs more training
    NOT_PASSED = "not_passed"


class TrainingRecord(Base):
    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_kind: Mapped[TraineeKind] = mapped_column(str_enum(TraineeKind))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))  # citizen or relative trained
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    contact_id: Mapped[int | None]  # the relative (contact person), kept even if the contact is removed later
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    trainee_name: Mapped[str | None] = mapped_column(String(120))  # relative or staff, as named at the time
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    method: Mapped[TrainingMethod] = mapped_column(str_enum(TrainingMethod))
    checklist: Mapped[list] = mapped_column(JSON)  # [{"item": str, "passed": bool, "note": str}]
    device_models: Mapped[list] = mapped_column(JSON)  # [{"id": int, "name": str}] from the ledger at held_at
    result: Mapped[TrainingResult] = mapped_column(str_enum(TrainingResult))
    note: Mapped[str | None] = mapped_column(Text)
    follow_up_due_on: Mapped[dt.date | None] = mapped_column(Date)
    follow_up_held_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    follow_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    follow_up_note: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    programme: Mapped[Programme] = relationship(lazy="joined")
    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id], lazy="joined")

    __table_args__ = (
        Index("ix_training_records_citizen_held", "citizen_id", "held_at", "id"),
        Index("ix_training_records_citizen_follow_up", "citizen_id", "follow_up_held_at", "id"),
        # Not held yet first: the follow-ups due by a day are one range, not every follow-up ever held before it.
        Index("ix_training_records_follow_up_open", "follow_up_held_at", "follow_up_due_on"),
    )


class StaffCompetence(Base):
    """The competence matrix: a staff member is trained on a programme until `expires_on`. The newest staff
    training for the pair sets it; dispatch reads it as technician skills."""

    __tablename__ = "staff_competences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    trained_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    training_record_id: Mapped[int | None] = mapped_column(ForeignKey("training_records.id"))

    __table_args__ = (UniqueConstraint("user_id", "programme_id", name="uq_staff_competences_user_programme"),)
