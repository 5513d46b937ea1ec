"""Scheduled jobs. Each run claims its (job, slot) row in job_runs in the same transaction as its work, so a
slot runs once however many scheduler processes were started: the others wait on the claim, then skip."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from servicecenter.auth.service import end_expired_sessions
from servicecenter.courses.journey import verify_courses
from servicecenter.courses.service import overdue_handovers
from servicecenter.db import Base, UTCDateTime, local_date, unit_of_work, utcnow
from servicecenter.idempotency import forget_old_keys
from servicecenter.outbox.delivery import deliver_due, summary
from servicecenter.outbox.senders import make_sender
from servicecenter.outbox.service import Policy, count_due
from servicecenter.queue import reap, take_up_stranded
from servicecenter.training.service import overdue_follow_ups

log = logging.getLogger(__name__)


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    slot_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("job", "slot_at", name="uq_job_runs_job_slot"),)


@dataclass(frozen=True)
class Job:
    name: str
    interval: dt.timedelta
    run: Callable[[Session, dt.datetime, dict], str]  # (session, slot time, app config) -> a short result
    # Work that must not run inside the slot's transaction (sending what other transactions committed): it opens
    # its own units of work, and runs only in the process that claimed the slot.
    after_commit: Callable[[sessionmaker[Session], dict], str] | None = None


def _end_expired_sessions(session: Session, now: dt.datetime, config: dict) -> str:
    ended = end_expired_sessions(
        session, now=now, idle=dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        max_age=dt.timedelta(hours=config["SESSION_MAX_HOURS"]),
    )
    return f"ended {ended} sessions"


def _flag_overdue_handovers(session: Session, now: dt.datetime, config: dict) -> str:
    overdue = overdue_handovers(session, now=now, working_days=config["HANDOVER_ANSWER_WORKING_DAYS"])
    for handover in overdue:
        log.warning("handover %d of course %d unanswered since %s", handover.id, handover.course_id,
                    handover.offered_at.date().isoformat())
    return f"{len(overdue)} overdue"


def _list_overdue_follow_ups(session: Session, now: dt.datetime, _config: dict) -> str:
    overdue = overdue_follow_ups(session, today=local_date(now))
    for record in overdue:
        log.warning("follow-up conversation of training %d (course %d) overdue since %s", record.id,
                    record.course_id, record.follow_up_due_on.isoformat())
    return f"{len(overdue)} overdue"


def _verify_courses(session: Session, _now: dt.datetime, _config: dict) -> str:
    problems = verify_courses(session)
    for problem in problems[:50]:
        log.error("course %d disagrees with its journey: %s", problem.course_id, problem.problem)
    return f"{len(problems)} disagreements"


def _forget_old_form_keys(session: Session, now: dt.datetime, _config: dict) -> str:
    return f"forgot {forget_old_keys(session, now=now)} form keys"


def _count_due_messages(session: Session, now: dt.datetime, _config: dict) -> str:
    return f"{count_due(session, now=now)} due"


def _reap_lost_jobs(session: Session, now: dt.datetime, _config: dict) -> str:
    return f"{reap(session, now=now)} lost jobs ended"


def _take_up_stranded_jobs(factory: sessionmaker[Session], config: dict) -> str:
    return f"{take_up_stranded(factory, config)} stranded jobs started"


def _deliver_messages(factory: sessionmaker[Session], config: dict) -> str:
    return summary(deliver_due(factory, make_sender(config), policy=Policy.from_config(config)))


JOBS: dict[str, Job] = {
    job.name: job for job in [
        Job("end_expired_sessions", dt.timedelta(minutes=5), _end_expired_sessions),
        Job("overdue_handovers", dt.timedelta(hours=24), _flag_overdue_handovers),
        Job("overdue_follow_ups", dt.timedelta(hours=24), _list_overdue_follow_ups),
        Job("courses_verify", dt.timedelta(hours=24), _verify_courses),
        Job("forget_old_form_keys", dt.timedelta(hours=24), _forget_old_form_keys),
        Job("queue_reap", dt.timedelta(minutes=1), _reap_lost_jobs, after_commit=_take_up_stranded_jobs),
        Job("outbox_deliver", dt.timedelta(minutes=1), _count_due_messages, after_commit=_deliver_messages),
    ]
}


def register_job(job: Job) -> None:
    """Features add their jobs when the app is created (core never imports a feature)."""
    JOBS[job.name] = job


def slot_for(job: Job, at: dt.datetime) -> dt.datetime:
    """The start of the interval slot that `at` falls in (slots are counted from the Unix epoch, in UTC)."""
    seconds = int(job.interval.total_seconds())
    epoch = int(at.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, dt.UTC)


def run_slot(factory: sessionmaker[Session], job: Job, slot_at: dt.datetime, config: dict) -> str | None:
    """Run the job for this slot unless another process has; returns its result, or None when skipped."""
    session = factory()
    try:
        with unit_of_work(session):
            run = JobRun(job=job.name, slot_at=slot_at, started_at=utcnow())
            session.add(run)
            session.flush()  # the claim: a second process blocks here, then fails on the unique constraint
            run.result = job.run(session, slot_at, config)[:200]
            run.finished_at = utcnow()
        log.info("job %s slot %s: %s", job.name, slot_at.isoformat(), run.result)
    except IntegrityError:
        log.info("job %s slot %s already run elsewhere; skipped", job.name, slot_at.isoformat())
        return None
    finally:
        session.close()
    return run.result if job.after_commit is None else _after_commit(factory, job, run.id, slot_at, config)


def _after_commit(factory: sessionmaker[Session], job: Job, run_id: int, slot_at: dt.datetime, config: dict) -> str:
    """The job's work outside the slot's transaction; its result is added to the run's."""
    try:
        more = job.after_commit(factory, config)
    except Exception as error:  # the scheduler goes on; the next slot tries again
        log.error("job %s slot %s failed after commit: %s", job.name, slot_at.isoformat(), type(error).__name__)
        more = f"failed ({type(error).__name__})"
    session = factory()
    try:
        with unit_of_work(session):
            run = session.get(JobRun, run_id)
            run.result = f"{run.result}; {more}"[:200]
            run.finished_at = utcnow()
    finally:
        session.close()
    log.info("job %s slot %s after commit: %s", job.name, slot_at.isoformat(), more)
    return run.result


def run_due(factory: sessionmaker[Session], config: dict, at: dt.datetime) -> dict[str, str | None]:
    return {name: run_slot(factory, job, slot_for(job, at), config) for name, job in JOBS.items()}


def make_scheduler(factory: sessionmaker[Session], config: dict, *, background: bool):
    """An APScheduler with one interval trigger per job; each firing runs the slot it belongs to."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone="UTC")
    for job in JOBS.values():
        scheduler.add_job(
            lambda job=job: run_slot(factory, job, slot_for(job, utcnow()), config),
            "interval", seconds=int(job.interval.total_seconds()), id=job.name,
            max_instances=1, coalesce=True, next_run_time=utcnow(),
        )
    return scheduler
