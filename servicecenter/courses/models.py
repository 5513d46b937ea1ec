"""Programme (COPD, heart failure, ...) and Course (a citizen on a programme)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.citizens.models import Citizen
from servicecenter.db import Base, UTCDateTime, str_enum


class Programme(Base):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class CourseStatus(enum.StrEnum):
    REFERRED = "referred"
    ALLOCATED = "allocated"
    SETUP_SCHEDULED = "setup_scheduled"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus), default=CourseStatus.REFERRED)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    citizen: Mapped[Citizen] = relationship()
    programme: Mapped[Programme] = relationship(lazy="joined")
