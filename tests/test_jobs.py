"""The scheduler: a slot runs once, however many scheduler processes are started."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
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
    """`flask jobs run` three times at once: each fires at start; one claims the slot, the others skip it. Each
    process's output is read as it comes, and the test waits until all three have tried the slot (a loaded machine
    starts them seconds apart), not for a fixed time."""
    expired_session(session, factory)
    procs = [subprocess.Popen([FLASK, "jobs", "run"], cwd=ROOT, env=env_for(database_url),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [[] for _ in procs]
    readers = [threading.Thread(target=lambda p=p, out=out: out.extend(p.stdout), daemon=True)
               for p, out in zip(procs, outputs, strict=True)]
    for reader in readers:
        reader.start()
    tried = "job end_expired_sessions slot"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not all(any(tried in line for line in out) for out in outputs):
            time.sleep(0.2)
    finally:
        for p in procs:
            p.terminate()
        for p, reader in zip(procs, readers, strict=True):
            p.wait(timeout=30)
            reader.join(timeout=30)
    texts = ["".join(out) for out in outputs]
    session.rollback()
    runs = session.scalars(select(JobRun).where(JobRun.job == "end_expired_sessions")).all()
    slots = [r.slot_at for r in runs]
    assert runs and len(slots) == len(set(slots)), texts
    assert sum(int(r.result.split()[1]) for r in runs) == 1  # the stale session was ended exactly once
    ran = sum(t.count(tried) for t in texts)
    assert ran >= 3 and all(tried in t for t in texts), texts  # every process fired; all but one per slot skipped


def test_a_tick_time_without_a_zone_is_utc(app):
    result = app.test_cli_runner().invoke(args=["jobs", "tick", "--at", "2026-01-01T10:02:00"])
    assert result.exit_code == 0, result.output
    from servicecenter.jobs import JobRun as Run

    s = app.extensions["database"].factory()
    slot = s.scalar(select(Run.slot_at).where(Run.job == "end_expired_sessions"))
    s.close()
    assert slot == dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)
