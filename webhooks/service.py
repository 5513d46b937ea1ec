"""Webhook endpoints (saved, rotated, disabled, enabled), the messages written for them with each event, and the
steps of delivering: claim what is due, then record each attempt (delivered, retried later, or given up). Only
flushes; the caller's unit of work commits."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicecenter.audit.service import record_event
from servicecenter.errors import N_, DomainError
from servicecenter.events import EventType
from servicecenter.outbox.service import Policy, backoff
from webhooks import signing, ssrf
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookEndpoint, WebhookMessage

D = DeliveryStatus
DUE = (D.QUEUED, D.FAILED, D.SENDING)  # SENDING is due only once its lease (next_attempt_at) has run out
# About a day of retries: 60 s doubling to 6 h, 13 attempts; with the jitter the last one comes 13-27 h after the first.
POLICY = Policy(max_attempts=13, retry_base=dt.timedelta(seconds=60), retry_max=dt.timedelta(hours=6),
                batch=10, lease=dt.timedelta(minutes=5), per_run=500)
RETRY_AFTER_MAX = dt.timedelta(hours=24)  # a receiver's Retry-After is honoured up to this
ROTATION_OVERLAP = dt.timedelta(hours=24)  # the previous secret signs too for this long: receivers switch meanwhile
EVENT_LABELS = {
    EventType.DEVICE_MOVED: N_("a device moved"), EventType.VISIT_DONE: N_("a visit done"),
    EventType.VISIT_FAILED: N_("a visit failed"), EventType.TICKET_CREATED: N_("a ticket created"),
    EventType.TICKET_RESOLVED: N_("a ticket resolved"),
    EventType.COURSE_STATUS_CHANGED: N_("a course's state changed"),
}
STATUS_LABELS = {D.QUEUED: N_("queued"), D.SENDING: N_("sending"), D.DELIVERED: N_("delivered"),
                 D.FAILED: N_("failed, retrying"), D.DEAD: N_("not delivered")}
GONE, BY_ADMIN = "gone", "admin"  # why an endpoint is disabled
DISABLED_REASONS = {GONE: N_("the receiver answered 410 Gone"), BY_ADMIN: N_("disabled by an admin")}


@dataclass(frozen=True)
class Target:
    """Where a message goes, read when it is claimed: the URL, the admin's allowance, the secrets that sign."""

    url: str
    is_private_allowed: bool
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Delivery:
    """A claimed message (plain values: nothing is read from the database while sending). `attempt` fences the
    claim: only the worker holding the latest one records the outcome."""

    id: int
    attempt: int
    msg_id: str
    body: str
    to: Target


@dataclass(frozen=True)
class Result:
    """What one attempt gave: the receiver's status code (None when no answer), or the error's kind."""

    status_code: int | None
    error: str | None = None
    duration_ms: int = 0
    retry_after: dt.timedelta | None = None

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# --- endpoints ---------------------------------------------------------------------------------------------------

def create_endpoint(session: Session, *, url: str, description: str, event_types: list[str],
                    is_private_allowed: bool, actor, now: dt.datetime,
                    resolve: ssrf.Resolver = ssrf.system_resolver) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, checked against SSRF as it is saved (and again at every delivery); returns it and its
    secret (shown once)."""
    url, description = url.strip(), description.strip()
    if not description or len(description) > 120:
        raise DomainError(N_("Describe the receiver (at most 120 characters)."), field="description")
    chosen = sorted({EventType(e).value for e in event_types})
    if not chosen:
        raise DomainError(N_("Choose at least one event."), field="event_types")
    if len(url) > 500:
        raise DomainError(N_("The address is too long."), field="url")
    _scheme, host, port = ssrf.parse(url, is_private_allowed=is_private_allowed)
    ssrf.checked_address(host, port, is_private_allowed=is_private_allowed, resolve=resolve)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(url=url, description=description, event_types=chosen, secret=secret,
                               is_enabled=True, is_private_allowed=is_private_allowed,
                               created_by_id=actor.id, created_at=now)
    session.add(endpoint)
    session.flush()
    _audit(session, endpoint, "webhook.create", actor=actor, now=now,
           detail={"events": chosen, "private_allowed": is_private_allowed})
    return endpoint, secret


def rotate_secret(session: Session, endpoint: WebhookEndpoint, *, actor, now: dt.datetime) -> str:
    """A new secret; the old one goes on signing beside it for a day, so receivers switch without downtime."""
    endpoint.previous_secret, endpoint.previous_valid_until = endpoint.secret, now + ROTATION_OVERLAP
    endpoint.secret = signing.new_secret()
    _audit(session, endpoint, "webhook.rotate", actor=actor, now=now)
    return endpoint.secret


def set_enabled(session: Session, endpoint: WebhookEndpoint, is_enabled: bool, *, actor, now: dt.datetime) -> None:
    endpoint.is_enabled = is_enabled
    endpoint.disabled_reason = None if is_enabled else BY_ADMIN
    _audit(session, endpoint, "webhook.enable" if is_enabled else "webhook.disable", actor=actor, now=now)


def signing_secrets(endpoint: WebhookEndpoint, now: dt.datetime) -> tuple[str, ...]:
    previous = endpoint.previous_secret and endpoint.previous_valid_until and endpoint.previous_valid_until > now
    return (endpoint.secret, endpoint.previous_secret) if previous else (endpoint.secret,)


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def list_messages(session: Session, endpoint_id: int, *, limit: int = 50) -> list[WebhookMessage]:
    return list(session.scalars(select(WebhookMessage).where(WebhookMessage.endpoint_id == endpoint_id)
                                .order_by(WebhookMessage.id.desc()).limit(limit)))


def attempts_of(session: Session, message_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in message_ids}
    for row in session.scalars(select(WebhookAttempt).where(WebhookAttempt.message_id.in_(message_ids))
                               .order_by(WebhookAttempt.id)):
        found[row.message_id].append(row)
    return found


def _audit(session: Session, endpoint: WebhookEndpoint, action: str, *, actor, now: dt.datetime,
           detail: dict | None = None) -> None:
    record_event(session, actor=actor, action=action, entity_type="webhook_endpoint", entity_id=endpoint.id,
                 now=now, detail=detail)


# --- the outbox: written with the change -------------------------------------------------------------------------

def on_event(session: Session, event_type: EventType, payload: dict, now: dt.datetime) -> None:
    """The events subscriber: one message per enabled endpoint that wants this event, in the change's transaction.
    One webhook-id per event, the same for every endpoint and every retry (receivers deduplicate on it)."""
    endpoints = [e for e in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.is_enabled.is_(True)))
                 if event_type.value in e.event_types]
    if not endpoints:
        return
    msg_id = f"msg_{uuid.uuid4().hex}"
    body = json.dumps({"type": event_type.value, "timestamp": now.isoformat(), "data": payload},
                      separators=(",", ":"), sort_keys=True)
    session.add_all(WebhookMessage(endpoint_id=e.id, msg_id=msg_id, event_type=event_type.value, body=body,
                                   status=D.QUEUED, attempts=0, next_attempt_at=now, created_at=now)
                    for e in endpoints)
    session.flush()


def redeliver(session: Session, message: WebhookMessage, *, actor, now: dt.datetime) -> None:
    """Send a message again now (same webhook-id and body), with a fresh count of attempts. The row is locked
    first: a delivery run claiming it at the same moment either finishes its claim before (and this refuses) or
    after (and finds it queued)."""
    session.refresh(message, with_for_update=True)
    if message.status == D.SENDING:
        raise DomainError(N_("The message is being sent right now."))
    message.status, message.attempts, message.next_attempt_at = D.QUEUED, 0, now
    message.delivered_at = None
    _audit(session, message.endpoint, "webhook.redeliver", actor=actor, now=now, detail={"message": message.id})


# --- delivery steps ------------------------------------------------------------------------------------------------

def claim_due(session: Session, *, now: dt.datetime, policy: Policy = POLICY) -> list[Delivery]:
    """Take up to a batch of due messages of enabled endpoints: each becomes SENDING, leased until now + lease.
    Rows another worker holds are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
    rows = session.scalars(
        select(WebhookMessage).join(WebhookEndpoint, WebhookEndpoint.id == WebhookMessage.endpoint_id)
        .where(WebhookMessage.status.in_(DUE), WebhookMessage.next_attempt_at <= now,
               WebhookEndpoint.is_enabled.is_(True))
        .order_by(WebhookMessage.next_attempt_at, WebhookMessage.id).limit(policy.batch)
        .with_for_update(skip_locked=True, of=WebhookMessage).execution_options(populate_existing=True)).all()
    claimed = []
    for message in rows:
        if message.attempts >= policy.max_attempts:  # only a lease that ran out (a crashed worker) gets here
            message.status, message.last_error = D.DEAD, "no outcome after the last attempt"  # msgid: admin_views
            continue
        message.status, message.attempts = D.SENDING, message.attempts + 1
        message.next_attempt_at = now + policy.lease
        endpoint = message.endpoint
        to = Target(url=endpoint.url, is_private_allowed=endpoint.is_private_allowed,
                    secrets=signing_secrets(endpoint, now))
        claimed.append(Delivery(id=message.id, attempt=message.attempts, msg_id=message.msg_id, body=message.body,
                                to=to))
    session.flush()
    return claimed


def record_result(session: Session, delivery: Delivery, result: Result, *, now: dt.datetime,
                  policy: Policy = POLICY) -> DeliveryStatus | None:
    """Log the attempt; then delivered, failed (tried again after a backoff, or the receiver's Retry-After if
    later) or dead (out of attempts). 410 Gone disables the endpoint. None when the claim is no longer ours."""
    message = session.scalars(select(WebhookMessage).where(WebhookMessage.id == delivery.id).with_for_update()
                              .execution_options(populate_existing=True)).one()
    if message.status != D.SENDING or message.attempts != delivery.attempt:
        return None
    session.add(WebhookAttempt(message_id=message.id, attempt=delivery.attempt, at=now,
                               status_code=result.status_code, error=result.error,
                               duration_ms=result.duration_ms, is_success=result.is_success))
    message.last_status_code, message.last_error = result.status_code, result.error
    if result.is_success:
        message.status, message.delivered_at = D.DELIVERED, now
    elif result.status_code == 410:
        message.status = D.DEAD
        message.endpoint.is_enabled = False
        message.endpoint.disabled_reason = GONE
    elif message.attempts >= policy.max_attempts:
        message.status = D.DEAD
    else:
        wait = max(backoff(message.attempts, policy), min(result.retry_after or dt.timedelta(0), RETRY_AFTER_MAX))
        message.status, message.next_attempt_at = D.FAILED, now + wait
    session.flush()
    return message.status
