"""The outbox: one row per message to a person outside the system, written in the transaction of its cause."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicecenter.db import Base, UTCDateTime, str_enum


class MessageChannel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"  # written with its cause; due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until next_attempt_at (a lease): left here by a crash, it is due again
    SENT = "sent"  # the sender accepted it (sent_at)
    FAILED = "failed"  # the last attempt failed for a passing reason; tried again at next_attempt_at
    DEAD = "dead"  # refused for good, or out of attempts: not tried again (last_error says why)
    WITHDRAWN = "withdrawn"  # its cause was undone before it went (a visit moved): never sent


class OutboxMessage(Base):
    """A message to send. `recipient`, `subject` and `body` are personal data: shown to staff, never logged;
    `last_error` holds only what the sender said without them (a status code, an error code, an exception name)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # the business key: the same message is one row
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. "ticket.reply"
    channel: Mapped[MessageChannel] = mapped_column(str_enum(MessageChannel, 10))
    recipient: Mapped[str] = mapped_column(String(254))  # a phone number or an e-mail address
    subject: Mapped[str | None] = mapped_column(String(200))  # e-mail only
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus, 10))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_ref: Mapped[str | None] = mapped_column(String(100))  # the gateway's id of the sent message
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # The worker's question, "what is due?", is one index range per status.
        Index("ix_outbox_messages_due", "status", "next_attempt_at", "id"),
    )
