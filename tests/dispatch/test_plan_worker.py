"""Optimisation as a job of the queue, run by real `flask worker` processes: a worker killed mid-optimisation
leaves no run "running" (the run fails with a message once its lease runs out) and the day can be optimised again
at once, by another worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dispatch.models import PlanRun, PlanStatus
from dispatch.service import planning, visits
from servicecenter import queue
from servicecenter.db import local_date, unit_of_work, utcnow
from tests.dispatch.helpers import DispatchWorld, next_weekday

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(database_url):
    from tests.conftest import make_test_app

    app = make_test_app(database_url, JOB_RUNNER="worker")
    yield app
    app.extensions["database"].engine.dispose()


def _booked_day(session, factory) -> object:
    """A day with forty visits booked and one technician on duty: more than a shift holds, so the solver keeps
    finding better plans for a while (a day of two visits is solved in a fraction of a second, however long the
    limit: the search stops when nothing improves)."""
    world = DispatchWorld(session, factory)
    world.make_technician()
    day = next_weekday()
    for n in range(40):
        visit = world.setup_request(world.citizen_near(n))
        with unit_of_work(session):
            visits.book(session, visits.get_visit(session, visit.id), day=day, window=None, actor=world.helpdesk,
                        now=utcnow(), today=local_date(utcnow()))
    return world, day


def _worker(url: str, tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": url, "JOB_LEASE_SECONDS": "2", "SECRET_KEY": "test-secret-key",
           "SC_INSTANCE_PATH": str(tmp_path / "instance"), "JOB_RUNNER": "worker"}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--poll", "0.2"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


def _wait_for(what: str, check, process: subprocess.Popen, log: Path, *, limit: float = 120.0):
    """Poll until check() is true; a worker that exits, or a wait past the limit, fails with the worker's log."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"waited {limit:.0f}s for {what}:\n{log.read_text()[-3000:]}")


def _run(session, run_id: int) -> PlanRun:
    session.rollback()
    return session.get(PlanRun, run_id)


def test_a_killed_worker_leaves_a_failed_run_and_the_day_can_be_optimised_at_once(app, session, factory, tmp_path):
    url = app.config["DATABASE_URL"]
    world, day = _booked_day(session, factory)
    # given a run with a long time limit, enqueued by the planner's own transaction
    with unit_of_work(session):
        first = planning.start_run(session, day, actor=world.helpdesk, now=utcnow(), seconds=600).id
    job_id = planning.plan_job(session, day).id
    # and a worker that has taken it and is optimising (the claim writes progress)
    worker, log = _worker(url, tmp_path, "first")
    try:
        _wait_for("the run to be running in the worker", lambda: _run(session, first).progress > 0
                  and session.get(queue.QueuedJob, job_id).status == queue.RUNNING, worker, log)
        # when the worker is killed mid-optimisation (no chance to clean up)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert _run(session, first).status == PlanStatus.RUNNING  # nothing ended it yet: only the lease will

    # then once its lease has run out, looking at the day ends the run failed, with the reason
    def ended() -> bool:
        with unit_of_work(session):
            planning.end_lost_runs(session, day, now=utcnow())
        return _run(session, first).status != PlanStatus.RUNNING

    _wait_for("the lease to run out", ended, None, log, limit=60)
    lost = _run(session, first)
    assert lost.status == PlanStatus.FAILED and lost.error == planning.LOST_MESSAGE
    assert session.get(queue.QueuedJob, job_id).status == queue.FAILED
    # and a new run starts at once, and a second worker finishes it
    with unit_of_work(session):
        second = planning.start_run(session, day, actor=world.helpdesk, now=utcnow(), seconds=1).id
    worker, log = _worker(url, tmp_path, "second")
    try:
        _wait_for("the second run to end", lambda: _run(session, second).status != PlanStatus.RUNNING, worker, log)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    done = _run(session, second)
    assert done.status == PlanStatus.DONE, done.error
    assert {v["visit_id"] for r in done.result["routes"] for v in r["stops"]}, "the visits were planned"


def test_with_workers_the_request_only_enqueues_and_the_page_says_it_waits(app, client, session, factory):
    # given the web processes only enqueue (JOB_RUNNER=worker) and no worker is running
    world, day = _booked_day(session, factory)
    assert client.login(world.helpdesk.username).status_code == 302
    client.post("/language", data={"lang": "en"})
    # when the planner optimises the day
    assert client.post("/dispatch/plan/optimise", data={"day": day.isoformat()}).status_code == 302
    # then the run and its job are committed and waiting, and the page says so and keeps polling
    session.rollback()
    job = planning.plan_job(session, day)
    assert job is not None and job.status == queue.PENDING
    assert planning.latest_run(session, day).status == PlanStatus.RUNNING
    page = client.get(f"/dispatch/plan?day={day.isoformat()}").get_data(as_text=True)
    assert "Waiting for a free worker" in page and "every 1s" in page
