"""Delivery after commit: claim a batch (committed), send each message outside any transaction, record each
outcome in a transaction of its own. At least once; the idempotency key makes a resend after a crash harmless."""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections import Counter
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from servicecenter.db import unit_of_work, utcnow
from servicecenter.outbox.senders import PermanentError, Sender, TransientError
from servicecenter.outbox.service import Outcome, Outgoing, Policy, claim_due, record_outcome

log = logging.getLogger(__name__)


def deliver_due(factory: sessionmaker[Session], sender: Sender, *, policy: Policy,
                clock: Callable[[], dt.datetime] = utcnow, only: list[int] | None = None) -> Counter:
    """Send what is due, batch by batch, up to the policy's limit per run; returns the outcomes counted.
    `only`: just these messages (sent at once after the commit that made them; the job retries any that fail)."""
    return run_batches(
        factory, per_run=policy.per_run,
        claim=lambda session: claim_due(session, now=clock(), policy=policy, only=only),
        send=lambda outgoing: attempt(sender, outgoing),
        record=lambda session, outgoing, outcome: record_outcome(session, outgoing, outcome, now=clock(),
                                                                 policy=policy))


def run_batches(factory: sessionmaker[Session], *, per_run: int, claim: Callable[[Session], list],
                send: Callable[[object], object], record: Callable[[Session, object, object], enum.Enum | None]
                ) -> Counter:
    """The delivery loop of every outbox (messages to citizens, webhooks): claim a batch (committed), send each
    outside any transaction, record each outcome in a transaction of its own; counts the statuses recorded. An
    exception that is not the sender's (the process stopping) leaves the claimed batch leased: retried later."""
    counts: Counter = Counter()
    session = factory()
    try:
        while counts.total() < per_run:
            with unit_of_work(session):
                batch = claim(session)
            if not batch:
                break
            for item in batch:
                outcome = send(item)
                with unit_of_work(session):
                    status = record(session, item, outcome)
                counts[status.value if status else "taken over"] += 1
    finally:
        session.close()
    return counts


def attempt(sender: Sender, outgoing: Outgoing) -> Outcome:
    """One try; the log names the message by id and the error by kind, never the recipient or the text."""
    try:
        reference = sender.send(outgoing)
    except PermanentError as error:
        outcome = Outcome(sent=False, error=str(error)[:200], permanent=True)
    except TransientError as error:
        outcome = Outcome(sent=False, error=str(error)[:200])
    except Exception as error:  # a sender's bug must not stop the others: counted as a passing failure
        outcome = Outcome(sent=False, error=f"sender error ({type(error).__name__})")
    else:
        return Outcome(sent=True, provider_ref=reference)
    log.warning("outbox message %d attempt %d not sent: %s", outgoing.id, outgoing.attempt, outcome.error)
    return outcome


def summary(counts: Counter) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing due"
