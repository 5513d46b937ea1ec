"""The job queue: long work (route optimisation) off the web workers. A job is a row in `queued_jobs`, written by
the caller's unit of work (so it exists exactly when the change that asked for it committed), idempotent by a
business key (one live job per kind and key), taken by a worker with a lease that a heartbeat keeps renewing.
A job whose worker died (its lease ran out) is put back once more if its kind allows, else marked failed and its
kind's `on_lost` ends what the job was doing with a message. See docs/decisions.md ("Job queue")."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import JSON, Index, Integer, String, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from servicecenter.db import Base, UTCDateTime, unit_of_work, utcnow
from servicecenter.errors import N_, DomainError

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
LIVE = (PENDING, RUNNING)
LOST_MESSAGE = N_("The process running this job stopped (a restart or a crash) before it finished.")


class QueuedJob(Base):
    __tablename__ = "queued_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    worker: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        # The business key: at most one pending or running job per (kind, key), however many ask at once.
        Index("uq_queued_jobs_live_key", "kind", "key", unique=True,
              postgresql_where=text("status IN ('pending', 'running')"),
              sqlite_where=text("status IN ('pending', 'running')")),
        Index("ix_queued_jobs_status_run_after", "status", "run_after"),
    )


@dataclass(frozen=True)
class Handler:
    kind: str
    # (session factory, payload, app config): does the work in its own units of work; an exception fails the job.
    run: Callable[[sessionmaker[Session], dict, dict], None]
    # (session, payload, now): ends what a lost job was doing, in the transaction that marks it failed.
    on_lost: Callable[[Session, dict, dt.datetime], None] | None = None
    max_attempts: int = 1  # 2 = a job whose worker died is tried once more


HANDLERS: dict[str, Handler] = {}


def register_handler(handler: Handler) -> None:
    """Features add their job kinds when the app is created (core never imports a feature)."""
    HANDLERS[handler.kind] = handler


def enqueue(session: Session, kind: str, key: str, payload: dict, *, now: dt.datetime) -> QueuedJob:
    """Add a job inside the caller's unit of work; if a job of this kind and key is pending or running already,
    that one is returned instead (the unique index decides when two callers race)."""
    live = live_job(session, kind, key)
    if live is not None:
        return live
    handler = HANDLERS[kind]
    job = QueuedJob(kind=kind, key=key, payload=payload, status=PENDING, attempts=0,
                    max_attempts=handler.max_attempts, created_at=now, run_after=now)
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # another transaction enqueued the same key first and committed
        return live_job(session, kind, key)
    return job


def retarget(session: Session, job: QueuedJob, payload: dict) -> bool:
    """Give a job no worker has taken yet a new payload (locked, so no worker takes it meanwhile); False when it
    has been taken."""
    session.refresh(job, with_for_update=True)
    if job.status != PENDING:
        return False
    job.payload = payload
    return True


def live_job(session: Session, kind: str, key: str) -> QueuedJob | None:
    return session.scalar(select(QueuedJob).where(QueuedJob.kind == kind, QueuedJob.key == key,
                                                  QueuedJob.status.in_(LIVE)))


def claim(session: Session, *, worker: str, now: dt.datetime, lease: dt.timedelta,
          job_id: int | None = None) -> QueuedJob | None:
    """Take the oldest due job (or the given one) for this worker: FOR UPDATE SKIP LOCKED on PostgreSQL, so
    workers never wait for each other; SQLite's write transactions run one at a time anyway."""
    query = select(QueuedJob).where(QueuedJob.status == PENDING, QueuedJob.run_after <= now)
    if job_id is not None:
        query = query.where(QueuedJob.id == job_id)
    job = session.scalar(query.order_by(QueuedJob.id).limit(1).with_for_update(skip_locked=True))
    if job is None:
        return None
    job.status, job.worker, job.started_at, job.lease_until = RUNNING, worker, now, now + lease
    job.attempts += 1
    return job


def heartbeat(factory: sessionmaker[Session], job_id: int, *, worker: str, lease: dt.timedelta) -> bool:
    """Renew the lease; False when the job is no longer this worker's (it was reaped meanwhile)."""
    with factory() as session, unit_of_work(session):
        renewed = session.execute(update(QueuedJob).where(QueuedJob.id == job_id, QueuedJob.worker == worker,
                                                          QueuedJob.status == RUNNING)
                                  .values(lease_until=utcnow() + lease))
        return renewed.rowcount == 1


def reap(session: Session, *, now: dt.datetime) -> int:
    """Jobs whose lease ran out (their worker died: no heartbeat): back to pending if attempts are left, else
    failed with LOST_MESSAGE and their kind's on_lost called in this same transaction. Returns how many."""
    lost = list(session.scalars(select(QueuedJob).where(QueuedJob.status == RUNNING, QueuedJob.lease_until < now)
                                .with_for_update(skip_locked=True)))
    for job in lost:
        log.warning("job %d (%s) lost its worker %s", job.id, job.kind, job.worker)
        job.worker, job.lease_until, job.error = None, None, LOST_MESSAGE
        if job.attempts < job.max_attempts:
            job.status, job.run_after = PENDING, now
            continue
        job.status, job.finished_at = FAILED, now
        handler = HANDLERS.get(job.kind)
        if handler and handler.on_lost:
            handler.on_lost(session, job.payload, now)
    return len(lost)


class _Heartbeat(threading.Thread):
    def __init__(self, factory: sessionmaker[Session], job_id: int, worker: str, lease: dt.timedelta) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.factory, self.job_id, self.worker, self.lease = factory, job_id, worker, lease
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.lease.total_seconds() / 4):
            try:
                if not heartbeat(self.factory, self.job_id, worker=self.worker, lease=self.lease):
                    return
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease allows for three
                log.warning("job %d: heartbeat not saved", self.job_id)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120]


def lease_of(config: dict) -> dt.timedelta:
    return dt.timedelta(seconds=float(config.get("JOB_LEASE_SECONDS", 60)))


def run_one(factory: sessionmaker[Session], config: dict, *, job_id: int | None = None) -> bool:
    """Claim a due job (or the given one), run it with a heartbeat, record its end. False when none was due."""
    worker, lease = worker_name(), lease_of(config)
    with factory() as session, unit_of_work(session):
        job = claim(session, worker=worker, now=utcnow(), lease=lease, job_id=job_id)
        if job is None:
            return False
        claimed_id, kind, payload = job.id, job.kind, dict(job.payload)
    beat = _Heartbeat(factory, claimed_id, worker, lease)
    beat.start()
    error = None
    try:
        HANDLERS[kind].run(factory, payload, config)
    except DomainError as exc:  # a rule refused it (a month released meanwhile): its message, to be shown translated
        log.warning("job %d (%s) refused: %s", claimed_id, kind, exc.message)
        error = (str(exc) if exc.params else exc.message)[:500]
    except Exception as exc:  # noqa: BLE001 - the job fails with the reason; the worker goes on
        log.exception("job %d (%s) failed", claimed_id, kind)
        error = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        beat.stopped.set()
    _finish(factory, claimed_id, worker=worker, error=error)
    return True


def _finish(factory: sessionmaker[Session], job_id: int, *, worker: str, error: str | None) -> None:
    with factory() as session, unit_of_work(session):
        job = session.scalar(select(QueuedJob).where(QueuedJob.id == job_id).with_for_update())
        if job.status != RUNNING or job.worker != worker:
            return  # reaped meanwhile: that end stands
        job.status, job.error, job.finished_at, job.lease_until = (FAILED if error else DONE), error, utcnow(), None


def start(factory: sessionmaker[Session], config: dict, job_id: int) -> None:
    """After the enqueueing transaction committed: run the job as JOB_RUNNER says. "thread": in a thread of this
    process (the embedded server, SQLite); "inline": now, in this request (tests); "worker": leave it to
    `flask worker`."""
    runner = config.get("JOB_RUNNER", "thread")
    if runner == "inline":
        run_one(factory, config, job_id=job_id)
    elif runner == "thread":
        threading.Thread(target=_run_in_thread, args=(factory, config, job_id), daemon=True,
                         name=f"job-{job_id}").start()


def _run_in_thread(factory: sessionmaker[Session], config: dict, job_id: int, *, tries: int = 5) -> None:
    """A thread has no worker loop behind it: a claim refused a moment (SQLite's "database is locked") is tried
    again, and whatever still escapes is logged (take_up_stranded starts the job again later)."""
    for attempt in range(tries):
        try:
            run_one(factory, config, job_id=job_id)
            return
        except Exception:  # noqa: BLE001 - logged; the reaper takes the job up again
            log.exception("job %d: not taken in its thread (try %d)", job_id, attempt + 1)
            time.sleep(0.2 * (attempt + 1))


def take_up_stranded(factory: sessionmaker[Session], config: dict, *,
                     older_than: dt.timedelta = dt.timedelta(seconds=30)) -> int:
    """JOB_RUNNER "thread": no `flask worker` polls the queue, so a job that no thread took (the process stopped
    between the commit and the claim, or its thread failed) or that went back to pending would wait for ever and
    keep its key (a day could never be optimised again). The scheduler's reaper starts such jobs here."""
    if config.get("JOB_RUNNER", "thread") != "thread":
        return 0
    with factory() as session:
        stranded = list(session.scalars(select(QueuedJob.id).where(
            QueuedJob.status == PENDING, QueuedJob.run_after <= utcnow() - older_than)))
    for job_id in stranded:
        start(factory, config, job_id)
    return len(stranded)


def work(factory: sessionmaker[Session], config: dict, *, stop: threading.Event | None = None,
         poll_seconds: float = 1.0) -> None:
    """The worker loop of `flask worker`: reap lost jobs, run due ones, wait a moment when there are none."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            with factory() as session, unit_of_work(session):
                reap(session, now=utcnow())
            ran = run_one(factory, config)
        except Exception:  # noqa: BLE001 - the database was away a moment: the loop goes on
            log.exception("worker loop")
            ran = False
        if not ran:
            stop.wait(poll_seconds)
