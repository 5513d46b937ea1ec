"""The scheduler: a slot runs once, however many scheduler processes are started."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from servicecenter.auth.models import UserSession
from servicecenter.db import unit_of_work, utcnow
from servicecenter.jobs import JOBS, JobRun, run_slot, slot_for

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def expired_session(session, factory, *, at: dt.datetime | None = None) -> int:
    """A login session last seen five hours before `at` (default: now), so a job run at `at` ends it."""
    at = at or utcnow()
    user = factory.user()
    with unit_of_work(session):
        stale = UserSession(token_hash="x" * 64, user_id=user.id, created_at=at - dt.timedelta(hours=5),
                            last_seen_at=at - dt.timedelta(hours=5))
        session.add(stale)
    return stale.id


def env_for(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "test", "FLASK_APP": "app", "PYTHONUNBUFFERED": "1"}


def test_slots_are_aligned_to_the_interval():
    job = JOBS["end_expired_sessions"]
    at = dt.datetime(2026, 11, 26, 10, 7, 31, tzinfo=dt.UTC)
    assert slot_for(job, at) == dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.UTC)


def test_a_second_run_of_the_same_slot_is_skipped(app, session, factory):
    expired_session(session, factory)
    factory_ = app.extensions["database"].factory
    slot = slot_for(JOBS["end_expired_sessions"], utcnow())
    assert run_slot(factory_, JOBS["end_expired_sessions"], slot, dict(app.config)) == "ended 1 sessions"
    assert run_slot(factory_, JOBS["end_expired_sessions"], slot, dict(app.config)) is None
    session.rollback()
    assert len(session.scalars(select(JobRun)).all()) == 1


def test_three_concurrent_ticks_run_the_slot_once(database_url, session, factory):
    # The tick's explicit time and the stale session come from the same clock: a fixed --at with a session made
    # from the wall clock passed only until the wall clock overtook the fixed date.
    at = utcnow().replace(microsecond=0)
    stale_id = expired_session(session, factory, at=at)
    procs = [subprocess.Popen([FLASK, "jobs", "tick", "--at", at.isoformat()], cwd=ROOT, env=env_for(database_url),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sum("end_expired_sessions: ended 1 sessions" in o for o in outputs) == 1, outputs
    assert sum("end_expired_sessions: skipped (already run)" in o for o in outputs) == 2, outputs
    session.rollback()
    assert session.get(UserSession, stale_id).end_reason == "expired"


def test_three_scheduler_processes_started_by_mistake_run_each_slot_once(database_url, session, factory):
    """`flask jobs run` three times at once: each fires at start; one claims the slot, the others skip it."""
    expired_session(session, factory)
    procs = [subprocess.Popen([FLASK, "jobs", "run"], cwd=ROOT, env=env_for(database_url),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            session.rollback()
            runs = session.scalars(select(JobRun).where(JobRun.job == "end_expired_sessions")).all()
            if runs and all(r.finished_at for r in runs):
                time.sleep(3)  # give the other two time to try the same slot
                break
            time.sleep(0.3)
    finally:
        for p in procs:
            p.terminate()
        outputs = [p.communicate(timeout=30)[0] for p in procs]
    session.rollback()
    runs = session.scalars(select(JobRun).where(JobRun.job == "end_expired_sessions")).all()
    slots = [r.slot_at for r in runs]
    assert runs and len(slots) == len(set(slots)), outputs
    assert sum(int(r.result.split()[1]) for r in runs) == 1  # the stale session was ended exactly once
    ran = sum(o.count("job end_expired_sessions slot") for o in outputs)
    assert ran == 3, outputs  # every process fired, and all but one per slot skipped


def test_a_tick_time_without_a_zone_is_utc(app):
    result = app.test_cli_runner().invoke(args=["jobs", "tick", "--at", "2026-01-01T10:02:00"])
    assert result.exit_code == 0, result.output
    from servicecenter.jobs import JobRun as Run

    s = app.extensions["database"].factory()
    slot = s.scalar(select(Run.slot_at).where(Run.job == "end_expired_sessions"))
    s.close()
    assert slot == dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)
