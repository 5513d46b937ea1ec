"""AuditEvent: who did what to which record, when, why, and whether it was allowed."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum


class Outcome(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class AuditEvent(AppendOnly, Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system (a job)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    purpose: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, 10), default=Outcome.ALLOWED)
    detail: Mapped[dict | None] = mapped_column(JSON)
    address: Mapped[str | None] = mapped_column(String(45))  # the client's IP address (None: a job)
    request_id: Mapped[str | None] = mapped_column(String(32))  # the id on the error page and in the log

    __table_args__ = (
        Index("ix_audit_events_citizen_at", "citizen_id", "at"),
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_actor_at", "actor_id", "at"),
        Index("ix_audit_events_actor_action_at", "actor_id", "action", "at"),  # the citizens she opened lately
    )
