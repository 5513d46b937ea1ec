"""The job queue (servicecenter/queue.py) on both databases: one live job per business key, a heartbeat that keeps a
long job's lease, a failing job recorded with its reason, a lost job retried when its kind allows, a bad
JOB_RUNNER refused at start."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select

from servicecenter import queue
from servicecenter.db import unit_of_work, utcnow
from tests.conftest import make_test_app

CALLS: list[dict] = []


def _record(_factory, payload: dict, _config: dict) -> None:
    CALLS.append(payload)
    if payload.get("fail"):
        raise ValueError("bad payload")


def _long(factory, payload: dict, config: dict) -> None:
    """Outlives its lease several times over, then looks whether anyone took the job for lost."""
    time.sleep(queue.lease_of(config).total_seconds() * 4)
    with factory() as session, unit_of_work(session):
        CALLS.append({"reaped": queue.reap(session, now=utcnow())})


@pytest.fixture(autouse=True)
def kinds():
    CALLS.clear()
    for handler in (queue.Handler("test.record", _record), queue.Handler("test.retry", _record, max_attempts=2),
                    queue.Handler("test.long", _long)):
        queue.register_handler(handler)
    yield
    for kind in ("test.record", "test.retry", "test.long"):
        queue.HANDLERS.pop(kind)


def _enqueue(factory, kind: str, key: str, payload: dict | None = None) -> int:
    with factory() as session, unit_of_work(session):
        job = queue.enqueue(session, kind, key, payload or {}, now=utcnow())
        session.flush()
        return job.id


def _job(factory, job_id: int) -> queue.QueuedJob:
    with factory() as session:
        return session.get(queue.QueuedJob, job_id)


def test_one_live_job_per_key_and_a_new_one_once_it_ended(app):
    factory = app.extensions["database"].factory
    first = _enqueue(factory, "test.record", "k", {"n": 1})
    assert _enqueue(factory, "test.record", "k", {"n": 2}) == first  # pending: the same job
    assert _enqueue(factory, "test.record", "other") != first
    assert queue.run_one(factory, dict(app.config), job_id=first)
    assert _job(factory, first).status == queue.DONE and CALLS == [{"n": 1}]
    assert _enqueue(factory, "test.record", "k", {"n": 3}) != first  # ended: a new job may start
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(queue.QueuedJob)) == 3


def test_a_job_rolled_back_with_its_cause_is_not_queued(app):
    factory = app.extensions["database"].factory
    with pytest.raises(RuntimeError), factory() as session, unit_of_work(session):
        queue.enqueue(session, "test.record", "k", {}, now=utcnow())
        raise RuntimeError("the change that asked for it failed")
    assert not queue.run_one(factory, dict(app.config))
    assert CALLS == []


def test_a_failing_job_is_recorded_failed_with_the_reason(app):
    factory = app.extensions["database"].factory
    job_id = _enqueue(factory, "test.record", "k", {"fail": True})
    assert queue.run_one(factory, dict(app.config))
    job = _job(factory, job_id)
    assert job.status == queue.FAILED and "bad payload" in job.error and job.finished_at is not None


def test_the_heartbeat_keeps_a_long_job_from_being_taken_for_lost(database_url):
    app = make_test_app(database_url, JOB_LEASE_SECONDS=0.4)
    factory = app.extensions["database"].factory
    job_id = _enqueue(factory, "test.long", "k")
    assert queue.run_one(factory, dict(app.config), job_id=job_id)
    assert CALLS == [{"reaped": 0}] and _job(factory, job_id).status == queue.DONE
    app.extensions["database"].engine.dispose()


def test_a_lost_job_is_tried_again_when_its_kind_allows_else_failed(app):
    factory = app.extensions["database"].factory
    retried, failed = _enqueue(factory, "test.retry", "a"), _enqueue(factory, "test.record", "b")
    with factory() as session, unit_of_work(session):  # both taken by a worker that died at once
        for _ in range(2):
            queue.claim(session, worker="gone", now=utcnow(), lease=dt.timedelta(seconds=-1))
    with factory() as session, unit_of_work(session):
        assert queue.reap(session, now=utcnow()) == 2
    assert (_job(factory, retried).status, _job(factory, failed).status) == (queue.PENDING, queue.FAILED)
    assert _job(factory, failed).error == queue.LOST_MESSAGE
    assert queue.run_one(factory, dict(app.config))
    assert _job(factory, retried).status == queue.DONE and _job(factory, retried).attempts == 2


def test_an_unknown_job_runner_is_refused_at_start(sqlite_url):
    with pytest.raises(RuntimeError, match="JOB_RUNNER"):
        make_test_app(sqlite_url, JOB_RUNNER="celery")


def test_workers_racing_for_jobs_take_each_once(app):
    # given three due jobs and four workers asking at the same moment
    factory = app.extensions["database"].factory
    for n in range(3):
        _enqueue(factory, "test.record", f"k{n}", {"n": n})
    start, results = threading.Barrier(4), []

    def worker() -> None:
        start.wait()
        results.append(queue.run_one(factory, dict(app.config)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then each job ran exactly once and one worker found nothing
    assert sorted(call["n"] for call in CALLS) == [0, 1, 2]
    assert sorted(results) == [False, True, True, True]


def test_two_transactions_enqueueing_one_key_at_once_make_one_job(app):
    # given a transaction that enqueued a key and has not committed yet
    factory = app.extensions["database"].factory
    found: list[int] = []

    def second() -> None:  # enqueues the same key meanwhile: waits on the first (the unique index, or SQLite's lock)
        with factory() as session, unit_of_work(session):
            job = queue.enqueue(session, "test.record", "same", {"by": "second"}, now=utcnow())
            session.flush()
            found.append(job.id)

    with factory() as session, unit_of_work(session):
        first = queue.enqueue(session, "test.record", "same", {"by": "first"}, now=utcnow())
        session.flush()
        first_id = first.id
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=0.5)  # it cannot finish before this transaction ends
        assert racer.is_alive()
    # when the first commits, then the second gets the first's job, and its own transaction still commits
    racer.join(timeout=60)
    assert found == [first_id]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(queue.QueuedJob)) == 1


def test_with_threads_a_job_no_thread_took_is_started_by_the_reaper(app):
    """Found in review: with JOB_RUNNER "thread" a job whose thread never claimed it (the process stopped after the
    commit, or the claim failed) stayed pending for ever and kept its key, so its day could not be optimised
    again. The scheduler's reaper (queue_reap, every minute) starts it."""
    factory = app.extensions["database"].factory
    config = {**app.config, "JOB_RUNNER": "thread"}
    job_id = _enqueue(factory, "test.record", "stranded", {"n": 7})  # enqueued; its thread never ran
    assert queue.take_up_stranded(factory, config) == 0  # not yet: its own thread may be about to take it
    with factory() as session, unit_of_work(session):
        session.get(queue.QueuedJob, job_id).run_after = utcnow() - dt.timedelta(minutes=2)
    assert queue.take_up_stranded(factory, {**config, "JOB_RUNNER": "worker"}) == 0  # flask worker polls itself
    assert queue.take_up_stranded(factory, config) == 1
    for _ in range(100):
        if _job(factory, job_id).status == queue.DONE:
            break
        time.sleep(0.05)
    assert _job(factory, job_id).status == queue.DONE and CALLS == [{"n": 7}]
