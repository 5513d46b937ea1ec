"""Webhook endpoints (a receiver's URL, the events it wants, its signing secrets), the messages to send to each,
and the log of every attempt."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.db import Base, UTCDateTime, str_enum


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"  # written with its cause, or sent again by an admin; due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until next_attempt_at (a lease): left here by a crash, it is due again
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # the last attempt failed; tried again at next_attempt_at
    DEAD = "dead"  # out of attempts, or the endpoint was disabled (410): not tried again unless redelivered


class WebhookEndpoint(Base):
    """A receiver. The secrets are kept as they are (signing needs them; only admins see this table's pages, and a
    secret is shown once). During a rotation the previous secret signs too, until `previous_valid_until`."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(120))
    event_types: Mapped[list] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_valid_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    is_enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    is_private_allowed: Mapped[bool] = mapped_column(default=False)  # an admin allowed this host's private address
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class WebhookMessage(Base):
    """One event for one endpoint: the body is fixed when written, so every retry signs the same bytes."""

    __tablename__ = "webhook_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    msg_id: Mapped[str] = mapped_column(String(40))  # the webhook-id header: the same on every retry
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, 10))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship()

    __table_args__ = (
        Index("ix_webhook_messages_due", "status", "next_attempt_at", "id"),
        Index("ix_webhook_messages_endpoint", "endpoint_id", "id"),
    )


class WebhookAttempt(Base):
    """The delivery log: one row per attempt, with the receiver's status code or the error's kind."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("webhook_messages.id"))
    attempt: Mapped[int] = mapped_column()
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column()
    is_success: Mapped[bool] = mapped_column()

    __table_args__ = (Index("ix_webhook_attempts_message", "message_id", "id"),)
