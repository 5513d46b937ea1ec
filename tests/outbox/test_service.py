"""The outbox's steps with no sender: enqueue once per business key, claim what is due, record each outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from servicecenter.db import unit_of_work, utcnow
from servicecenter.outbox.models import MessageChannel, MessageStatus, OutboxMessage
from servicecenter.outbox.service import (
    MESSAGE_STATUS,
    Outcome,
    backoff,
    claim_due,
    enqueue,
    record_outcome,
    withdraw,
)
from tests.outbox.helpers import POLICY, enqueue_many

M = MessageStatus


def _count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_enqueueing_the_same_business_key_twice_keeps_one_message(session):
    now = utcnow()
    with unit_of_work(session):
        first = enqueue(session, key="ticket.reply:1", purpose="ticket.reply", channel=MessageChannel.SMS,
                        recipient="20000001", body="Hej", now=now)
    with unit_of_work(session):
        again = enqueue(session, key="ticket.reply:1", purpose="ticket.reply", channel=MessageChannel.SMS,
                        recipient="20000001", body="Hej igen", now=now)
    assert again.id == first.id and again.body == "Hej"
    assert _count(session) == 1
    assert (first.status, first.attempts, first.next_attempt_at) == (M.QUEUED, 0, now)


def test_a_message_is_written_in_its_causes_transaction_or_not_at_all(session):
    with pytest.raises(RuntimeError), unit_of_work(session):
        enqueue(session, key="k", purpose="test", channel=MessageChannel.SMS, recipient="20000001", body="x",
                now=utcnow())
        raise RuntimeError("the cause failed")
    assert _count(session) == 0


def test_claiming_leases_a_batch_of_due_messages_in_order(session):
    now = utcnow()
    ids = enqueue_many(session, 12, now=now)
    enqueue_many(session, 1, now=now + dt.timedelta(hours=1), prefix="later")
    with unit_of_work(session):
        batch = claim_due(session, now=now, policy=POLICY)
    assert [o.id for o in batch] == ids[:10] and all(o.attempt == 1 for o in batch)
    with unit_of_work(session):
        rest = claim_due(session, now=now, policy=POLICY)
    assert [o.id for o in rest] == ids[10:]  # the leased ten are not due; the later one is not due yet
    claimed = session.get(OutboxMessage, ids[0])
    assert (claimed.status, claimed.attempts, claimed.next_attempt_at) == (M.SENDING, 1, now + POLICY.lease)


def test_a_lease_that_ran_out_is_claimed_again_and_its_late_outcome_is_ignored(session):
    now = utcnow()
    [message_id] = enqueue_many(session, 1, now=now)
    with unit_of_work(session):
        [first] = claim_due(session, now=now, policy=POLICY)
    later = now + POLICY.lease + dt.timedelta(seconds=1)
    with unit_of_work(session):
        [second] = claim_due(session, now=later, policy=POLICY)
    assert (second.id, second.attempt) == (message_id, 2)
    with unit_of_work(session):
        assert record_outcome(session, first, Outcome(sent=True), now=later, policy=POLICY) is None
        assert record_outcome(session, second, Outcome(sent=True, provider_ref="gw-1"), now=later,
                              policy=POLICY) == M.SENT
    message = session.get(OutboxMessage, message_id)
    assert (message.status, message.sent_at, message.provider_ref) == (M.SENT, later, "gw-1")


def test_a_passing_failure_is_retried_with_backoff_and_gives_up_after_the_last_attempt(session):
    now = utcnow()
    [message_id] = enqueue_many(session, 1, now=now)
    for attempt in range(1, POLICY.max_attempts + 1):
        with unit_of_work(session):
            [outgoing] = claim_due(session, now=now, policy=POLICY)
            status = record_outcome(session, outgoing, Outcome(sent=False, error="HTTP 503"), now=now, policy=POLICY)
        message = session.get(OutboxMessage, message_id)
        assert outgoing.attempt == attempt
        if attempt < POLICY.max_attempts:
            assert status == M.FAILED
            wait = message.next_attempt_at - now
            ceiling = min(POLICY.retry_max, POLICY.retry_base * 2 ** (attempt - 1))
            assert ceiling / 2 <= wait <= ceiling
            with unit_of_work(session):
                assert claim_due(session, now=now, policy=POLICY) == []  # not before its time
            now = message.next_attempt_at
    assert (status, message.last_error) == (M.DEAD, "HTTP 503")


def test_a_permanent_refusal_is_dead_at_once(session):
    now = utcnow()
    [message_id] = enqueue_many(session, 1, now=now)
    with unit_of_work(session):
        [outgoing] = claim_due(session, now=now, policy=POLICY)
        record_outcome(session, outgoing, Outcome(sent=False, error="HTTP 400", permanent=True), now=now,
                       policy=POLICY)
        assert claim_due(session, now=now + dt.timedelta(days=1), policy=POLICY) == []
    assert session.get(OutboxMessage, message_id).status == M.DEAD


def test_a_message_whose_worker_crashed_every_time_gives_up(session):
    now = utcnow()
    [message_id] = enqueue_many(session, 1, now=now)
    for _ in range(POLICY.max_attempts):
        with unit_of_work(session):
            assert len(claim_due(session, now=now, policy=POLICY)) == 1
        now += POLICY.lease
    with unit_of_work(session):
        assert claim_due(session, now=now, policy=POLICY) == []
    message = session.get(OutboxMessage, message_id)
    assert message.status == M.DEAD and message.last_error == f"no outcome after {POLICY.max_attempts} attempts"


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter():
    waits = [backoff(n, POLICY) for n in range(1, 12)]
    assert all(dt.timedelta(seconds=15) * 2 ** min(n, 4) <= w for n, w in enumerate(waits[:5]))
    assert max(waits) <= POLICY.retry_max
    assert len({backoff(3, POLICY) for _ in range(20)}) > 1  # jitter


@pytest.mark.parametrize(("current", "target", "allowed"), [
    (M.QUEUED, M.SENDING, True), (M.QUEUED, M.SENT, False), (M.SENDING, M.SENT, True),
    (M.SENDING, M.FAILED, True), (M.SENDING, M.DEAD, True), (M.SENDING, M.SENDING, True),
    (M.FAILED, M.SENDING, True), (M.FAILED, M.SENT, False), (M.SENT, M.SENDING, False), (M.DEAD, M.SENDING, False),
    (M.QUEUED, M.WITHDRAWN, True), (M.FAILED, M.WITHDRAWN, True), (M.SENDING, M.WITHDRAWN, False),
    (M.SENT, M.WITHDRAWN, False), (M.WITHDRAWN, M.SENDING, False),
])
def test_message_status_transitions(current, target, allowed):
    assert MESSAGE_STATUS.can(current, target) is allowed


def test_a_batch_of_given_up_messages_does_not_hide_the_due_ones_behind_it(session):
    now = utcnow()
    stuck = enqueue_many(session, POLICY.batch, now=now - dt.timedelta(hours=1), prefix="stuck")
    with unit_of_work(session):
        for message in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(stuck))):
            message.status, message.attempts = M.SENDING, POLICY.max_attempts  # leased by workers that crashed
    [fresh] = enqueue_many(session, 1, now=now, prefix="fresh")
    with unit_of_work(session):
        assert [o.id for o in claim_due(session, now=now, policy=POLICY)] == [fresh]
    session.rollback()
    assert {session.get(OutboxMessage, i).status for i in stuck} == {M.DEAD}


def test_withdrawing_stops_what_has_not_gone_and_reports_what_may_have(session):
    # Given messages held by a worker, failed and waiting to be tried again, sent, and one still waiting
    now = utcnow()
    held, failed, sent = enqueue_many(session, 3, now=now)
    with unit_of_work(session):
        claimed = {o.id: o for o in claim_due(session, now=now, policy=POLICY)}
        record_outcome(session, claimed[failed], Outcome(sent=False, error="HTTP 503"), now=now, policy=POLICY)
        record_outcome(session, claimed[sent], Outcome(sent=True), now=now, policy=POLICY)
    [waiting] = enqueue_many(session, 1, now=now, prefix="late")
    # When their cause is undone
    with unit_of_work(session):
        found = withdraw(session, ["test:0", "test:1", "test:2", "late:0", "never:0"])
    # Then the waiting and the failed one are withdrawn and never claimed again; the held and the sent one are
    # reported as they are (they may have reached the person)
    assert {key: m.status for key, m in found.items()} == {
        "test:0": M.SENDING, "test:1": M.WITHDRAWN, "test:2": M.SENT, "late:0": M.WITHDRAWN}
    with unit_of_work(session):
        assert [o.id for o in claim_due(session, now=now + dt.timedelta(days=1), policy=POLICY)] == [held]
    assert session.get(OutboxMessage, waiting).status == M.WITHDRAWN
