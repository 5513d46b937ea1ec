"""Delivery after commit, on SQLite and PostgreSQL: a crash between commit and send loses nothing and sends nothing
twice; two workers at once send each message once; the scheduler's job sends what is due."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
from sqlalchemy import select

from servicecenter.jobs import JOBS, run_slot, slot_for
from servicecenter.outbox.delivery import deliver_due
from servicecenter.outbox.models import MessageStatus, OutboxMessage
from servicecenter.outbox.senders import FileSender
from servicecenter.outbox.service import Outgoing
from tests.outbox.helpers import POLICY, Clock, Crash, Flaky, enqueue_many


@pytest.fixture
def db(app):
    return app.extensions["database"].factory


def _statuses(session) -> dict[int, MessageStatus]:
    session.rollback()
    return dict(session.execute(select(OutboxMessage.id, OutboxMessage.status)).all())


def test_a_crash_between_commit_and_send_loses_nothing_and_sends_nothing_twice(db, session, tmp_path):
    """Given 25 messages queued, when the worker dies after committing its claim (before the third send), then the
    gateway fails for a while and then recovers, then every message is sent exactly once."""
    clock = Clock()
    ids = enqueue_many(session, 25, now=clock())
    files = FileSender(tmp_path / "sent")
    sender = Flaky(files)

    sender.mode, sender.crash_on_call = "crash before", 3
    with pytest.raises(Crash):
        deliver_due(db, sender, policy=POLICY, clock=clock)
    statuses = _statuses(session)
    assert [statuses[i] for i in ids[:2]] == [MessageStatus.SENT] * 2
    assert [statuses[i] for i in ids[2:10]] == [MessageStatus.SENDING] * 8  # claimed, committed, never sent
    assert [statuses[i] for i in ids[10:]] == [MessageStatus.QUEUED] * 15

    clock.advance(minutes=1)  # the gateway is down; the crashed claim's lease has not run out
    sender.mode, sender.crash_on_call = "fail", None
    counts = deliver_due(db, sender, policy=POLICY, clock=clock)
    assert counts == {"failed": 15}
    assert len(files.sent()) == 2

    clock.advance(hours=2)  # past every lease and backoff: the gateway is back
    sender.mode = "ok"
    counts = deliver_due(db, sender, policy=POLICY, clock=clock)
    assert counts == {"sent": 23}
    assert deliver_due(db, sender, policy=POLICY, clock=clock) == {}  # nothing left to send

    assert [m["id"] for m in files.sent()] == ids  # every message, once
    assert files.repeats() == []  # and none of them sent a second time
    assert set(_statuses(session).values()) == {MessageStatus.SENT}


def test_a_crash_after_sending_resends_once_with_the_same_idempotency_key(db, session, tmp_path):
    """Given a worker that dies after the gateway accepted a message but before the outcome was committed, the
    message is sent again (at least once) under the same key, which the gateway (here the file sender) dedupes."""
    clock = Clock()
    ids = enqueue_many(session, 3, now=clock())
    files = FileSender(tmp_path / "sent")
    sender = Flaky(files)
    sender.mode, sender.crash_on_call = "crash after", 2
    with pytest.raises(Crash):
        deliver_due(db, sender, policy=POLICY, clock=clock)
    clock.advance(minutes=6)
    sender.mode, sender.crash_on_call = "ok", None
    assert deliver_due(db, sender, policy=POLICY, clock=clock) == {"sent": 2}
    assert [m["id"] for m in files.sent()] == ids
    assert files.repeats() == [ids[1]]  # the one resend, acknowledged by its key without a second delivery
    assert set(_statuses(session).values()) == {MessageStatus.SENT}


class Slow:
    """The file sender taking its time, unevenly, so two workers' batches overlap."""

    def __init__(self, inner: FileSender) -> None:
        self.inner = inner

    def send(self, message: Outgoing) -> str | None:
        time.sleep(random.uniform(0, 0.03))
        return self.inner.send(message)


def test_two_workers_at_once_send_each_message_once(db, session, tmp_path):
    clock = Clock()
    ids = enqueue_many(session, 60, now=clock())
    files = FileSender(tmp_path / "sent")
    results, errors = [], []
    start = threading.Barrier(2)

    def work():
        start.wait(timeout=30)
        try:
            results.append(deliver_due(db, Slow(files), policy=POLICY, clock=clock))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors
    assert sum(r["sent"] for r in results) == 60
    assert [m["id"] for m in files.sent()] == ids and files.repeats() == []


def test_the_scheduler_job_sends_due_messages_after_its_slot_commits(app, session, tmp_path):
    directory = tmp_path / "job-outbox"
    config = {**app.config, "OUTBOX_FILE_DIR": str(directory)}
    clock = Clock()
    enqueue_many(session, 2, now=clock() - dt.timedelta(minutes=2))  # due before the slot began
    job = JOBS["outbox_deliver"]
    result = run_slot(app.extensions["database"].factory, job, slot_for(job, clock()), config)
    assert result == "2 due; 2 sent"
    assert len(FileSender(directory).sent()) == 2
    assert set(_statuses(session).values()) == {MessageStatus.SENT}
