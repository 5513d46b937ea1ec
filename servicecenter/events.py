"""The one publish point for what other systems may hear about (webhooks): a service calls `publish` inside the
unit of work of the change, and each subscriber writes what it needs in that same transaction. Core knows no
subscriber: features subscribe when the app is created. Payloads carry ids and states only, never names or CPR."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable

from sqlalchemy.orm import Session


class EventType(enum.StrEnum):
    DEVICE_MOVED = "device.moved"
    VISIT_DONE = "visit.done"
    VISIT_FAILED = "visit.failed"
    TICKET_CREATED = "ticket.created"
    TICKET_RESOLVED = "ticket.resolved"
    COURSE_STATUS_CHANGED = "course.status_changed"


Subscriber = Callable[[Session, EventType, dict, dt.datetime], None]
SUBSCRIBERS: dict[str, Subscriber] = {}


def subscribe(name: str, subscriber: Subscriber) -> None:
    SUBSCRIBERS[name] = subscriber


def publish(session: Session, event_type: EventType, payload: dict, *, now: dt.datetime) -> None:
    """Tell the subscribers, in the caller's transaction: the change and what it sends out commit or roll back
    together."""
    for subscriber in SUBSCRIBERS.values():
        subscriber(session, event_type, payload, now)
