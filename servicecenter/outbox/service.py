"""Writing to the outbox, and the steps of delivering from it: claim what is due, then record each attempt's
outcome (sent, tried again later with backoff, or given up). Only flushes; the caller's unit of work commits."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from servicecenter.errors import N_, DomainError
from servicecenter.outbox.models import MessageChannel, MessageStatus, OutboxMessage
from servicecenter.statuses import TransitionTable

M = MessageStatus
MESSAGE_STATUS = TransitionTable(
    "outbox_message",
    {
        M.QUEUED: {M.SENDING, M.WITHDRAWN},
        M.SENDING: {M.SENDING, M.SENT, M.FAILED, M.DEAD},  # SENDING again: a crashed worker's lease ran out
        M.FAILED: {M.SENDING, M.WITHDRAWN},
        M.SENT: set(),
        M.DEAD: set(),
        M.WITHDRAWN: set(),
    },
    {M.QUEUED: N_("queued"), M.SENDING: N_("sending"), M.SENT: N_("sent"), M.FAILED: N_("failed, retrying"),
     M.DEAD: N_("not sent"), M.WITHDRAWN: N_("withdrawn")},
)
DUE = (M.QUEUED, M.FAILED, M.SENDING)  # SENDING is due only once its lease (next_attempt_at) has run out
MAX_KEY = 120


@dataclass(frozen=True)
class Policy:
    """How delivery retries: attempts before giving up, the backoff, the batch and the lease of a claim."""

    max_attempts: int = 8
    retry_base: dt.timedelta = dt.timedelta(seconds=30)
    retry_max: dt.timedelta = dt.timedelta(hours=1)
    batch: int = 10
    lease: dt.timedelta = dt.timedelta(minutes=5)  # longer than a batch takes to send (batch x sender timeout)
    per_run: int = 500

    @classmethod
    def from_config(cls, config: dict) -> Policy:
        return cls(max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
                   retry_base=dt.timedelta(seconds=config["OUTBOX_RETRY_BASE_SECONDS"]),
                   retry_max=dt.timedelta(seconds=config["OUTBOX_RETRY_MAX_SECONDS"]),
                   batch=config["OUTBOX_BATCH"], lease=dt.timedelta(seconds=config["OUTBOX_LEASE_SECONDS"]),
                   per_run=config["OUTBOX_PER_RUN"])


@dataclass(frozen=True)
class Outgoing:
    """A claimed message as a sender needs it: plain values, so nothing is read from the database while sending.
    `attempt` is the claim's fencing token: only the worker holding the latest claim records the outcome."""

    id: int
    channel: MessageChannel
    recipient: str
    subject: str | None
    body: str
    attempt: int

    @property
    def idempotency_key(self) -> str:
        """What the gateway deduplicates on: the same message sent again after a crash is delivered once."""
        return f"outbox-{self.id}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: sent (with the gateway's reference), or an error that is passing or permanent."""

    sent: bool
    error: str | None = None
    permanent: bool = False
    provider_ref: str | None = None


def enqueue(session: Session, *, key: str, purpose: str, channel: MessageChannel, recipient: str, body: str,
            now: dt.datetime, subject: str | None = None) -> OutboxMessage:
    """Write a message to send after commit. The business key makes it idempotent: the same key again (a retried
    request, two at once) leaves the one message there is and returns it."""
    recipient, body = recipient.strip(), body.strip()
    if not recipient or not body or not key or len(key) > MAX_KEY:
        raise DomainError(N_("A message needs a recipient and a text."))
    values = {"key": key, "purpose": purpose, "channel": channel, "recipient": recipient, "subject": subject,
              "body": body, "status": M.QUEUED, "attempts": 0, "next_attempt_at": now, "created_at": now}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(OutboxMessage).values(values).on_conflict_do_nothing(index_elements=["key"]))
    return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)
                           .execution_options(populate_existing=True)).one()


def withdraw(session: Session, keys: list[str]) -> dict[str, OutboxMessage]:
    """The cause of these messages was undone (the visit they announce moved): those not yet sent (queued, or failed
    and waiting for their next attempt) are withdrawn and never sent. Returns every message found by the keys: one
    a worker is sending, or has sent, may have reached the person. The rows are locked first, so a worker's claim
    and a withdrawal never both take the same message."""
    if not keys:
        return {}
    found = {m.key: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(keys))
                                               .order_by(OutboxMessage.id).with_for_update()
                                               .execution_options(populate_existing=True))}
    for message in found.values():
        if message.status in (M.QUEUED, M.FAILED):
            _change(message, M.WITHDRAWN)
    session.flush()
    return found


def messages_by_key(session: Session, keys: list[str]) -> dict[str, OutboxMessage]:
    if not keys:
        return {}
    return {m.key: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(keys)))}


def count_due(session: Session, *, now: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.status.in_(DUE), OutboxMessage.next_attempt_at <= now))


def claim_due(session: Session, *, now: dt.datetime, policy: Policy, only: list[int] | None = None
              ) -> list[Outgoing]:
    """Take up to a batch of due messages for sending: each becomes SENDING, leased until now + lease. Rows another
    worker holds are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's writers take turns anyway). A message
    whose lease ran out without an outcome (its worker crashed) is due again, and gives up when out of attempts.
    `only`: just these messages, if due (a sign-in code is sent the moment it is made, not at the next job run)."""
    while True:
        stmt = select(OutboxMessage).where(OutboxMessage.status.in_(DUE), OutboxMessage.next_attempt_at <= now)
        if only is not None:
            stmt = stmt.where(OutboxMessage.id.in_(only))
        rows = session.scalars(
            stmt.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(policy.batch)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True)).all()
        claimed = [_claim(message, now=now, policy=policy) for message in rows]
        session.flush()
        if not rows or any(claimed):  # a batch of given-up messages only: look again
            return [outgoing for outgoing in claimed if outgoing is not None]


def _claim(message: OutboxMessage, *, now: dt.datetime, policy: Policy) -> Outgoing | None:
    if message.attempts >= policy.max_attempts:  # only a lease that ran out gets here
        _change(message, M.DEAD)
        message.last_error = f"no outcome after {message.attempts} attempts"
        return None
    _change(message, M.SENDING)
    message.attempts += 1
    message.next_attempt_at = now + policy.lease
    return Outgoing(id=message.id, channel=message.channel, recipient=message.recipient, subject=message.subject,
                    body=message.body, attempt=message.attempts)


def record_outcome(session: Session, outgoing: Outgoing, outcome: Outcome, *, now: dt.datetime,
                   policy: Policy) -> MessageStatus | None:
    """Sent, failed (tried again after a backoff) or dead (refused for good, or out of attempts). None when the
    claim is no longer this worker's: its lease ran out and another worker took the message over."""
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.id == outgoing.id).with_for_update()
                              .execution_options(populate_existing=True)).one()
    if message.status != M.SENDING or message.attempts != outgoing.attempt:
        return None
    if outcome.sent:
        _change(message, M.SENT)
        message.sent_at, message.provider_ref, message.last_error = now, outcome.provider_ref, None
    elif outcome.permanent or message.attempts >= policy.max_attempts:
        _change(message, M.DEAD)
        message.last_error = outcome.error
    else:
        _change(message, M.FAILED)
        message.last_error = outcome.error
        message.next_attempt_at = now + backoff(message.attempts, policy)
    session.flush()
    return message.status


def backoff(attempts: int, policy: Policy) -> dt.timedelta:
    """Exponential (base x 2^(attempts-1), capped) with jitter: between half and all of it, so messages that failed
    together (a gateway outage) do not all come back in the same second."""
    ceiling = min(policy.retry_max, policy.retry_base * 2 ** min(attempts - 1, 30))
    return ceiling * random.uniform(0.5, 1.0)


def _change(message: OutboxMessage, target: MessageStatus) -> None:
    """The outbox's own guard. Not statuses.transition(): delivery is machinery, not a person's decision, and the
    row itself is its record (attempts, last error, sent at); an audit event per attempt would only add noise."""
    if not MESSAGE_STATUS.can(message.status, target):
        raise RuntimeError(f"outbox message {message.id}: {message.status.value} -> {target.value} is not allowed")
    message.status = target
